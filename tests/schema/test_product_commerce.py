"""``Product.commerceProduct``: a PIM product's OMNICOMMERCE record, through HTTP."""

from __future__ import annotations

from typing import Any

from gateway.emulators.pim.seed import DEMO_PRODUCT_TID
from tests.conftest import GatewayStack

LINKED = """query($tid: String!) { product(tid: $tid) { tid
  commerceProduct { productId status operation metadata } } }"""

REGISTER = """mutation($products: [CommerceProductInput!]!) {
  registerCommerceProducts(products: $products) { ok } }"""


def _linked(stack: GatewayStack, tid: str) -> Any:
    answer = stack.query(LINKED, {"tid": tid})
    assert "errors" not in answer, answer["errors"]
    return answer["data"]["product"]["commerceProduct"]


def test_null_until_written_then_the_record_under_the_tid(stack: GatewayStack) -> None:
    assert _linked(stack, "DEMO-0004") is None
    item = {
        "id": "DEMO-0004",
        "url": "https://images.example.com/4.jpg",
        "salesUrl": "https://shop.example.com/DEMO-0004",
        "detection": "WHOLEBODY",
        "metadata": {"productName": "Demo product 4"},
    }
    assert stack.query(REGISTER, {"products": [item]})["data"]["registerCommerceProducts"]["ok"]
    assert _linked(stack, "DEMO-0004") == {
        "productId": "DEMO-0004",
        "status": "ACCEPTED",
        "operation": "REGISTER",
        "metadata": {"productName": "Demo product 4"},
    }
    assert _linked(stack, "DEMO-0005") is None  # another product's record is not borrowed


def test_publishing_writes_it_where_the_product_finds_it(stack: GatewayStack) -> None:
    # The document's product: it has an asset link, so the default mapping has an image.
    published = stack.query(
        """mutation($tids: [String!]!) { publishProducts(tids: $tids, channels: [OMNICOMMERCE]) {
             products { tid channels { channel status message ids { key value } } } } }""",
        {"tids": [DEMO_PRODUCT_TID]},
    )
    assert "errors" not in published, published["errors"]
    (channel,) = published["data"]["publishProducts"]["products"][0]["channels"]
    assert channel["status"] == "SUCCESS", channel
    record = _linked(stack, DEMO_PRODUCT_TID)
    assert (record["productId"], record["status"]) == (DEMO_PRODUCT_TID, "ACCEPTED")
    assert channel["ids"] == [{"key": "id", "value": record["productId"]}]


def test_an_answer_that_read_the_record_is_not_kept_whole(stack: GatewayStack) -> None:
    cache = stack.gateway.app.state.response_cache
    stack.query('{ product(tid: "DEMO-0002") { tid } }')
    assert len(cache) == 1  # an answer without the record is kept
    cache.clear()
    for _ in range(2):
        assert _linked(stack, "DEMO-0002") is None
    # Write jobs settle the record behind any mutation: a kept null would hide the product.
    assert (len(cache), cache.hits) == (0, 0)
