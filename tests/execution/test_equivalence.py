"""The fast path answers exactly as the normal path: same data, same errors, same upstream calls.

Each query runs on two in-process gateways in front of the same loopback emulators, one with
``GATEWAY_FAST_EXECUTION`` on and one with it off, with the read cache off so both make their
own upstream calls (the emulators' logs must show the same calls for each). Errors compare
in full (message, locations, path, extensions, order); only the random ``errorId`` of a
masked error is left out. Where errors come from different upstream calls, both paths list
them as the calls finish, so that one test compares them sorted by path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from gateway import Gateway
from gateway.emulators import citrusad, omnicommerce, pim
from gateway.emulators.serving import BackgroundServer
from gateway.graphql.examples import EXAMPLES
from gateway.graphql.globalid import encode_global_id
from gateway.settings import load_settings, with_embedded_upstreams
from tests.execution.comparable import comparable
from tests.schema.test_read_queries import DEEP

READ_EXAMPLES = [e for e in EXAMPLES if not e["query"].lstrip("# \n").count("mutation ")]

PRODUCT_FIELDS = """
fragment Item on ProductItem { __typename id tid pimId name status statusRaw creationDate
  modificationDate valueModificationDate values { attr kind kindRaw dataType dataTypeRaw nodePath
  inheritance inheritanceRaw parent value number dateTime boolean key
  entries { value locale position key number dateTime boolean } } }
"""

# Every typed accessor and enum over the document's own product (all eight kinds, all data
# types, several locales), with locale arguments that hit, fall back and miss.
TYPED_VALUES = """query($tid: String!, $loc: String) { product(tid: $tid) { status statusRaw
  values { attr kind kindRaw dataType dataTypeRaw inheritance inheritanceRaw
    value number dateTime boolean key
    de: value(locale: "de-DE") deNumber: number(locale: "de_DE") deDate: dateTime(locale: $loc)
    frBoolean: boolean(locale: "fr") frKey: key(locale: "fr_FR")
    entries(locale: "de-de") { value number }
    localizedEntries { value locale position number dateTime boolean key }
    fr: localizedEntries(locale: $loc) { value locale } } } }"""

# Localized names of every type, through the chain (the request's locale varies per run).
NAMES = """{ product(tid: "DEMO-0005") { name de: name(locale: "de") xx: name(locale: "xx_XX")
    value(attr: "product_title") { value en: value(locale: "en-gb") }
    articles { name variants { name } } node { name path parent { name } } }
  classifications { tid name fr: name(locale: "fr_FR") rootNode { name } }
  classificationNode(path: "/Standard/Bekleidung/Damen") { name children { name } }
  attributeDefinitions(tids: ["care_note", "material", "new1"]) { tid name type typeRaw
    domainValues { key name de: name(locale: "de_DE") } }
  attributes(nodePaths: ["/RootNode/ChildNode"], includeInherited: true) { key level levelRaw
    inheritance inheritanceRaw domainValues { key name } } }"""

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
    "typed values of the document's product": (
        TYPED_VALUES,
        {"tid": "78fc9abb-2223-40dc-ac3e-26d42102d050", "loc": "fr_FR"},
    ),
    "locale chain over every localized field": (NAMES, {}),
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
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One read model for both gateways: what one writes, both read."""
    return str(tmp_path_factory.mktemp("readmodel") / "gateway.sqlite3")


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


def _gateway(emulators: Emulators, database: str, fast: bool) -> Gateway:
    settings = load_settings(
        {
            "GATEWAY_FAST_EXECUTION": str(fast).lower(),
            "GATEWAY_CACHE_ENABLED": "false",
            "GATEWAY_DEVELOPMENT_MODE": "true",
            "GATEWAY_DATABASE": database,
        }
    )
    urls = {name: server.url for name, server in vars(emulators).items()}
    return Gateway(with_embedded_upstreams(settings, urls))


@pytest.fixture
async def gateways(emulators: Emulators, database: str) -> AsyncIterator[tuple[Gateway, Gateway]]:
    async with (
        _gateway(emulators, database, True) as fast,
        _gateway(emulators, database, False) as normal,
    ):
        yield fast, normal


async def _both(
    gateways: tuple[Gateway, Gateway],
    emulators: Emulators,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    retried: str | None = None,
    sort_errors: bool = False,
    locale: str | None = None,
) -> Any:
    fast, normal = gateways
    emulators.clear()
    expected = await normal.execute(query, variables, locale=locale)
    normal_calls = emulators.calls()
    emulators.clear()
    before = fast.schema.fast_execution.stats.fast  # type: ignore[attr-defined]
    answer = await fast.execute(query, variables, locale=locale)
    assert comparable(answer, sort_errors=sort_errors) == comparable(
        expected, sort_errors=sort_errors
    )
    calls = emulators.calls()
    if retried is not None:
        # How often a failing upstream is retried depends on timing (a shared retry budget),
        # on either path: its calls are left out.
        calls, normal_calls = (
            Counter({k: n for k, n in c.items() if not k.startswith(retried)})
            for c in (calls, normal_calls)
        )
    assert calls == normal_calls
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


COMMERCE = """query($s: CommerceStatus, $after: String) {
  commerceProducts(first: 5, status: $s, after: $after) { totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id productId status operation reason pending createdAt updatedAt
      url detection salesUrl mobileSalesUrl metadata accepted } }
    nodes { productId } }
  accepted: commerceProducts(status: ACCEPTED) { totalCount nodes { productId status } }
  one: commerceProduct(id: "A1000") { productId status metadata }
  none: commerceProduct(id: "NOPE") { productId }
}"""


async def test_commerce_reads_answer_alike(
    gateways: tuple[Gateway, Gateway], emulators: Emulators
) -> None:
    _, normal = gateways
    register = next(e for e in EXAMPLES if e["title"].startswith("OMNICOMMERCE: register"))
    registered = await normal.execute(register["query"], register["variables"])
    assert registered.ok, registered.errors
    for variables in ({"s": None}, {"s": "FAILED"}, {"after": "Y29tbWVyY2U6QTEwMDA="}):
        answer, fast_runs = await _both(gateways, emulators, COMMERCE, variables)
        assert fast_runs == 1
    assert answer.data["one"]["status"] == "ACCEPTED"


@pytest.mark.parametrize("accept_language", ["de-DE,de;q=0.9", "fr;q=0, it, *", "xx"])
async def test_the_locale_chain_answers_alike(
    accept_language: str, gateways: tuple[Gateway, Gateway], emulators: Emulators
) -> None:
    for query, variables in (
        CORPUS["locale chain over every localized field"],
        CORPUS["typed values of the document's product"],
    ):
        answer, fast_runs = await _both(
            gateways, emulators, query, variables, locale=accept_language
        )
        assert answer.ok, answer.errors
        assert fast_runs == 1


async def test_product_commerce_records_answer_alike(
    gateways: tuple[Gateway, Gateway], emulators: Emulators
) -> None:
    _, normal = gateways
    registered = await normal.execute(
        """mutation { registerCommerceProducts(products: [
             {id: "DEMO-0001", url: "https://images.example.com/1.jpg", detection: "TOP",
              salesUrl: "https://shop.example.com/DEMO-0001", metadata: {productName: "One"}},
             {id: "DEMO-0003", url: "https://images.example.com/3.jpg", detection: "TOP",
              salesUrl: "https://shop.example.com/DEMO-0003"}]) { ok } }"""
    )
    assert registered.errors == [], registered.errors
    answer, fast_runs = await _both(
        gateways,
        emulators,
        """query($id: ID!) { products(tids: ["DEMO-0001", "DEMO-0002", "DEMO-0003", "NOPE"]) {
             tid commerceProduct { id productId status operation reason metadata accepted } }
           node(id: $id) { ... on Product { commerceProduct { status } } } }""",
        {"id": encode_global_id("Product", "DEMO-0001")},
    )
    assert fast_runs == 1
    found = [p and p["commerceProduct"] for p in answer.data["products"]]
    assert [f and (f["productId"], f["status"]) for f in found] == [
        ("DEMO-0001", "ACCEPTED"),
        None,
        ("DEMO-0003", "ACCEPTED"),
        None,
    ]


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
            retried="citrusad",
        )
    finally:
        emulators.citrusad.app.state.faults.set(status=500, count=0)
    assert [e["path"] for e in answer.errors] == [
        ["products", i, "catalogProduct"] for i in range(3)
    ]
    assert answer.errors[0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert fast_runs == 1


async def test_errors_of_several_kinds_and_depths_are_the_same(
    gateways: tuple[Gateway, Gateway], emulators: Emulators
) -> None:
    emulators.citrusad.app.state.faults.set(status=500, count=1000)
    try:
        answer, fast_runs = await _both(
            gateways,
            emulators,
            """{ first: product(tid: "A", pimId: 1) { tid }
                 products(tids: ["DEMO-0001", "NOPE", "DEMO-0002"]) { tid
                   catalogProduct { gtin } node { path } }
                 later: product(pimId: 1, tid: "B") { tid }
                 catalogProduct(gtin: "4000000000015") { gtin } }""",
            retried="citrusad",
            # Errors from different upstream calls are listed as those calls finish, on
            # either path; within one field's batch the order is fixed (test above).
            sort_errors=True,
        )
    finally:
        emulators.citrusad.app.state.faults.set(status=500, count=0)
    assert len(answer.errors) == 5
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
