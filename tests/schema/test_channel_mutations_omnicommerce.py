"""OMNICOMMERCE mutations through HTTP against the emulator, checked in its store and request log
and in the gateway's read model."""

from __future__ import annotations

import time
from typing import Any

import httpx

from gateway.graphql.globalid import encode_global_id
from tests.conftest import GatewayStack

PATH = "/2022-08/management/products"

PAYLOAD = """ok accept failure unknown failures { id reason }
  results { index status action ids { key value } message }"""

REGISTER = f"""mutation($p: [CommerceProductInput!]!, $block: Boolean = false) {{
  registerCommerceProducts(products: $p, blockDuplicates: $block) {{ {PAYLOAD}
    products {{ productId status operation url detection salesUrl metadata }} }}
}}"""
UPDATE = f"""mutation($p: [CommerceProductPatchInput!]!) {{
  updateCommerceProducts(products: $p) {{ {PAYLOAD} }}
}}"""
DELETE = f"""mutation($ids: [CommerceProductId!]!) {{
  deleteCommerceProducts(ids: $ids) {{ {PAYLOAD} }}
}}"""
ONE = """query($id: CommerceProductId!) {
  commerceProduct(id: $id) {
    id productId status operation url detection salesUrl mobileSalesUrl metadata
    pending reason createdAt updatedAt
  }
}"""

# The document's first request example (BLOCK_DUPLICATES, with metadata).
DOC_PRODUCTS = [
    {
        "id": "A1000",
        "url": "https://image-url.jpg",
        "salesUrl": "https://sales_url.com",
        "mobileSalesUrl": "https://m.sales_url.com",
        "detection": "TOP",
        "metadata": {"productName": "product name", "originPrice": 10000, "currency": "KRW"},
    },
    {
        "id": "A1001",
        "url": "https://image-url2.jpg",
        "salesUrl": "https://sales_url.com",
        "mobileSalesUrl": "https://m.sales_url.com",
        "detection": "WHOLEBODY",
        "metadata": {"productName": "product name2", "originPrice": 20000, "currency": "KRW"},
    },
    {
        "id": "A1002",
        "url": "https://image-url3.jpg",
        "salesUrl": "https://sales_url3.com",
        "mobileSalesUrl": "https://m.sales_url3.com",
        "detection": "PANTS",
        "metadata": {
            "productName": "product name3, 상품명3",
            "originPrice": 30000,
            "currency": "KRW",
        },
    },
]


def _product(pid: str, **changes: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "url": f"https://img.example.com/{pid}.jpg",
        "salesUrl": f"https://shop.example.com/{pid}",
        "detection": "TOP",
        **changes,
    }


def _data(stack: GatewayStack, query: str, variables: dict[str, Any] | None = None) -> Any:
    answer = stack.query(query, variables)
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


def _bodies(stack: GatewayStack, method: str) -> list[Any]:
    log = stack.omnicommerce.app.state.log
    return [e.json() for e in log.entries() if e.method == method and e.path == PATH]


def _record(stack: GatewayStack, pid: str) -> Any:
    return _data(stack, ONE, {"id": pid})["commerceProduct"]


def test_register_sends_the_documents_example_and_records_what_was_accepted(
    stack: GatewayStack,
) -> None:
    payload = _data(stack, REGISTER, {"p": DOC_PRODUCTS, "block": True})["registerCommerceProducts"]
    assert payload["ok"] is True
    assert (payload["accept"], payload["failure"], payload["unknown"]) == (3, 0, 0)
    assert payload["failures"] == []
    assert [r["status"] for r in payload["results"]] == ["SUCCESS"] * 3
    assert payload["results"][2] == {
        "index": 2,
        "status": "SUCCESS",
        "action": "CREATE",
        "ids": [{"key": "id", "value": "A1002"}],
        "message": None,
    }
    assert [p["status"] for p in payload["products"]] == ["ACCEPTED"] * 3
    assert payload["products"][0]["metadata"] == DOC_PRODUCTS[0]["metadata"]

    assert _bodies(stack, "POST") == [{"options": ["BLOCK_DUPLICATES"], "products": DOC_PRODUCTS}]
    assert stack.omnicommerce.app.state.store.products["A1002"] == DOC_PRODUCTS[2]

    record = _record(stack, "A1001")
    assert record["id"] == encode_global_id("CommerceProduct", "A1001")
    assert (record["status"], record["operation"]) == ("ACCEPTED", "REGISTER")
    assert record["url"] == "https://image-url2.jpg"
    assert record["salesUrl"] == "https://sales_url.com"
    assert record["mobileSalesUrl"] == "https://m.sales_url.com"
    assert record["detection"] == "WHOLEBODY"
    assert record["pending"] is None and record["reason"] is None
    assert record["createdAt"] <= record["updatedAt"]


def test_1000_items_go_out_as_10_requests_of_100_with_per_item_failures(
    stack: GatewayStack,
) -> None:
    # A url on a .invalid host is one the emulator fails the way the document shows.
    bad = {7, 250, 999}
    products = [
        _product(f"P{i:04d}", **({"url": f"https://img{i}.invalid/x.jpg"} if i in bad else {}))
        for i in range(1000)
    ]
    started = time.monotonic()
    payload = _data(stack, REGISTER, {"p": products})["registerCommerceProducts"]
    elapsed = time.monotonic() - started

    bodies = _bodies(stack, "POST")
    # Exactly ten calls: a 429 would have been retried and shown up as an eleventh.
    assert [len(b["products"]) for b in bodies] == [100] * 10
    # Chunks leave in bursts of up to five (the upstream's window), so they may arrive in
    # any order; ids never repeat within a call, so order cannot change the outcome.
    sent = [p["id"] for b in bodies for p in b["products"]]
    assert sorted(sent) == [p["id"] for p in products]
    assert elapsed >= 1.0  # ten calls at five a second cannot all go out at once
    assert payload["ok"] is False
    assert (payload["accept"], payload["failure"], payload["unknown"]) == (997, 3, 0)
    assert payload["failures"] == [
        {"id": f"P{i:04d}", "reason": "fail to prove image from url."} for i in sorted(bad)
    ]
    statuses = [r["status"] for r in payload["results"]]
    assert [i for i, s in enumerate(statuses) if s == "ERROR"] == sorted(bad)
    assert payload["results"][250]["message"] == "fail to prove image from url."

    failed = _data(
        stack,
        "{ commerceProducts(status: FAILED) { totalCount nodes { productId reason } } }",
    )["commerceProducts"]
    assert failed["totalCount"] == 3
    assert [n["productId"] for n in failed["nodes"]] == ["P0007", "P0250", "P0999"]
    assert failed["nodes"][0]["reason"] == "fail to prove image from url."
    accepted = _data(stack, "{ commerceProducts(status: ACCEPTED) { totalCount } }")
    assert accepted["commerceProducts"]["totalCount"] == 997


def test_block_duplicates_fails_the_item_and_keeps_what_was_accepted(stack: GatewayStack) -> None:
    _data(stack, REGISTER, {"p": [_product("A1")]})
    again = [_product("A1", url="https://img.example.com/other.jpg"), _product("A2")]
    payload = _data(stack, REGISTER, {"p": again, "block": True})["registerCommerceProducts"]
    assert payload["failures"] == [{"id": "A1", "reason": "Block duplicate products."}]
    assert [r["status"] for r in payload["results"]] == ["ERROR", "SUCCESS"]
    record = _record(stack, "A1")
    assert (record["status"], record["reason"]) == ("FAILED", "Block duplicate products.")
    assert record["url"] == "https://img.example.com/A1.jpg"  # what the upstream still holds


def test_update_sends_only_the_fields_given_and_merges_metadata(stack: GatewayStack) -> None:
    first = _product("A1000", metadata={"productName": "Linen Summer Pants", "originPrice": 10})
    _data(stack, REGISTER, {"p": [first]})
    stack.clear_logs()
    patch = [{"id": "A1000", "metadata": {"productName": "Linen Pants"}}]
    payload = _data(stack, UPDATE, {"p": patch})["updateCommerceProducts"]
    assert payload["ok"] is True
    assert payload["results"][0]["action"] == "UPDATE"
    assert _bodies(stack, "PUT") == [{"products": patch}]
    held = stack.omnicommerce.app.state.store.products["A1000"]
    assert held["metadata"] == {"productName": "Linen Pants", "originPrice": 10}
    record = _record(stack, "A1000")
    assert (record["status"], record["operation"]) == ("ACCEPTED", "UPDATE")
    assert record["metadata"] == {"productName": "Linen Pants", "originPrice": 10}
    assert record["url"] == first["url"]


def test_update_of_an_unknown_id_reports_the_upstreams_reason(stack: GatewayStack) -> None:
    payload = _data(
        stack, UPDATE, {"p": [{"id": "NOPE", "salesUrl": "https://shop.example.com/x"}]}
    )
    assert payload["updateCommerceProducts"]["failures"] == [
        {"id": "NOPE", "reason": "product not found"}
    ]
    assert _record(stack, "NOPE")["status"] == "FAILED"


def test_delete_sends_product_ids_and_records_the_deletion(stack: GatewayStack) -> None:
    _data(stack, REGISTER, {"p": [_product("A1000"), _product("A1001")]})
    stack.clear_logs()
    payload = _data(stack, DELETE, {"ids": ["A1000", "A1001"]})["deleteCommerceProducts"]
    assert payload["ok"] is True
    assert [r["action"] for r in payload["results"]] == ["DELETE", "DELETE"]
    assert _bodies(stack, "DELETE") == [{"productIds": ["A1000", "A1001"]}]
    assert "A1000" not in stack.omnicommerce.app.state.store
    record = _record(stack, "A1000")
    assert record["status"] == "DELETED" and record["url"] is None
    deleted = _data(stack, "{ commerceProducts(status: DELETED) { totalCount } }")
    assert deleted["commerceProducts"]["totalCount"] == 2


def test_no_answer_leaves_the_items_unknown(stack: GatewayStack) -> None:
    stack.omnicommerce.app.state.faults.set(status=500, count=1000)
    payload = _data(stack, REGISTER, {"p": [_product("A1"), _product("A2")]})
    payload = payload["registerCommerceProducts"]
    assert payload["ok"] is False
    assert (payload["accept"], payload["failure"], payload["unknown"]) == (0, 0, 2)
    assert [r["status"] for r in payload["results"]] == ["UNKNOWN", "UNKNOWN"]
    record = _record(stack, "A1")
    assert record["status"] == "UNKNOWN"
    assert record["pending"]["url"] == "https://img.example.com/A1.jpg"


def _refused(stack: GatewayStack, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    answer = stack.query(query, variables)
    assert answer.get("data") is None, answer
    assert stack.upstream_calls()["omnicommerce"] == 0
    assert (
        _data(stack, "{ commerceProducts { totalCount } }")["commerceProducts"]["totalCount"] == 0
    )
    (error,) = answer["errors"]
    return error  # type: ignore[no-any-return]


ATOMIC = """mutation($p: [CommerceProductInput!]!) {
  registerCommerceProducts(products: $p, allOrNothing: true) { ok }
}"""


def test_with_all_or_nothing_an_invalid_item_refuses_the_call_naming_it(
    stack: GatewayStack,
) -> None:
    cases = [
        ([_product("A1"), _product("A2", salesUrl="/relative")], "A2", "salesUrl"),
        ([_product("A1", url="ftp://x/y.jpg")], "A1", "url"),
        ([_product("A1", detection=" ")], "A1", "detection"),
        ([_product("A1", metadata=[1, 2])], "A1", "metadata"),
        ([_product("A1"), _product("A2"), _product("A1")], "A1", "item 2 repeats"),
    ]
    for products, item, words in cases:
        error = _refused(stack, ATOMIC, {"p": products})
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["extensions"]["item"] == item
        assert words in error["message"]


def test_invalid_ids_are_refused_by_the_scalar(stack: GatewayStack) -> None:
    error = _refused(stack, DELETE, {"ids": ["A1", "has space"]})
    assert "not an OMNICOMMERCE product id" in error["message"]
    error = _refused(stack, UPDATE, {"p": [{"id": "x" * 51, "metadata": {"a": 1}}]})
    assert "not an OMNICOMMERCE product id" in error["message"]


def test_an_invalid_item_fails_alone_and_the_valid_ones_are_sent(stack: GatewayStack) -> None:
    """One bad image URL no longer costs the 99 good items of its request."""
    products = [_product("A1"), _product("A2", url="ftp://x/y.jpg"), _product("A3")]
    products += [_product("A1")]  # a repeated id fails alone too
    payload = _data(stack, REGISTER, {"p": products})["registerCommerceProducts"]
    results = payload["results"]
    assert [r["status"] for r in results] == ["SUCCESS", "ERROR", "SUCCESS", "ERROR"]
    assert [
        r.get("code")
        for r in _data(stack, CODES, {"p": products[:2]})["registerCommerceProducts"]["results"]
    ] == [None, "BAD_USER_INPUT"]
    assert results[1]["message"] == "item 1: url must be an absolute http(s) URL"
    assert results[3]["message"].startswith("item 3 repeats the id of item 0")
    assert (payload["ok"], payload["accept"], payload["failure"]) == (False, 2, 2)
    assert _bodies(stack, "POST")[0] == {"products": [products[0], products[2]]}
    assert _record(stack, "A2") is None  # refused before anything was recorded or sent


CODES = """mutation($p: [CommerceProductInput!]!) {
  registerCommerceProducts(products: $p) { results { code } }
}"""


def test_image_and_detection_are_not_update_fields(stack: GatewayStack) -> None:
    """The document's PUT item has id, salesUrl, mobileSalesUrl and metadata only."""
    answer = stack.query(UPDATE, {"p": [{"id": "A1", "url": "https://i.example/x.jpg"}]})
    assert answer.get("data") is None
    assert "url" in answer["errors"][0]["message"]
    assert stack.upstream_calls()["omnicommerce"] == 0


def test_empty_updates_and_oversized_calls_are_refused(stack: GatewayStack) -> None:
    answer = stack.query(UPDATE, {"p": [{"id": "A1"}]})
    (result,) = answer["data"]["updateCommerceProducts"]["results"]
    assert (result["status"], result["message"]) == ("ERROR", "item 0: the update changes nothing")
    assert stack.upstream_calls()["omnicommerce"] == 0
    error = _refused(
        stack,
        UPDATE.replace("(products: $p)", "(products: $p, allOrNothing: true)"),
        {"p": [{"id": "A1"}]},
    )
    assert "changes nothing" in error["message"]
    error = _refused(stack, DELETE, {"ids": [f"P{i}" for i in range(100_001)]})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 100000" in error["message"]


def test_mutations_are_refused_over_get(stack: GatewayStack) -> None:
    mutation = 'mutation { deleteCommerceProducts(ids: ["A1"]) { ok } }'
    answer = httpx.get(
        stack.url,
        params={"query": mutation},
        headers={"Apollo-Require-Preflight": "true"},
        timeout=10,
    )
    assert answer.status_code in (400, 405), answer.text
    assert "mutation" in answer.text.lower()
    assert stack.upstream_calls()["omnicommerce"] == 0
    read = httpx.get(
        stack.url,
        params={"query": "{ commerceProducts { totalCount } }"},
        headers={"Apollo-Require-Preflight": "true"},
        timeout=10,
    )
    assert read.json()["data"]["commerceProducts"]["totalCount"] == 0
