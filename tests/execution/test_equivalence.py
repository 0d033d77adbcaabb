"""The fast path answers exactly as the normal path: same data, same errors, same upstream calls.

Each query runs on two in-process gateways in front of the same loopback emulators, one with
``GATEWAY_FAST_EXECUTION`` on and one with it off, with the read cache off so both make their
own upstream calls (the emulators' logs must show the same calls for each). Errors compare
in full (message, locations, path, extensions, order); only the random ``errorId`` of a
masked error is left out.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from gateway import Gateway
from gateway.emulators import citrusad, omnicommerce, pim
from gateway.emulators.serving import BackgroundServer
from gateway.settings import load_settings, with_embedded_upstreams
from schema.examples import EXAMPLES
from schema.globalid import encode_global_id
from tests.schema.test_read_queries import DEEP

READ_EXAMPLES = [e for e in EXAMPLES if not e["query"].lstrip("# \n").count("mutation ")]

PRODUCT_FIELDS = """
fragment Item on ProductItem { __typename id tid pimId name status creationDate modificationDate
  valueModificationDate values { attr kind dataType nodePath inheritance parent value
  entries { value locale position key } } }
"""

CORPUS: dict[str, tuple[str, dict[str, Any]]] = {
    "deep 50": (DEEP, {"tids": [f"DEMO-{i:04d}" for i in range(1, 51)]}),
    "aliases and repeats": (
        """{ a: product(tid: "DEMO-0002") { tid t: tid name de: name(locale: "de_DE")
             en: name(locale: "en_GB") tid }
           b: product(pimId: 3) { tid } }""",
        {},
    ),
    "fragments on interfaces": (
        PRODUCT_FIELDS
        + """query($t: [String!]!) { products(tids: $t) { ...Item nodePath gtin links {
               type mode targets } articles { ...Item variants { ...Item
               ... on Variant { product { tid } } } product { tid } } } }""",
        {"t": ["DEMO-0001", "DEMO-0005", "DEMO-0300", "NOPE"]},
    ),
    "inline fragments, typename, skip and include": (
        """query($no: Boolean!, $yes: Boolean!) { product(tid: "DEMO-0003") { __typename
             ... on ProductItem { tid @include(if: $yes) name @skip(if: $yes) }
             ... on Node { id } node @skip(if: $no) { __typename path parent { path } } } }""",
        {"no": False, "yes": True},
    ),
    "values by attrs and value": (
        """query($a: [String!]) { product(tid: "DEMO-0010") {
             values(attrs: $a) { attr value(locale: "de-DE") entries(locale: "de_DE") { value } }
             value(attr: "gtin") { attr value definition { tid type multiValued name
               domainValues { key name } } }
             missing: value(attr: "nope") { attr } } }""",
        {"a": ["gtin", "product_title", "material"]},
    ),
    "search with cursors": (
        """query($after: String) { searchProducts(nodePaths: ["/Standard/Bekleidung"], first: 3,
             after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor
             endCursor } edges { cursor node { tid } } nodes { tid name } } }""",
        {"after": "b2Zmc2V0OjI="},
    ),
    "classification tree": (
        """{ classifications { tid name pimId rootNode { path level children { path name level
             children { path pimId } } } }
           classificationNode(path: "/Standard/Bekleidung") { path parent { path }
             attributes { key level localized defaultValues definition { tid }
               node { path } domainValues { key } }
             products(first: 2) { totalCount nodes { tid } } } }""",
        {},
    ),
    "definitions and attributes": (
        """{ attributeDefinitions(tids: ["gtin", "material", "nope"]) { id tid type name }
           attributeDefinition(tid: "gtin") { tid name(locale: "de_DE") }
           attributes(productTids: ["DEMO-0001"], includeInherited: true) { key nodePath
             node { tid } } }""",
        {},
    ),
    "catalog products": (
        """{ catalogProducts(gtins: ["00000000000000", "4000000000015"]) { gtin price profit
             tags filters groups imageUrl name brand categories locations hfss inStock } }""",
        {},
    ),
    "missing product": ('{ product(tid: "NOPE") { tid } products(tids: ["NOPE"]) { tid } }', {}),
    "bad user input, nullable": ('{ product(tid: "A", pimId: 1) { tid } gatewayVersion }', {}),
    "bad user input, non-null": ("{ products { tid } }", {}),
    "bad cursor": ('{ searchProducts(first: 2, after: "!!") { totalCount } }', {}),
    "unknown id": ('{ node(id: "eA") { id } }', {}),
}

RESTARTED = {"bad user input, non-null", "bad cursor"}


@dataclass
class Emulators:
    pim: BackgroundServer
    omnicommerce: BackgroundServer
    citrusad: BackgroundServer

    def calls(self) -> Counter[str]:
        return Counter(
            f"{name} {e.method} {e.path}"
            for name, server in vars(self).items()
            for e in server.app.state.log.entries()
        )

    def clear(self) -> None:
        for server in vars(self).values():
            server.app.state.log.clear()


@pytest.fixture(scope="module")
def emulators() -> Iterator[Emulators]:
    servers = Emulators(
        pim=BackgroundServer(pim.create_app(seed=True)).start(),
        omnicommerce=BackgroundServer(omnicommerce.create_app(seed=True)).start(),
        citrusad=BackgroundServer(citrusad.create_app(seed=True)).start(),
    )
    try:
        yield servers
    finally:
        for server in vars(servers).values():
            server.stop()


def _gateway(emulators: Emulators, fast: bool) -> Gateway:
    settings = load_settings(
        {
            "GATEWAY_FAST_EXECUTION": str(fast).lower(),
            "GATEWAY_CACHE_ENABLED": "false",
            "GATEWAY_DEVELOPMENT_MODE": "true",
        }
    )
    urls = {name: server.url for name, server in vars(emulators).items()}
    return Gateway(with_embedded_upstreams(settings, urls))


@pytest.fixture
async def gateways(emulators: Emulators) -> AsyncIterator[tuple[Gateway, Gateway]]:
    async with _gateway(emulators, True) as fast, _gateway(emulators, False) as normal:
        yield fast, normal


def _comparable(result: Any) -> str:
    errors = json.loads(json.dumps(result.errors))
    for error in errors:
        error.get("extensions", {}).pop("errorId", None)
    return json.dumps({"data": result.data, "errors": errors}, indent=1)


async def _both(
    gateways: tuple[Gateway, Gateway],
    emulators: Emulators,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    exact_calls: bool = True,
) -> Any:
    fast, normal = gateways
    emulators.clear()
    expected = await normal.execute(query, variables)
    normal_calls = emulators.calls()
    emulators.clear()
    before = fast.schema.fast_execution.stats.fast  # type: ignore[attr-defined]
    answer = await fast.execute(query, variables)
    assert _comparable(answer) == _comparable(expected)
    calls = emulators.calls()
    if exact_calls:
        assert calls == normal_calls
    else:  # retries share a budget: which key is retried depends on timing
        assert calls.total() == normal_calls.total()
    return answer, fast.schema.fast_execution.stats.fast - before  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", list(CORPUS))
async def test_corpus_answers_alike(
    name: str, gateways: tuple[Gateway, Gateway], emulators: Emulators
) -> None:
    query, variables = CORPUS[name]
    _, fast_runs = await _both(gateways, emulators, query, variables)
    # A non-null field's error nulls its parent: graphql-core answers those (run.Restart).
    assert fast_runs == (0 if name in RESTARTED else 1)


@pytest.mark.parametrize("example", READ_EXAMPLES, ids=[e["title"] for e in READ_EXAMPLES])
async def test_graphiql_examples_answer_alike(
    example: dict[str, Any], gateways: tuple[Gateway, Gateway], emulators: Emulators
) -> None:
    answer, fast_runs = await _both(gateways, emulators, example["query"], example.get("variables"))
    assert answer.ok, answer.errors
    assert fast_runs == 1


async def test_node_by_id_for_each_type(
    gateways: tuple[Gateway, Gateway], emulators: Emulators
) -> None:
    found, _ = await _both(
        gateways,
        emulators,
        """{ product(tid: "DEMO-0004") { id articles { id variants { id } }
             catalogProduct { id } node { id } values { definition { id } } }
           attributes(productTids: ["DEMO-0004"], includeInherited: true) { id }
           classification(tid: "Standard") { id } }""",
    )
    product, classification = found.data["product"], found.data["classification"]
    article = product["articles"][0]
    ids = [
        product["id"],
        article["id"],
        article["variants"][0]["id"],
        product["catalogProduct"]["id"],
        product["node"]["id"],
        *(a["id"] for a in found.data["attributes"][:2]),
        product["values"][0]["definition"]["id"],
        classification["id"],
        encode_global_id("Article", "DEMO-0004", "nope"),
    ]
    query = """query($id: ID!) { node(id: $id) { __typename id
      ... on ProductItem { tid name }
      ... on ClassificationNode { path }
      ... on Attribute { key definition { tid } node { path } }
      ... on AttributeDefinition { tid }
      ... on Classification { tid rootNode { path } }
      ... on CatalogProduct { gtin price } } }"""
    found_types: set[str | None] = set()
    for global_id in ids:
        answer, fast_runs = await _both(gateways, emulators, query, {"id": global_id})
        assert answer.ok, answer.errors
        found_types.add(answer.data["node"] and answer.data["node"]["__typename"])
        assert fast_runs == 1
    assert found_types == {
        None,
        "Product",
        "Article",
        "Variant",
        "AttributeDefinition",
        "Classification",
        "CatalogProduct",
        "ClassificationNode",
        "Attribute",
    }


async def test_failing_citrusad_gives_the_same_errors(
    gateways: tuple[Gateway, Gateway], emulators: Emulators
) -> None:
    emulators.citrusad.app.state.faults.set(status=500, count=1000)
    try:
        answer, fast_runs = await _both(
            gateways,
            emulators,
            """{ products(tids: ["DEMO-0001", "DEMO-0002", "DEMO-0003"]) { tid
                 catalogProduct { gtin } } }""",
            exact_calls=False,
        )
    finally:
        emulators.citrusad.app.state.faults.set(status=500, count=0)
    assert [e["path"] for e in answer.errors] == [
        ["products", i, "catalogProduct"] for i in range(3)
    ]
    assert answer.errors[0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert fast_runs == 1


async def test_mutations_and_introspection_take_the_normal_path(
    gateways: tuple[Gateway, Gateway], emulators: Emulators
) -> None:
    fast, _ = gateways
    stats = fast.schema.fast_execution.stats  # type: ignore[attr-defined]
    before = (stats.fast, stats.normal)
    await fast.execute("{ __schema { queryType { name } } }")
    await fast.execute('{ __type(name: "Product") { name } }')
    await fast.execute('mutation { deleteProducts(tids: ["NOPE"]) { results { status } } }')
    assert (stats.fast, stats.normal) == (before[0], before[1] + 3)


async def test_switched_off_never_takes_the_fast_path(
    gateways: tuple[Gateway, Gateway], emulators: Emulators
) -> None:
    _, normal = gateways
    stats = normal.schema.fast_execution.stats  # type: ignore[attr-defined]
    await normal.execute(*CORPUS["deep 50"])
    assert stats.fast == 0 and stats.normal >= 1
