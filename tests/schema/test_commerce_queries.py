"""``commerceProduct``, ``commerceProducts`` and ``node`` over the OMNICOMMERCE read model."""

from __future__ import annotations

from typing import Any

from gateway.graphql.globalid import encode_global_id
from tests.conftest import GatewayStack

REGISTER = """mutation($p: [CommerceProductInput!]!) {
  registerCommerceProducts(products: $p) { ok }
}"""
PAGE = """query($first: Int, $after: String, $status: CommerceStatus) {
  commerceProducts(first: $first, after: $after, status: $status) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { productId status } }
    nodes { productId }
  }
}"""


def _data(stack: GatewayStack, query: str, variables: dict[str, Any] | None = None) -> Any:
    answer = stack.query(query, variables)
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


def _register(stack: GatewayStack, *ids: str) -> None:
    products = [
        {
            "id": pid,
            "url": f"https://img.example.com/{pid}.jpg",
            "salesUrl": f"https://shop.example.com/{pid}",
            "detection": "PANTS",
            "metadata": {"productName": f"Name {pid}", "originPrice": 100},
        }
        for pid in ids
    ]
    assert _data(stack, REGISTER, {"p": products})["registerCommerceProducts"]["ok"]


def test_commerce_product_is_null_when_never_sent(stack: GatewayStack) -> None:
    assert _data(stack, '{ commerceProduct(id: "NEVER") { id } }')["commerceProduct"] is None
    assert stack.upstream_calls()["omnicommerce"] == 0


def test_commerce_product_reads_the_record_without_calling_the_upstream(
    stack: GatewayStack,
) -> None:
    _register(stack, "B2")
    stack.clear_logs()
    found = _data(
        stack,
        '{ commerceProduct(id: "B2") { productId detection metadata accepted status operation } }',
    )["commerceProduct"]
    assert found["metadata"] == {"productName": "Name B2", "originPrice": 100}
    assert found["accepted"]["salesUrl"] == "https://shop.example.com/B2"
    assert (found["status"], found["operation"], found["detection"]) == (
        "ACCEPTED",
        "REGISTER",
        "PANTS",
    )
    assert stack.upstream_calls()["omnicommerce"] == 0


def test_commerce_products_pages_by_id_with_cursors(stack: GatewayStack) -> None:
    _register(stack, "C3", "A1", "E5", "B2", "D4")
    first = _data(stack, PAGE, {"first": 2})["commerceProducts"]
    assert first["totalCount"] == 5
    assert [n["productId"] for n in first["nodes"]] == ["A1", "B2"]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    second = _data(stack, PAGE, {"first": 2, "after": first["pageInfo"]["endCursor"]})
    second = second["commerceProducts"]
    assert [n["productId"] for n in second["nodes"]] == ["C3", "D4"]
    assert second["pageInfo"]["hasPreviousPage"]
    last = _data(stack, PAGE, {"first": 2, "after": second["pageInfo"]["endCursor"]})
    assert [n["productId"] for n in last["commerceProducts"]["nodes"]] == ["E5"]
    assert last["commerceProducts"]["pageInfo"]["hasNextPage"] is False


def test_commerce_products_filter_by_status(stack: GatewayStack) -> None:
    _register(stack, "A1", "A2", "A3")
    _data(stack, 'mutation { deleteCommerceProducts(ids: ["A2"]) { ok } }')
    deleted = _data(stack, PAGE, {"status": "DELETED"})["commerceProducts"]
    assert (deleted["totalCount"], deleted["nodes"]) == (1, [{"productId": "A2"}])
    accepted = _data(stack, PAGE, {"status": "ACCEPTED"})["commerceProducts"]
    assert [n["productId"] for n in accepted["nodes"]] == ["A1", "A3"]
    assert _data(stack, PAGE, {"status": "QUEUED"})["commerceProducts"]["totalCount"] == 0


def test_bad_cursor_and_page_size_are_bad_user_input(stack: GatewayStack) -> None:
    for variables in ({"after": "garbage"}, {"first": 101}, {"first": -1}):
        answer = stack.query(PAGE, variables)
        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", variables


def test_node_finds_a_commerce_product_by_global_id(stack: GatewayStack) -> None:
    _register(stack, "A1000")
    query = "query($id: ID!) { node(id: $id) { id ... on CommerceProduct { productId status } } }"
    gid = encode_global_id("CommerceProduct", "A1000")
    assert _data(stack, query, {"id": gid})["node"] == {
        "id": gid,
        "productId": "A1000",
        "status": "ACCEPTED",
    }
    missing = encode_global_id("CommerceProduct", "NOPE")
    assert _data(stack, query, {"id": missing})["node"] is None
