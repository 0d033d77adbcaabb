"""Every query of the schema contract, through HTTP against the emulators, with its data."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gateway.emulators.demo import demo_gtin, demo_tid
from gateway.graphql import build_schema
from gateway.graphql.examples import EXAMPLES
from gateway.graphql.globalid import encode_global_id
from tests.conftest import GatewayStack

SDL_FILE = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def _data(stack: GatewayStack, query: str, variables: dict[str, object] | None = None) -> dict:  # type: ignore[type-arg]
    answer = stack.query(query, variables)
    assert "errors" not in answer, answer["errors"]
    return answer["data"]  # type: ignore[no-any-return]


def test_product_by_tid_and_by_pim_id(stack: GatewayStack) -> None:
    by_tid = _data(stack, '{ product(tid: "DEMO-0002") { tid pimId name gtin } }')["product"]
    assert by_tid["tid"] == "DEMO-0002" and by_tid["gtin"] == demo_gtin(2)
    query = "query($id: Int!) { product(pimId: $id) { tid } }"
    by_id = _data(stack, query, {"id": by_tid["pimId"]})["product"]
    assert by_id["tid"] == "DEMO-0002"
    assert _data(stack, '{ product(tid: "NO-SUCH") { tid } }')["product"] is None


def test_product_needs_exactly_one_key(stack: GatewayStack) -> None:
    answer = stack.query('{ product(tid: "DEMO-0002", pimId: 1) { tid } }')
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert stack.upstream_calls()["pim"] == 0


def test_products_keep_order_and_nulls(stack: GatewayStack) -> None:
    query = "query($t: [String!]!) { products(tids: $t) { tid } }"
    found = _data(stack, query, {"t": ["DEMO-0003", "MISSING", "DEMO-0001"]})["products"]
    assert found == [{"tid": "DEMO-0003"}, None, {"tid": "DEMO-0001"}]


def test_localized_name_follows_argument_then_accept_language(stack: GatewayStack) -> None:
    query = '{ a: product(tid: "DEMO-0001") { value(attr: "product_title") { value de: value(locale: "de_DE") } } }'
    answer = stack.query(query, None, **{"Accept-Language": "de-DE,de;q=0.9"})
    value = answer["data"]["a"]["value"]
    assert value == {"value": "Demoprodukt 1", "de": "Demoprodukt 1"}
    english = stack.query(query)["data"]["a"]["value"]
    assert english["value"] == "Demo product 1"


def test_search_products_pages_with_cursors(stack: GatewayStack) -> None:
    query = """query($after: String) {
      searchProducts(nodePaths: ["/Standard/Bekleidung/Damen"], first: 10, after: $after) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { tid node { path } }
      }
    }"""
    first = _data(stack, query)["searchProducts"]
    assert len(first["nodes"]) == 10 and first["pageInfo"]["hasNextPage"]
    assert {n["node"]["path"] for n in first["nodes"]} == {"/Standard/Bekleidung/Damen"}
    second = _data(stack, query, {"after": first["pageInfo"]["endCursor"]})["searchProducts"]
    assert second["pageInfo"]["hasPreviousPage"]
    assert not {n["tid"] for n in first["nodes"]} & {n["tid"] for n in second["nodes"]}
    assert first["totalCount"] == second["totalCount"] >= 20


def test_classifications_and_tree(stack: GatewayStack) -> None:
    data = _data(
        stack,
        """{ classifications { tid } classification(tid: "Standard") { tid name
             rootNode { path level children { path level parent { path } } } } }""",
    )
    assert "Standard" in [c["tid"] for c in data["classifications"]]
    root = data["classification"]["rootNode"]
    assert (root["path"], root["level"]) == ("/Standard", 0)
    paths = [c["path"] for c in root["children"]]
    assert "/Standard/Bekleidung" in paths
    assert all(c["level"] == 1 for c in root["children"])


def test_classification_node_by_path_and_id(stack: GatewayStack) -> None:
    node = _data(
        stack,
        '{ classificationNode(path: "/Standard/Bekleidung") { pimId tid path children { path } } }',
    )["classificationNode"]
    assert node["tid"] == "Bekleidung"
    assert "/Standard/Bekleidung/Damen" in [c["path"] for c in node["children"]]
    again = _data(
        stack, "query($id: Int!) { classificationNode(pimId: $id) { path } }", {"id": node["pimId"]}
    )
    assert again["classificationNode"]["path"] == "/Standard/Bekleidung"


def test_attribute_definitions(stack: GatewayStack) -> None:
    data = _data(
        stack,
        """{ one: attributeDefinition(tid: "care_note") { tid type domainValues { key name(locale: "de_DE") } }
             all: attributeDefinitions { tid }
             some: attributeDefinitions(tids: ["gtin", "nope"]) { tid } }""",
    )
    keys = {d["key"]: d["name"] for d in data["one"]["domainValues"]}
    assert keys["Hand wash only"] == "Nur Handwäsche"
    assert {"gtin", "care_note", "product_title"} <= {d["tid"] for d in data["all"]}
    assert data["some"] == [{"tid": "gtin"}, None]


def test_attributes_of_a_node(stack: GatewayStack) -> None:
    data = _data(
        stack,
        '{ attributes(nodePaths: ["/Standard/Bekleidung"], includeInherited: true) { key nodePath definition { tid } } }',
    )
    assert data["attributes"], "the seeded node carries attributes"
    assert all(a["key"] for a in data["attributes"])


def test_catalog_products(stack: GatewayStack) -> None:
    data = _data(
        stack,
        """{ one: catalogProduct(gtin: "23556578965543") { gtin price profit name imageUrl brand categories inStock }
             many: catalogProducts(gtins: ["23556578965738", "0000"]) { gtin brand } }""",
    )
    one = data["one"]
    assert one["price"] == "19.99" and one["brand"] == "Covergirl"
    assert one["name"].startswith("Covergirl Clean 120")
    assert one["categories"] == ["Health&Beauty", "Grocery"]
    assert data["many"] == [{"gtin": "23556578965738", "brand": "Kelloggs"}, None]


def test_node_by_global_id(stack: GatewayStack) -> None:
    query = "query($id: ID!) { node(id: $id) { id __typename ... on Product { tid } ... on Variant { tid } } }"
    product = _data(stack, query, {"id": encode_global_id("Product", demo_tid(4))})["node"]
    assert product["tid"] == demo_tid(4) and product["__typename"] == "Product"
    variant_id = encode_global_id(
        "Variant", demo_tid(4), f"{demo_tid(4)}-A1", f"{demo_tid(4)}-A1-V1"
    )
    variant = _data(stack, query, {"id": variant_id})["node"]
    assert variant["__typename"] == "Variant" and variant["id"] == variant_id
    bad = stack.query(query, {"id": "%%%"})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["title"] for e in EXAMPLES])
def test_graphiql_examples_run_without_errors(stack: GatewayStack, example: dict) -> None:  # type: ignore[type-arg]
    answer = stack.query(example["query"], example.get("variables"))
    assert "errors" not in answer, answer["errors"]
    assert all(value is not None for value in answer["data"].values())


def test_graphiql_page_carries_the_examples(stack: GatewayStack) -> None:
    page = httpx.get(stack.url, headers={"Accept": "text/html"}).text
    assert 'id="gateway-examples"' in page
    assert "query OneProduct" in page


def test_checked_in_sdl_matches_the_schema() -> None:
    assert SDL_FILE.read_text() == str(build_schema()) + "\n", "run `make schema` to rewrite it"


def test_direct_attributes_of_a_node(stack: GatewayStack) -> None:
    data = _data(stack, '{ classificationNode(path: "/Standard") { attributes { key } } }')
    direct = [a["key"] for a in data["classificationNode"]["attributes"]]
    assert "gender" in direct
