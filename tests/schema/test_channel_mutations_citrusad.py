"""CitrusAd mutations through HTTP against the emulator: request bodies, store, eviction."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from gateway.emulators.citrusad import DEMO_SELLER_ID
from gateway.emulators.citrusad.seed import DOCUMENT_PRODUCTS
from gateway.emulators.demo import demo_gtin
from gateway.settings import DEMO_CITRUSAD_CATALOG_ID, DEMO_CITRUSAD_TEAM_ID
from tests.conftest import GatewayStack

CATALOG = DEMO_CITRUSAD_CATALOG_ID
COLLECTION = "/v1/catalog-products"
RESULTS = "ok results { index status action ids { key value } message }"

SYNC = f"""mutation($p: [CatalogProductInput!]!) {{
  syncCatalogProducts(products: $p) {{ {RESULTS}
    products {{ catalogId gtin inventory price profit tags filters name imageUrl brand
                categories locations hfss inStock sellerId }} }}
}}"""
INVENTORY = f"""mutation($i: [CatalogInventoryInput!]!) {{
  setCatalogInventory(items: $i) {{ {RESULTS} products {{ gtin inventory price inStock }} }}
}}"""
DELETE = f"""mutation($i: [CatalogProductKeyInput!]!) {{
  deleteCatalogProducts(items: $i) {{ {RESULTS} notice }}
}}"""
READ = """query($g: String!) { catalogProduct(gtin: $g) { gtin price inventory inStock name } }"""


def _data(stack: GatewayStack, query: str, variables: dict[str, Any] | None = None) -> Any:
    answer = stack.query(query, variables)
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


def _posts(stack: GatewayStack) -> list[Any]:
    log = stack.citrusad.app.state.log
    return [e.json() for e in log.entries() if e.method == "POST" and e.path == COLLECTION]


def _held(stack: GatewayStack, gtin: str) -> Any:
    return stack.citrusad.app.state.store.visible((CATALOG, gtin))


def test_sync_sends_the_documents_example(stack: GatewayStack) -> None:
    items = [{"catalogId": CATALOG, **copy.deepcopy(p)} for p in DOCUMENT_PRODUCTS]
    payload = _data(stack, SYNC, {"p": items})["syncCatalogProducts"]
    assert payload["ok"] is True
    assert payload["results"][1] == {
        "index": 1,
        "status": "SUCCESS",
        "action": "UPSERT",
        "ids": [{"key": "catalogId", "value": CATALOG}, {"key": "gtin", "value": "23556578965738"}],
        "message": None,
    }
    assert _posts(stack) == [{"catalogProducts": items}]
    first = payload["products"][0]
    assert (first["price"], first["profit"]) == ("19.99", "1.50")
    assert first["brand"] == "Covergirl"
    assert first["categories"] == ["Health&Beauty", "Grocery"]
    assert stack.citrusad.app.state.log.entries()[0].query == f"teamId={DEMO_CITRUSAD_TEAM_ID}"


def test_convenience_inputs_become_the_documented_strings(stack: GatewayStack) -> None:
    product = {
        "gtin": "9000000000001",
        "inventory": 3,
        "price": "2.10",
        "profit": "0.35",
        "sellerId": "seller-7",
        "tags": ["promo"],
        "filters": ["Special_Flag:0", "category:Snacks"],
        "imageUrl": "https://img.example.com/x.jpg",
        "name": "Salt crisps 150g",
        "brand": "Acme",
        "categories": ["Snacks", "Crisps"],
        "locations": ["123", "ABC"],
        "hfss": True,
    }
    payload = _data(stack, SYNC, {"p": [product]})["syncCatalogProducts"]
    (sent,) = _posts(stack)[0]["catalogProducts"]
    assert sent == {
        "catalogId": CATALOG,
        "gtin": "9000000000001",
        "inventory": 3,
        "price": "2.10",
        "profit": "0.35",
        "sellerId": "seller-7",
        "tags": ["promo", "imageurl:https://img.example.com/x.jpg", "name:Salt crisps 150g"],
        # category:Snacks was given both ways: sent once.
        "filters": [
            "Special_Flag:0",
            "category:Snacks",
            "Brand:Acme",
            "category:Crisps",
            "location:123",
            "location:ABC",
            "hfss:true",
        ],
    }
    echoed = payload["products"][0]
    assert (echoed["name"], echoed["brand"], echoed["hfss"]) == ("Salt crisps 150g", "Acme", True)
    assert echoed["locations"] == ["123", "ABC"]
    assert echoed["sellerId"] == "seller-7"
    assert Decimal(_held(stack, "9000000000001")["price"]) == Decimal("2.10")


def test_a_read_after_a_sync_sees_the_new_price(stack: GatewayStack) -> None:
    gtin = "23556578965543"
    assert _data(stack, READ, {"g": gtin})["catalogProduct"]["price"] == "19.99"
    stack.clear_logs()
    _data(stack, READ, {"g": gtin})
    assert stack.upstream_calls()["citrusad"] == 0  # served from the shared cache
    product = {"gtin": gtin, "inventory": 50, "price": "17.49", "name": "Covergirl"}
    _data(stack, SYNC, {"p": [product]})
    after = _data(stack, READ, {"g": gtin})["catalogProduct"]
    assert (after["price"], after["name"]) == ("17.49", "Covergirl")


def test_250_products_go_out_as_three_posts(stack: GatewayStack) -> None:
    products = [{"gtin": f"P-{i:03d}", "inventory": i, "price": "1.00"} for i in range(250)]
    payload = _data(stack, SYNC, {"p": products})["syncCatalogProducts"]
    assert payload["ok"] and len(payload["products"]) == 250
    assert [len(b["catalogProducts"]) for b in _posts(stack)] == [100, 100, 50]
    assert [p["gtin"] for p in payload["products"]] == [p["gtin"] for p in products]


def test_a_failed_chunk_fails_only_its_items(stack: GatewayStack) -> None:
    stack.citrusad.app.state.faults.set(status=400, count=1)
    products = [{"gtin": f"P-{i:03d}", "inventory": 1, "price": "1.00"} for i in range(150)]
    payload = _data(stack, SYNC, {"p": products})["syncCatalogProducts"]
    statuses = [r["status"] for r in payload["results"]]
    assert statuses == ["ERROR"] * 100 + ["SUCCESS"] * 50
    assert payload["results"][0]["message"].startswith("UPSTREAM_REJECTED")
    assert payload["products"][0] is None and payload["products"][100]["gtin"] == "P-100"
    assert payload["ok"] is False
    assert _held(stack, "P-000") is None and _held(stack, "P-149") is not None


def test_an_unanswered_chunk_is_unknown(stack: GatewayStack) -> None:
    stack.citrusad.app.state.faults.set(status=500, count=1)
    payload = _data(stack, SYNC, {"p": [{"gtin": "X1", "inventory": 1, "price": "1"}]})
    (result,) = payload["syncCatalogProducts"]["results"]
    assert result["status"] == "UNKNOWN"


def test_set_inventory_resyncs_the_whole_product_with_the_new_inventory(
    stack: GatewayStack,
) -> None:
    gtin = "23556578965543"
    assert _data(stack, READ, {"g": gtin})["catalogProduct"]["inStock"] is True
    items = [{"gtin": gtin, "inventory": 0}, {"gtin": "NOT-THERE", "inventory": 5}]
    payload = _data(stack, INVENTORY, {"i": items})["setCatalogInventory"]
    assert [r["status"] for r in payload["results"]] == ["SUCCESS", "ERROR"]
    assert payload["results"][1]["message"].startswith("catalog product not found")
    assert payload["products"][0] == {
        "gtin": gtin,
        "inventory": 0,
        "price": "19.99",
        "inStock": False,
    }
    assert payload["products"][1] is None
    (sent,) = _posts(stack)[0]["catalogProducts"]
    expected = {"catalogId": CATALOG, **DOCUMENT_PRODUCTS[0], "inventory": 0}
    assert sent == expected  # tags, filters, profit kept: only inventory changed
    assert _data(stack, READ, {"g": gtin})["catalogProduct"]["inStock"] is False
    log = stack.citrusad.app.state.log
    assert log.count("DELETE") == 0  # out of stock is inventory 0, never a delete


def test_delete_honours_seller_id_and_says_when_it_completes(stack: GatewayStack) -> None:
    sold = demo_gtin(50)  # every 50th demo product carries the demo seller
    assert _data(stack, READ, {"g": sold})["catalogProduct"] is not None
    stack.clear_logs()
    items = [
        {"gtin": sold, "sellerId": DEMO_SELLER_ID},
        {"gtin": "23556578965738"},
        {"gtin": "NOT-THERE"},
        {"gtin": demo_gtin(100)},  # carries a seller, none given
    ]
    payload = _data(stack, DELETE, {"i": items})["deleteCatalogProducts"]
    assert "30 to 60 minutes" in payload["notice"]
    statuses = [r["status"] for r in payload["results"]]
    assert statuses == ["SUCCESS", "SUCCESS", "ERROR", "ERROR"]
    assert payload["results"][0]["action"] == "DELETE"
    assert "30 to 60 minutes" in payload["results"][0]["message"]
    assert payload["results"][2]["message"] == "catalog product not found"
    assert "sellerId is required" in payload["results"][3]["message"]
    deletes = [e for e in stack.citrusad.app.state.log.entries() if e.method == "DELETE"]
    assert len(deletes) == 4
    by_path = {e.path: e.query for e in deletes}
    assert f"sellerId={DEMO_SELLER_ID}" in by_path[f"{COLLECTION}/{CATALOG}/{sold}"]
    assert _data(stack, READ, {"g": sold})["catalogProduct"] is None  # evicted, then re-read


def test_invalid_items_are_refused_before_any_call(stack: GatewayStack) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        (SYNC, {"p": [{"gtin": "a/b", "inventory": 1, "price": "1"}]}, "gtin"),
        (SYNC, {"p": [{"gtin": "G1", "inventory": -1, "price": "1"}]}, "inventory"),
        (SYNC, {"p": [{"gtin": "G1", "inventory": 1, "price": "-1"}]}, "price"),
        (SYNC, {"p": [{"gtin": "G1", "inventory": 1, "price": "1", "sellerId": ""}]}, "sellerId"),
        (
            SYNC,
            {"p": [{"gtin": "G1", "inventory": 1, "price": "1"}] * 2},
            "repeats",
        ),
        (INVENTORY, {"i": [{"gtin": "G1", "inventory": -3}]}, "inventory"),
        (DELETE, {"i": [{"gtin": "G 1"}]}, "gtin"),
        (DELETE, {"i": [{"gtin": "G1", "catalogId": ".."}]}, "catalogId"),
    ]
    for query, variables, words in cases:
        answer = stack.query(query, variables)
        assert answer.get("data") is None, answer
        (error,) = answer["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert words in error["message"], error
        assert stack.upstream_calls()["citrusad"] == 0
