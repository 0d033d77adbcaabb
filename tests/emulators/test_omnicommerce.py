"""The OMNICOMMERCE emulator over loopback HTTP, against the Data Management API document."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.emulators import omnicommerce
from gateway.emulators.serving import BackgroundServer
from gateway.settings import DEMO_OMNICOMMERCE_API_KEY

PATH = "/2022-08/management/products"
AUTH = {"X-Api-Key": DEMO_OMNICOMMERCE_API_KEY}

# The document's request example 2 ("Adding products without metadata field").
DOC_PRODUCTS = [
    {
        "id": "A1000",
        "url": "https://image-url.jpg",
        "salesUrl": "https://sales_url.com",
        "detection": "TOP",
    },
    {
        "id": "A1001",
        "url": "https://image-url2.jpg",
        "salesUrl": "https://sales_url.com",
        "detection": "WHOLEBODY",
    },
    {
        "id": "A1002",
        "url": "https://image-url3.jpg",
        "salesUrl": "https://sales_url3.com",
        "mobileSalesUrl": "https://m.sales_url3.com",
        "detection": "PANTS",
    },
]


def product(product_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": product_id,
        "url": "https://img.example.com/a.jpg",
        "detection": "TOP",
        "salesUrl": "https://shop.example.com/a",
        **fields,
    }


def call(
    server: BackgroundServer, method: str, body: Any, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.request(
        method, server.url + PATH, json=body, headers=AUTH if headers is None else headers
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def timed_server(clock: FakeClock) -> Iterator[BackgroundServer]:
    """An emulator whose rate window runs on ``clock``: tests step time instead of sleeping."""
    server = BackgroundServer(omnicommerce.create_app(clock=clock)).start()
    yield server
    server.stop()


# --- POST --------------------------------------------------------------------------------


def test_post_registers_the_documents_products(omnicommerce_server: BackgroundServer) -> None:
    answer = call(omnicommerce_server, "POST", {"products": DOC_PRODUCTS})
    assert answer.status_code == 202
    assert answer.json() == {"accept": 3, "failure": 0, "failureList": []}
    store = omnicommerce_server.app.state.store
    assert store.products["A1002"] == DOC_PRODUCTS[2]
    assert store.created_at["A1000"] == store.updated_at["A1000"]


def test_workspace_starts_empty(omnicommerce_server: BackgroundServer) -> None:
    assert omnicommerce_server.app.state.store.products == {}


def test_post_overwrites_an_existing_id(omnicommerce_server: BackgroundServer) -> None:
    call(omnicommerce_server, "POST", {"products": [product("X", metadata={"a": 1})]})
    store = omnicommerce_server.app.state.store
    created = store.created_at["X"]
    answer = call(omnicommerce_server, "POST", {"products": [product("X", detection="PANTS")]})
    assert answer.json()["accept"] == 1
    assert store.products["X"] == product("X", detection="PANTS")  # replaced, not merged
    assert store.created_at["X"] == created and store.updated_at["X"] >= created


def test_block_duplicates_fails_existing_ids_only(omnicommerce_server: BackgroundServer) -> None:
    call(omnicommerce_server, "POST", {"products": [product("A1000")]})
    body = {"options": ["BLOCK_DUPLICATES"], "products": [product("A1000"), product("A1001")]}
    answer = call(omnicommerce_server, "POST", body)
    assert answer.status_code == 202
    assert answer.json() == {
        "accept": 1,
        "failure": 1,
        "failureList": [{"id": "A1000", "errors": "Block duplicate products."}],
    }
    assert omnicommerce_server.app.state.store.products["A1000"] == product("A1000")


def test_block_duplicates_within_one_request(omnicommerce_server: BackgroundServer) -> None:
    body = {"options": ["BLOCK_DUPLICATES"], "products": [product("D"), product("D")]}
    assert call(omnicommerce_server, "POST", body).json()["failureList"] == [
        {"id": "D", "errors": "Block duplicate products."}
    ]


INVALID_ITEMS: list[tuple[Any, str | None, str]] = [
    ("not an object", None, "bad reqeust"),
    ({k: v for k, v in product("x").items() if k != "id"}, None, "id is required"),
    (product("x" * 51), "x" * 51, "invalid id: must be 1 to 50 characters of 0-9 a-z A-Z - . _ ~"),
    (product("a/b"), "a/b", "invalid id: must be 1 to 50 characters of 0-9 a-z A-Z - . _ ~"),
    (product(""), "", "invalid id: must be 1 to 50 characters of 0-9 a-z A-Z - . _ ~"),
    ({"id": "m"}, "m", "url is required; detection is required; salesUrl is required"),
    (product("u", url="image.jpg"), "u", "invalid url: must be an absolute http(s) URL"),
    (product("s", salesUrl=7), "s", "invalid salesUrl: must be an absolute http(s) URL"),
    (
        product("mo", mobileSalesUrl="ftp://m.example.com"),
        "mo",
        "invalid mobileSalesUrl: must be an absolute http(s) URL",
    ),
    (product("i", url="https://cdn.invalid/a.jpg"), "i", "fail to prove image from url."),
    (
        product("d", detection="top"),
        "d",
        "invalid detection: must be one of "
        "TOP, WHOLEBODY, PANTS, OUTER, SKIRT, DRESS, SHOES, BAG, HAT, ACCESSORY",
    ),
    (product("md", metadata=["x"]), "md", "invalid metadata: must be an object"),
    (product("f", sales_url="x"), "f", "unknown field: sales_url"),
]


def test_each_invalid_field_fails_its_item(omnicommerce_server: BackgroundServer) -> None:
    ok = product("Valid-id_0.9~" + "z" * 37)  # 50 characters of every allowed kind
    answer = call(
        omnicommerce_server, "POST", {"products": [ok] + [i for i, _, _ in INVALID_ITEMS]}
    )
    assert answer.status_code == 202
    body = answer.json()
    assert (body["accept"], body["failure"]) == (1, len(INVALID_ITEMS))
    assert body["failureList"] == [{"id": pid, "errors": why} for _, pid, why in INVALID_ITEMS]
    assert list(omnicommerce_server.app.state.store.products) == [ok["id"]]


def test_all_detection_values_are_accepted(omnicommerce_server: BackgroundServer) -> None:
    items = [product(f"p{i}", detection=d) for i, d in enumerate(omnicommerce.DETECTIONS)]
    assert call(omnicommerce_server, "POST", {"products": items}).json()["failure"] == 0


def test_at_most_100_items(omnicommerce_server: BackgroundServer) -> None:
    too_many = call(
        omnicommerce_server, "POST", {"products": [product(f"p{i}") for i in range(101)]}
    )
    assert too_many.status_code == 400
    assert "at most 100" in too_many.json()["message"]
    assert omnicommerce_server.app.state.store.products == {}
    full = call(omnicommerce_server, "POST", {"products": [product(f"p{i}") for i in range(100)]})
    assert full.json()["accept"] == 100


MALFORMED_BODIES: list[Any] = [
    {},
    {"products": []},
    {"products": {"id": "x"}},
    {"products": [product("x")], "extra": 1},
    {"options": "BLOCK_DUPLICATES", "products": [product("x")]},
    ["x"],
]


def test_malformed_request_shapes_are_400(timed_server: BackgroundServer, clock: FakeClock) -> None:
    for body in MALFORMED_BODIES:
        clock.now += 1.0  # more calls than one rate window admits
        answer = call(timed_server, "POST", body)
        assert answer.status_code == 400 and answer.json()["message"], body
    assert timed_server.app.state.store.products == {}


def test_unknown_option_is_400(omnicommerce_server: BackgroundServer) -> None:
    answer = call(omnicommerce_server, "POST", {"options": ["NOPE"], "products": [product("x")]})
    assert (answer.status_code, answer.json()) == (400, {"message": "unknown option: NOPE"})


def test_malformed_json_is_400(omnicommerce_server: BackgroundServer) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    answer = httpx.post(omnicommerce_server.url + PATH, content=b'{"products": [', headers=headers)
    assert answer.status_code == 400
    assert answer.json() == {"message": "request body is not valid JSON"}


# --- auth and content type ---------------------------------------------------------------


def test_missing_or_wrong_key_is_401(omnicommerce_server: BackgroundServer) -> None:
    for method in ("POST", "PUT", "DELETE"):
        for headers in ({}, {"X-Api-Key": "wrong"}):
            answer = call(omnicommerce_server, method, {"productIds": ["x"]}, headers=headers)
            assert answer.status_code == 401, (method, headers)
            assert answer.json() == {"message": "invalid or missing X-Api-Key"}


def test_other_content_type_is_415(omnicommerce_server: BackgroundServer) -> None:
    headers = {**AUTH, "Content-Type": "text/plain"}
    for method in ("POST", "PUT", "DELETE"):
        answer = httpx.request(
            method,
            omnicommerce_server.url + PATH,
            content=b'{"productIds": ["x"]}',
            headers=headers,
        )
        assert answer.status_code == 415, method
        assert answer.json() == {"message": "Content-Type must be application/json"}


def test_missing_content_type_is_415_on_post(omnicommerce_server: BackgroundServer) -> None:
    answer = httpx.post(omnicommerce_server.url + PATH, content=b"{}", headers=AUTH)
    assert answer.status_code == 415


def test_json_with_charset_is_accepted(omnicommerce_server: BackgroundServer) -> None:
    headers = {**AUTH, "Content-Type": "Application/JSON; charset=utf-8"}
    body = b'{"products": [{"id": "c", "url": "https://i.example/c.jpg", "detection": "BAG", "salesUrl": "https://s.example/c"}]}'
    answer = httpx.post(omnicommerce_server.url + PATH, content=body, headers=headers)
    assert answer.status_code == 202 and answer.json()["accept"] == 1


# --- PUT ---------------------------------------------------------------------------------


def test_put_changes_only_the_fields_sent(omnicommerce_server: BackgroundServer) -> None:
    # The document's example: "Linen Summer Pants" at 10 USD is renamed "Linen Pants".
    original = product(
        "AE00001",
        detection="PANTS",
        metadata={"productName": "Linen Summer Pants", "originPrice": 10, "currency": "USD"},
    )
    call(omnicommerce_server, "POST", {"products": [original]})
    change = {"products": [{"id": "AE00001", "metadata": {"productName": "Linen Pants"}}]}
    answer = call(omnicommerce_server, "PUT", change)
    assert (answer.status_code, answer.json()) == (
        202,
        {"accept": 1, "failure": 0, "failureList": []},
    )
    store = omnicommerce_server.app.state.store
    expected_metadata = {"productName": "Linen Pants", "originPrice": 10, "currency": "USD"}
    assert store.products["AE00001"] == {**original, "metadata": expected_metadata}
    assert store.updated_at["AE00001"] >= store.created_at["AE00001"]


def test_put_documents_example_and_failures(omnicommerce_server: BackgroundServer) -> None:
    call(omnicommerce_server, "POST", {"products": DOC_PRODUCTS[:2]})
    body = {
        "products": [
            {"id": "A1000", "metadata": {"productName": "product name3"}},
            {"id": "A1001", "metadata": {"productName": "product name4", "originPrice": 200}},
            {"id": "A9999", "salesUrl": "https://s.example/9"},
            {"id": "A1000", "detection": "SOCKS"},
        ]
    }
    answer = call(omnicommerce_server, "PUT", body).json()
    assert (answer["accept"], answer["failure"]) == (2, 2)
    assert [f["id"] for f in answer["failureList"]] == ["A9999", "A1000"]
    assert answer["failureList"][0]["errors"] == "product not found"
    # The document's PUT item has no detection (nor url): register again to change them.
    assert answer["failureList"][1]["errors"].startswith("unknown field: detection")
    stored = omnicommerce_server.app.state.store.products
    assert stored["A1001"]["metadata"] == {"productName": "product name4", "originPrice": 200}
    assert stored["A1000"]["detection"] == "TOP"


def test_put_at_most_100_items(omnicommerce_server: BackgroundServer) -> None:
    body = {"products": [{"id": f"p{i}"} for i in range(101)]}
    assert call(omnicommerce_server, "PUT", body).status_code == 400


# --- DELETE ------------------------------------------------------------------------------


def test_delete_removes_known_ids_and_fails_others(omnicommerce_server: BackgroundServer) -> None:
    call(omnicommerce_server, "POST", {"products": DOC_PRODUCTS})
    body = {"productIds": ["A1000", "A1001", "A1002", "A1003", 5]}
    answer = call(omnicommerce_server, "DELETE", body)
    assert answer.status_code == 202
    assert answer.json() == {
        "accept": 3,
        "failure": 2,
        "failureList": [
            {"id": "A1003", "errors": "product not found"},
            {"id": None, "errors": "bad reqeust"},
        ],
    }
    store = omnicommerce_server.app.state.store
    assert store.products == {} and set(store.deleted_at) == {"A1000", "A1001", "A1002"}


def test_delete_without_content_type_is_accepted(omnicommerce_server: BackgroundServer) -> None:
    call(omnicommerce_server, "POST", {"products": [product("gone")]})
    answer = httpx.request(
        "DELETE", omnicommerce_server.url + PATH, content=b'{"productIds": ["gone"]}', headers=AUTH
    )
    assert answer.json() == {"accept": 1, "failure": 0, "failureList": []}


def test_delete_at_most_100_ids(omnicommerce_server: BackgroundServer) -> None:
    answer = call(omnicommerce_server, "DELETE", {"productIds": [f"p{i}" for i in range(101)]})
    assert answer.status_code == 400


# --- rate limit --------------------------------------------------------------------------


def test_sixth_request_within_a_second_is_429(
    timed_server: BackgroundServer, clock: FakeClock
) -> None:
    answers = [call(timed_server, "DELETE", {"productIds": ["x"]}) for _ in range(6)]
    assert [a.status_code for a in answers] == [202] * 5 + [429]
    assert answers[5].headers["Retry-After"] == "1"
    assert answers[5].json() == {"message": "rate limit exceeded"}
    clock.now += 1.0
    assert call(timed_server, "DELETE", {"productIds": ["x"]}).status_code == 202


def test_window_slides(timed_server: BackgroundServer, clock: FakeClock) -> None:
    for step in (0.0, 0.0, 0.0, 0.6, 0.0):
        clock.now += step
        assert call(timed_server, "DELETE", {"productIds": ["x"]}).status_code == 202
    clock.now += 0.4  # the first three leave the window, the last two stay
    codes = [call(timed_server, "DELETE", {"productIds": ["x"]}).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]


def test_unauthenticated_and_refused_calls_do_not_count(
    timed_server: BackgroundServer, clock: FakeClock
) -> None:
    for _ in range(6):
        assert call(timed_server, "DELETE", {}, headers={}).status_code == 401
    codes = [call(timed_server, "DELETE", {"productIds": ["x"]}).status_code for _ in range(8)]
    assert codes == [202] * 5 + [429] * 3
    clock.now += 1.0
    assert call(timed_server, "DELETE", {"productIds": ["x"]}).status_code == 202


def test_rate_limit_on_the_real_clock(omnicommerce_server: BackgroundServer) -> None:
    with httpx.Client(base_url=omnicommerce_server.url, headers=AUTH) as client:
        codes = [client.put(PATH, json={"products": [{"id": "x"}]}).status_code for _ in range(6)]
        assert codes == [202] * 5 + [429]
        time.sleep(1.0)
        assert client.put(PATH, json={"products": [{"id": "x"}]}).status_code == 202


def test_the_window_counts_a_call_when_it_reaches_the_handler(
    omnicommerce_server: BackgroundServer,
) -> None:
    # A call delayed on the way in (latency, or jitter) is counted when it arrives, as the
    # real API counts it: sent right after five others, it arrives after their second.
    with httpx.Client(base_url=omnicommerce_server.url, headers=AUTH) as client:
        codes = [client.put(PATH, json={"products": [{"id": "x"}]}).status_code for _ in range(5)]
        omnicommerce_server.app.state.faults.set(latency=1.0)
        codes.append(client.put(PATH, json={"products": [{"id": "x"}]}).status_code)
    assert codes == [202] * 6
    assert omnicommerce_server.app.state.log.max_in_window(1.0) <= 5


def test_the_log_has_each_calls_arrival_and_answer(
    timed_server: BackgroundServer, clock: FakeClock
) -> None:
    before = time.time()
    for _ in range(6):
        call(timed_server, "DELETE", {"productIds": ["x"]})
    call(timed_server, "DELETE", {"productIds": ["x"]}, headers={})
    after = time.time()
    entries = timed_server.app.state.log.entries()
    assert [e.status for e in entries] == [202] * 5 + [429, 401]
    arrivals = [e.at for e in entries]
    assert all(a is not None and before <= a <= after for a in arrivals)
    assert arrivals == sorted(arrivals)  # one after another
    shown = httpx.get(f"{timed_server.url}/__emulator__/log").json()
    assert [(e["status"], e["at"]) for e in shown] == [(e.status, e.at) for e in entries]


# --- emulator plumbing -------------------------------------------------------------------


def test_admin_lists_products_and_log_redacts_key(omnicommerce_server: BackgroundServer) -> None:
    call(omnicommerce_server, "POST", {"products": [product("p1")]})
    (listed,) = httpx.get(f"{omnicommerce_server.url}/__emulator__/products").json()
    assert listed["product"] == product("p1") and listed["createdAt"]
    (entry,) = omnicommerce_server.app.state.log.entries()
    assert entry.headers["x-api-key"] == "<redacted>"
    assert entry.json() == {"products": [product("p1")]}
