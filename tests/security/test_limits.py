from __future__ import annotations

import time
from typing import Any

import pytest
import strawberry
from graphql import get_introspection_query
from strawberry.extensions import SchemaExtension

from gateway.security.limits import (
    CostModel,
    LimitPasses,
    OperationLimitsExtension,
    limit_extensions,
    strip_suggestions,
)
from gateway.settings import Settings

calls: list[str] = []


@strawberry.type
class Item:
    name: str

    @strawberry.field
    def parent(self) -> Item:
        calls.append("parent")
        return Item(name="parent")

    @strawberry.field
    def children(self, first: int | None = None) -> list[Item]:
        calls.append("children")
        return [Item(name="child")]


@strawberry.type
class ItemEdge:
    node: Item


@strawberry.type
class ItemConnection:
    edges: list[ItemEdge]


@strawberry.type
class Query:
    @strawberry.field
    def search(self, first: int = 10) -> ItemConnection:
        calls.append("search")
        return ItemConnection(edges=[ItemEdge(node=Item(name="found"))])

    @strawberry.field
    def item(self) -> Item:
        calls.append("item")
        return Item(name="item")

    @strawberry.field
    def items(self, ids: list[str]) -> list[Item]:
        calls.append("items")
        return [Item(name=i) for i in ids]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def rename(self, name: str) -> Item:
        calls.append("rename")
        return Item(name=name)


def _schema(cost_model: CostModel | None = None, **settings: Any) -> strawberry.Schema:
    extensions: list[type[SchemaExtension] | Any] = limit_extensions(
        Settings(**settings), cost_model=cost_model
    )
    return strawberry.Schema(Query, Mutation, extensions=extensions)


async def _codes(
    query: str, schema: strawberry.Schema | None = None, **kwargs: Any
) -> list[str | None]:
    """The ``extensions.code`` of each error; ``[]`` means it ran. Resolvers must not run
    when an operation is refused."""
    calls.clear()
    result = await (schema or _schema()).execute(query, **kwargs)
    codes = [(e.extensions or {}).get("code") for e in result.errors or ()]
    if codes:
        assert calls == [] and result.data is None
    return codes


def _nested(depth: int) -> str:
    return "{ item { " + "parent { " * (depth - 2) + "name" + " }" * (depth - 1) + " }"


async def test_a_query_within_limits_runs() -> None:
    assert await _codes(_nested(15)) == []
    assert calls == ["item"] + ["parent"] * 13


async def test_sixty_deep_query_is_refused() -> None:
    assert await _codes(_nested(16)) == ["MAX_DEPTH_LIMIT"]
    assert await _codes(_nested(60)) == ["MAX_DEPTH_LIMIT"]


async def test_thousand_deep_document_is_refused_while_parsing() -> None:
    # Within the token limit the depth limit says why; past it, the token limit does.
    assert await _codes(_nested(300)) == ["MAX_DEPTH_LIMIT"]
    assert await _codes("{a" * 1000 + "}" * 1000) == ["MAX_TOKENS_LIMIT"]


async def test_depth_through_fragments_is_counted() -> None:
    fragments = "".join(
        f"fragment F{i} on Item {{ parent {{ ...F{i + 1} }} }}\n" for i in range(20)
    )
    query = "{ item { ...F0 } }\n" + fragments + "fragment F20 on Item { name }"
    assert await _codes(query) == ["MAX_DEPTH_LIMIT"]


async def test_introspection_depth_is_counted() -> None:
    of_type = "ofType { " * 14 + "name" + " }" * 14
    query = "{ __schema { types { fields { type { " + of_type + " } } } } }"
    assert await _codes(query) == ["MAX_DEPTH_LIMIT"]
    via_type = '{ __type(name: "Item") { fields { type { ' + of_type + " } } } }"
    assert await _codes(via_type) == ["MAX_DEPTH_LIMIT"]


async def test_graphiql_introspection_query_passes_the_defaults() -> None:
    assert await _codes(get_introspection_query(descriptions=True)) == []


async def test_three_hundred_aliases_are_refused() -> None:
    aliases = " ".join(f"a{i}: name" for i in range(300))
    assert await _codes("{ item { " + aliases + " } }") == ["MAX_ALIASES_LIMIT"]


async def test_aliases_in_a_fragment_count_at_every_spread() -> None:
    fragment = "fragment A on Item { " + " ".join(f"a{i}: name" for i in range(4)) + " }"
    spreads = " ".join(f"c{i}: children {{ ...A }}" for i in range(3))  # 3 + 3 * 4 = 15
    assert await _codes("{ item { " + spreads + " } }" + fragment) == []
    spreads = " ".join(f"p{i}: parent {{ ...A }}" for i in range(8))  # 8 + 8 * 4 = 40
    assert await _codes("{ item { " + spreads + " } }" + fragment) == ["MAX_ALIASES_LIMIT"]
    many = "{ item { ...A ...A ...A ...A ...A ...A ...A ...A } }"  # 8 * 4 = 32, no alias at site
    assert await _codes(many + fragment) == ["MAX_ALIASES_LIMIT"]


async def test_exponential_fragment_fan_out_is_measured_fast_and_refused() -> None:
    # F0 spreads F1 twice, F1 spreads F2 twice, ...: 2**15 aliases if expanded naively (15
    # levels: "x" is selected 15 times in F0's set, within the repeated-fields limit).
    levels = 15
    fragments = [
        f"fragment F{i} on Item {{ x: parent {{ name }} ...F{i + 1} ...F{i + 1} }}"
        for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on Item {{ y: name }}")
    started = time.perf_counter()
    codes = await _codes("{ item { ...F0 } }\n" + "\n".join(fragments))
    assert codes == ["MAX_ALIASES_LIMIT", "MAX_COST_LIMIT"]
    assert time.perf_counter() - started < 1.0


async def test_root_fields_are_limited_through_fragments() -> None:
    roots = " ".join(f"i{i}: item {{ name }}" for i in range(5))
    schema = _schema(max_root_fields=5, max_aliases=100)
    assert await _codes("{ " + roots + " }", schema) == []
    query = "query { ...R ...R } fragment R on Query { " + roots + " }"
    assert await _codes(query, schema) == ["MAX_ROOT_FIELDS_LIMIT"]


async def test_token_limit() -> None:
    schema = _schema(max_tokens=50, max_repeated_fields=100)
    assert await _codes("{ item { " + "name " * 20 + "} }", schema) == []
    assert await _codes("{ item { " + "name " * 60 + "} }", schema) == ["MAX_TOKENS_LIMIT"]


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        ("{ item { name } }", None, 1),
        ("{ item { parent { name } } }", None, 2),
        ('{ items(ids: ["a", "b", "c"]) { parent { name } } }', None, 1 + 3),
        # first: sizes the list and its page loads (batches of 100): own + pages + size * inner
        ("{ item { children(first: 50) { parent { name } } } }", None, 1 + 1 + 1 + 50),
        ("{ item { children { parent { name } } } }", None, 1 + 1 + 10),
        # Lists are not capped: 5,000 items cost 5,000.
        ("{ item { children(first: 5000) { parent { name } } } }", None, 1 + 1 + 50 + 5000),
        (
            "query Q($n: Int) { item { children(first: $n) { parent { name } } } }",
            {"n": 7},
            1 + 1 + 1 + 7,
        ),
        # A list argument is fetched 100 keys per call: 250 ids are 3 calls.
        ("{ items(ids: [" + '"a",' * 250 + "]) { name } }", None, 3),
        (
            "query Q($ids: [String!]!) { items(ids: $ids) { parent { name } } }",
            {"ids": ["a"] * 4},
            1 + 4,
        ),
        ("{ __schema { types { name fields { name } } } }", None, 0),
        # A connection is sized by its first; its edges are not multiplied again.
        ("{ search(first: 50) { edges { node { children { name } } } } }", None, 1 + 1 + 50 * 3),
    ],
)
async def test_cost_model(query: str, variables: dict[str, Any] | None, cost: int) -> None:
    # Refused at exactly cost - 1: the estimate is what the docstring table promises.
    allowed = _schema(max_query_cost=max(cost, 1))
    assert await _codes(query, allowed, variable_values=variables) == []
    if cost > 1:
        refused = await _codes(query, _schema(max_query_cost=cost - 1), variable_values=variables)
        assert refused == ["MAX_COST_LIMIT"]


async def test_cost_table_is_a_parameter() -> None:
    model = CostModel(field_costs={"Item.parent": 40}, default_list_size=3)
    schema = _schema(model, max_query_cost=100)
    assert await _codes("{ item { children { name } } }", schema) == []
    assert await _codes("{ item { children { parent { name } } } }", schema) == [
        "MAX_COST_LIMIT"
    ]  # 1 + 1 + 3 * 40 = 122


async def test_only_the_chosen_operation_is_measured() -> None:
    document = "query Small { item { name } }\nquery Big " + _nested(40)
    assert await _codes(document, operation_name="Small") == []
    assert await _codes(document, operation_name="Big") == ["MAX_DEPTH_LIMIT"]


async def test_mutations_are_limited_too() -> None:
    assert await _codes(
        'mutation { rename(name: "x") { ' + "parent { " * 20 + "name" + " }" * 21
    ) == ["MAX_DEPTH_LIMIT"]


async def test_broken_documents_fail_validation_not_the_server() -> None:
    for query in (
        "{ item { ...Missing } }",
        "{ item { ...A } } fragment A on Item { parent { ...A } }",
        "{ item { nope { name } } }",
        "{ item { ... on Nope { name } } }",
    ):
        codes = await _codes(query)
        assert codes and None in codes


async def test_field_suggestions_hidden_in_production_shown_in_development() -> None:
    result = await _schema().execute("{ item { nam } }")
    assert result.errors is not None
    assert [e.message for e in result.errors] == ["Cannot query field 'nam' on type 'Item'."]
    dev = await _schema(development_mode=True).execute("{ item { nam } }")
    assert dev.errors is not None and "Did you mean 'name'?" in dev.errors[0].message


@strawberry.input
class Filter:
    name: str


@strawberry.type
class FindQuery:
    @strawberry.field
    def find(self, filter: Filter) -> str:
        return filter.name


async def test_suggestions_hidden_from_variable_errors_too() -> None:
    schema = strawberry.Schema(FindQuery, extensions=limit_extensions(Settings()))
    result = await schema.execute(
        "query F($f: Filter!) { find(filter: $f) }", variable_values={"f": {"nam": "x"}}
    )
    assert result.errors is not None
    assert all("Did you mean" not in e.message for e in result.errors)
    dev = strawberry.Schema(FindQuery, extensions=limit_extensions(Settings(development_mode=True)))
    shown = await dev.execute(
        "query F($f: Filter!) { find(filter: $f) }", variable_values={"f": {"nam": "x"}}
    )
    assert shown.errors is not None and any("Did you mean" in e.message for e in shown.errors)


@pytest.mark.parametrize(
    ("message", "stripped"),
    [
        (
            "Cannot query field 'nam' on type 'Q'. Did you mean 'name'?",
            "Cannot query field 'nam' on type 'Q'.",
        ),
        ("Unknown type 'Itm'. Did you mean 'Item', 'Items', or 'Iter'?", "Unknown type 'Itm'."),
        (
            "Cannot query field 'x' on type 'U'. Did you mean to use an inline fragment on 'A'?",
            "Cannot query field 'x' on type 'U'.",
        ),
        ("Syntax Error: Unexpected '}'.", "Syntax Error: Unexpected '}'."),
    ],
)
def test_strip_suggestions(message: str, stripped: str) -> None:
    assert strip_suggestions(message) == stripped


def _passes(schema: strawberry.Schema) -> LimitPasses:
    limits = next(
        e for e in schema.extensions if getattr(e, "func", None) is OperationLimitsExtension
    )
    passes = limits.keywords["passes"]
    assert isinstance(passes, LimitPasses)
    return passes


async def test_a_text_within_the_limits_without_variables_is_measured_once() -> None:
    schema = _schema()
    passes = _passes(schema)
    assert await _codes("{ item { name } }", schema) == []
    assert len(passes) == 1
    assert await _codes("{ item { name } }", schema) == []
    assert len(passes) == 1
    # Kept per operation name: the other operation of the same text is measured on its own.
    document = "query Small { item { name } }\nquery Big " + _nested(40)
    assert await _codes(document, schema, operation_name="Small") == []
    assert await _codes(document, schema, operation_name="Big") == ["MAX_DEPTH_LIMIT"]
    assert await _codes(document, schema, operation_name="Big") == ["MAX_DEPTH_LIMIT"]
    assert len(passes) == 2  # a refusal is never kept


async def test_a_text_whose_cost_reads_a_variable_is_measured_every_time() -> None:
    schema = _schema(max_query_cost=100)
    passes = _passes(schema)
    query = "query Q($n: Int!) { search(first: $n) { edges { node { name } } } }"
    assert await _codes(query, schema, variable_values={"n": 5}) == []
    assert await _codes(query, schema, variable_values={"n": 5000}) == ["MAX_COST_LIMIT"]
    many = "query Q($ids: [String!]!) { items(ids: $ids) { name } }"
    assert await _codes(many, schema, variable_values={"ids": ["a"]}) == []
    assert await _codes(
        many, _schema(max_ids_per_argument=3), variable_values={"ids": ["a"] * 4}
    ) == ["BAD_USER_INPUT"]
    assert len(passes) == 0


def test_limit_passes_keep_at_most_size_texts() -> None:
    passes = LimitPasses(size=2, max_text=10)
    schema = _schema()._schema
    for text in ("{ a }", "{ b }", "{ c }", "{ " + "d" * 20 + " }"):
        passes.add((schema, text, None))
    assert len(passes) == 2
    assert (schema, "{ a }", None) not in passes
    assert (schema, "{ c }", None) in passes
