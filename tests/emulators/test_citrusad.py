"""The CitrusAd emulator over loopback HTTP, against the catalog-products document."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.emulators import citrusad
from gateway.emulators.citrusad.seed import demo_items
from gateway.emulators.citrusad.validation import check_item
from gateway.emulators.demo import DEMO_PRODUCT_COUNT, demo_gtin
from gateway.emulators.serving import BackgroundServer
from gateway.settings import (
    DEMO_CITRUSAD_API_KEY,
    DEMO_CITRUSAD_CATALOG_ID,
    DEMO_CITRUSAD_TEAM_ID,
)

AUTH = {"Authorization": f"Basic {DEMO_CITRUSAD_API_KEY}"}
TEAM = {"teamId": DEMO_CITRUSAD_TEAM_ID}
CATALOG = DEMO_CITRUSAD_CATALOG_ID

# The document's first request and its answer, verbatim.
DOC_REQUEST = """{
"catalogProducts": [
{
"catalogId": "628dbe95-2ec9-4e07-881d-3e9f92ab2e0b",
"gtin": "23556578965543",
"inventory": 50,
"price": "19.99",
"tags": [
"imageurl:https://your.image.host.com/image.jpg","name:Covergirl Clean 120 Creamy Natural Liquid Foundation30mL"
],
"filters": [
"category:Health&Beauty","category:Grocery","Brand:Covergirl","Special_Flag:0"
]
}
]
}"""
DOC_RESPONSE = """{
"catalogProducts": [
{
"teamId": "e8158f9b-bbb9-49fb-93fe-3ad481ca8450",
"catalogId": "628dbe95-2ec9-4e07-881d-3e9f92ab2e0b",
"gtin": "23556578965543",
"inventory": 50,
"price": 19.99,
"tags": [
"imageurl:https://your.image.host.com/image.jpg",
"name:Covergirl Clean 120 Creamy Natural Liquid Foundation30mL"
],
"filters": [
"category:Health&Beauty",
"category:Grocery",
"Brand:Covergirl",
"Special_Flag:0"
],
"groups": [],
"profit": null
}
]
}"""


def item(gtin: str, **fields: Any) -> dict[str, Any]:
    return {"catalogId": CATALOG, "gtin": gtin, "inventory": 5, "price": "2.00", **fields}


def sync(
    server: BackgroundServer,
    items: list[Any],
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/catalog-products",
        json={"catalogProducts": items},
        params=TEAM if params is None else params,
        headers=AUTH if headers is None else headers,
    )


def fetch(server: BackgroundServer, gtin: str, catalog: str = CATALOG) -> httpx.Response:
    return httpx.get(f"{server.url}/v1/catalog-products/{catalog}/{gtin}", headers=AUTH)


def remove(server: BackgroundServer, gtin: str, **params: str) -> httpx.Response:
    url = f"{server.url}/v1/catalog-products/{CATALOG}/{gtin}"
    return httpx.delete(url, params=params, headers=AUTH)


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


# --- POST --------------------------------------------------------------------------------


def test_sync_echoes_the_documents_response(citrusad_server: BackgroundServer) -> None:
    answer = httpx.post(
        f"{citrusad_server.url}/v1/catalog-products",
        params=TEAM,
        content=DOC_REQUEST.encode(),
        headers={**AUTH, "Content-Type": "application/json", "Accept": "application/json"},
    )
    assert answer.status_code == 200
    assert answer.json() == json.loads(DOC_RESPONSE)
    assert '"price":19.99,' in answer.text  # a number with the digits sent, not a float's


def test_sync_keeps_decimal_digits_and_echoes_profit(citrusad_server: BackgroundServer) -> None:
    answer = sync(citrusad_server, [item("1", price="8.50", profit="0.50"), item("2", price=3)])
    assert '"price":8.50,' in answer.text and '"profit":0.50' in answer.text
    first, second = answer.json()["catalogProducts"]
    assert (first["price"], first["profit"], second["price"]) == (8.5, 0.5, 3)


def test_sync_echoes_locations_hfss_seller_and_defaults(citrusad_server: BackgroundServer) -> None:
    filters = ["hfss:true", "category:Grocery", "location:123", "location:ABC"]
    sent = [item("10", filters=filters, sellerId="abc123"), item("11")]
    echoed = sync(citrusad_server, sent).json()["catalogProducts"]
    assert echoed[0]["filters"] == filters and echoed[0]["sellerId"] == "abc123"
    assert echoed[1] == {
        "teamId": DEMO_CITRUSAD_TEAM_ID,
        "catalogId": CATALOG,
        "gtin": "11",
        "inventory": 5,
        "price": 2.00,
        "tags": [],
        "filters": [],
        "groups": [],
        "profit": None,
    }


def test_resync_with_inventory_zero_replaces_the_product(citrusad_server: BackgroundServer) -> None:
    covergirl = json.loads(DOC_REQUEST)["catalogProducts"][0]
    sync(citrusad_server, [{**covergirl, "inventory": 0}])
    (stored,) = fetch(citrusad_server, "23556578965543").json()["catalogProducts"]
    assert stored["inventory"] == 0
    assert stored["profit"] is None  # replaced whole: the seed's profit 1.50 is gone


def test_at_most_100_items(citrusad_server: BackgroundServer) -> None:
    too_many = sync(citrusad_server, [item(f"9{i}") for i in range(101)])
    assert too_many.status_code == 400
    assert too_many.json() == {"message": "at most 100 catalogProducts per request, got 101"}
    assert (
        "628dbe95-2ec9-4e07-881d-3e9f92ab2e0b",
        "90",
    ) not in citrusad_server.app.state.store.products
    full = sync(citrusad_server, [item(f"9{i}") for i in range(100)])
    assert len(full.json()["catalogProducts"]) == 100


def test_invalid_items_fail_the_request_naming_them(citrusad_server: BackgroundServer) -> None:
    items = [
        item("ok"),
        {"gtin": "77", "inventory": 1},
        item("78", inventory="5"),
        item("79", inventory=-1),
        item("80", price="abc"),
        item("81", profit="-1"),
        item("82", tags="x", colour="red"),
        "nope",
    ]
    answer = sync(citrusad_server, items)
    assert answer.status_code == 400
    assert answer.json()["message"] == "; ".join(
        [
            "catalogProducts[1] (gtin 77): catalogId is required",
            "catalogProducts[1] (gtin 77): price is required",
            "catalogProducts[2] (gtin 78): inventory must be an integer >= 0",
            "catalogProducts[3] (gtin 79): inventory must be an integer >= 0",
            "catalogProducts[4] (gtin 80): price must be a decimal >= 0",
            "catalogProducts[5] (gtin 81): profit must be a decimal >= 0",
            "catalogProducts[6] (gtin 82): unknown field colour",
            "catalogProducts[6] (gtin 82): tags must be a list of strings",
            "catalogProducts[7]: must be an object",
        ]
    )
    assert (CATALOG, "ok") not in citrusad_server.app.state.store.products


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [({}, 400, "teamId is required"), ({"teamId": "other"}, 403, None)],
)
def test_team_is_required_and_must_match(
    citrusad_server: BackgroundServer, params: dict[str, str], status: int, message: str | None
) -> None:
    answer = sync(citrusad_server, [item("1")], params=params)
    assert answer.status_code == status
    assert message is None or answer.json() == {"message": message}


def test_request_level_errors(citrusad_server: BackgroundServer) -> None:
    url = f"{citrusad_server.url}/v1/catalog-products"
    as_text = httpx.post(
        url, params=TEAM, content=b"{}", headers={**AUTH, "Content-Type": "text/plain"}
    )
    assert as_text.status_code == 415
    json_type = {**AUTH, "Content-Type": "application/json"}
    broken = httpx.post(url, params=TEAM, content=b'{"catalogProducts": [', headers=json_type)
    assert (broken.status_code, broken.json()) == (
        400,
        {"message": "request body is not valid JSON"},
    )
    for body in (b"{}", b'{"catalogProducts": []}', b"[]"):
        answer = httpx.post(url, params=TEAM, content=body, headers=json_type)
        assert answer.status_code == 400, body


def test_missing_or_wrong_auth_is_401(citrusad_server: BackgroundServer) -> None:
    one = f"{citrusad_server.url}/v1/catalog-products/{CATALOG}/23556578965543"
    for headers in (
        {},
        {"Authorization": "Basic wrong"},
        {"Authorization": f"Bearer {DEMO_CITRUSAD_API_KEY}"},
    ):
        answers = [
            sync(citrusad_server, [item("1")], headers=headers),
            httpx.get(one, headers=headers),
            httpx.delete(one, headers=headers),
        ]
        assert [a.status_code for a in answers] == [401, 401, 401], headers
        assert answers[0].json() == {"message": "invalid or missing API key"}
    assert fetch(citrusad_server, "23556578965543").status_code == 200  # nothing deleted


# --- GET ---------------------------------------------------------------------------------


def test_get_answers_the_seeded_document_product(citrusad_server: BackgroundServer) -> None:
    answer = fetch(citrusad_server, "23556578965738")
    assert answer.status_code == 200
    assert '"price":8.50,' in answer.text
    (kelloggs,) = answer.json()["catalogProducts"]
    assert kelloggs["teamId"] == DEMO_CITRUSAD_TEAM_ID and kelloggs["profit"] == 0.5
    assert kelloggs["tags"][1] == "name:Kelloggs Froot Loops Breakfast Cereal 500g"


def test_get_unknown_code_is_404(citrusad_server: BackgroundServer) -> None:
    for answer in (
        fetch(citrusad_server, "404"),
        fetch(citrusad_server, "23556578965543", "other"),
    ):
        assert (answer.status_code, answer.json()) == (
            404,
            {"message": "catalog product not found"},
        )


def test_get_rejects_another_team(citrusad_server: BackgroundServer) -> None:
    url = f"{citrusad_server.url}/v1/catalog-products/{CATALOG}/23556578965543"
    assert httpx.get(url, params={"teamId": "other"}, headers=AUTH).status_code == 403


# --- DELETE ------------------------------------------------------------------------------


def test_delete_then_get_is_404(citrusad_server: BackgroundServer) -> None:
    assert remove(citrusad_server, "23556578965543").status_code == 204
    assert fetch(citrusad_server, "23556578965543").status_code == 404
    assert remove(citrusad_server, "23556578965543").json() == {
        "message": "catalog product not found"
    }


def test_delete_honours_seller_id(citrusad_server: BackgroundServer) -> None:
    sync(citrusad_server, [item("s1", sellerId="abc123")])
    missing = remove(citrusad_server, "s1")
    assert missing.status_code == 400 and "sellerId is required" in missing.json()["message"]
    assert remove(citrusad_server, "s1", sellerId="zzz").status_code == 404
    assert remove(citrusad_server, "s1", sellerId="abc123").status_code == 204
    assert (CATALOG, "s1") not in citrusad_server.app.state.store.products


def test_delete_with_seller_on_a_product_without_one_is_404(
    citrusad_server: BackgroundServer,
) -> None:
    assert remove(citrusad_server, "23556578965738", sellerId="abc123").status_code == 404


# --- ingestion delay ---------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def slow_server(clock: FakeClock) -> Iterator[BackgroundServer]:
    app = citrusad.create_app(ingestion_delay=30.0, clock=clock)
    server = BackgroundServer(app).start()
    yield server
    server.stop()


def test_synced_product_is_visible_after_the_delay(
    slow_server: BackgroundServer, clock: FakeClock
) -> None:
    sync(slow_server, [item("new")])
    assert fetch(slow_server, "new").json() == {"message": "catalog product not found"}
    assert (CATALOG, "new") in slow_server.app.state.store.products
    clock.now += 30.0
    assert fetch(slow_server, "new").json()["catalogProducts"][0]["gtin"] == "new"


def test_resync_shows_the_old_version_until_ingested(
    slow_server: BackgroundServer, clock: FakeClock
) -> None:
    sync(slow_server, [item(demo_gtin(1), inventory=0)])
    before = fetch(slow_server, demo_gtin(1)).json()["catalogProducts"][0]
    assert before["inventory"] > 0  # the seed, visible at once
    clock.now += 29.9
    assert fetch(slow_server, demo_gtin(1)).json()["catalogProducts"][0] == before
    clock.now += 0.1
    assert fetch(slow_server, demo_gtin(1)).json()["catalogProducts"][0]["inventory"] == 0


def test_ingestion_delay_on_the_real_clock() -> None:
    server = BackgroundServer(citrusad.create_app(seed=False, ingestion_delay=0.2)).start()
    try:
        sync(server, [item("rt")])
        assert fetch(server, "rt").status_code == 404
        time.sleep(0.25)
        assert fetch(server, "rt").status_code == 200
    finally:
        server.stop()


# --- seed --------------------------------------------------------------------------------


def test_seed_holds_the_documents_products_and_every_demo_gtin() -> None:
    store = citrusad.create_app().state.store
    assert len(store.products) == DEMO_PRODUCT_COUNT + 2
    assert all((CATALOG, demo_gtin(i)) in store.products for i in range(1, DEMO_PRODUCT_COUNT + 1))
    covergirl = store.products[(CATALOG, "23556578965543")]
    assert (str(covergirl["price"]), str(covergirl["profit"])) == ("19.99", "1.50")


def test_seed_is_deterministic_and_varied() -> None:
    first, second = citrusad.create_app().state.store, citrusad.create_app().state.store
    assert first.products == second.products
    generated = [first.products[(CATALOG, demo_gtin(i))] for i in range(1, DEMO_PRODUCT_COUNT + 1)]
    assert any(r["inventory"] == 0 for r in generated)
    assert any(r["inventory"] > 0 for r in generated)
    assert {f for r in generated for f in r["filters"] if f.startswith("hfss:")} == {
        "hfss:true",
        "hfss:false",
    }
    assert all(
        r["tags"][0].startswith("imageurl:") and r["tags"][1].startswith("name:") for r in generated
    )
    assert any(r.get("sellerId") == citrusad.DEMO_SELLER_ID for r in generated)
    assert len({r["price"] for r in generated}) > 50


def test_seed_items_pass_validation() -> None:
    assert all(check_item(i) == [] for i in demo_items(CATALOG))


def test_unseeded_emulator_is_empty() -> None:
    assert citrusad.create_app(seed=False).state.store.products == {}
