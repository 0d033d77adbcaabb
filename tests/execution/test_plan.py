"""Which operations the planner compiles, and how plans are reused."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse
from graphql.execution import Executor

from gateway.execution.fields import Kind
from gateway.execution.plan import OperationPlan, Planner
from gateway.graphql import build_schema

SCHEMA = build_schema()


def _plan(planner: Planner, query: str, variables: dict[str, Any] | None = None) -> Any:
    document = parse(query)
    executor = Executor.build(SCHEMA._schema, document, raw_variable_values=variables)
    assert isinstance(executor, Executor), executor
    return planner.plan(document, executor.operation, executor.fragments, executor.variable_values)


@pytest.mark.parametrize(
    "query",
    [
        'mutation { deleteProducts(tids: ["A"]) { ok } }',
        "{ __schema { queryType { name } } }",
        '{ __type(name: "Product") { name } }',
        '{ product(tid: "A") { tid @deprecated } }',
    ],
)
def test_the_normal_path_keeps_what_the_planner_refuses(query: str) -> None:
    assert _plan(Planner(SCHEMA), query) is None


def test_fields_get_their_kind_and_fragments_merge_by_response_key() -> None:
    plan = _plan(
        Planner(SCHEMA),
        """{ product(tid: "A") { __typename tid ...F node { path } name(locale: "de") } }
           fragment F on Product { tid catalogProduct { gtin } values { attr } }""",
    )
    assert isinstance(plan, OperationPlan)
    (root,) = plan.root.fields
    assert root.impl.kind is Kind.ASYNC
    product = root.children["Product"]
    kinds = {f.key: f.impl.kind for f in product.fields}
    assert kinds == {
        "__typename": Kind.TYPENAME,
        "tid": Kind.SYNC,
        "catalogProduct": Kind.BATCH,
        "values": Kind.SYNC,
        "node": Kind.BATCH,
        "name": Kind.SYNC,
    }
    name = next(f for f in product.fields if f.key == "name")
    assert name.static_kwargs == {"locale": "de"}


def test_plans_are_kept_per_document_and_skip_include_values() -> None:
    planner = Planner(SCHEMA)
    query = 'query($s: Boolean!) { product(tid: "A") { tid @skip(if: $s) name } }'
    document = parse(query)

    def plan_with(skip: bool) -> Any:
        executor = Executor.build(SCHEMA._schema, document, raw_variable_values={"s": skip})
        assert isinstance(executor, Executor)
        return planner.plan(
            document, executor.operation, executor.fragments, executor.variable_values
        )

    skipped, shown = plan_with(True), plan_with(False)
    assert plan_with(True) is skipped
    product = [f.key for f in skipped.root.fields[0].children["Product"].fields]
    assert product == ["name"]
    assert [f.key for f in shown.root.fields[0].children["Product"].fields] == ["tid", "name"]


def test_abstract_fields_plan_every_possible_type() -> None:
    plan = _plan(Planner(SCHEMA), '{ node(id: "x") { id ... on Product { tid } } }')
    (node,) = plan.root.fields
    assert node.abstract
    assert {"Product", "Article", "Variant", "ClassificationNode"} <= set(node.children)
    assert [f.key for f in node.children["Product"].fields] == ["id", "tid"]
    assert [f.key for f in node.children["Article"].fields] == ["id"]
