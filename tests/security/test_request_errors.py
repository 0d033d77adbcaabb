"""Request errors carry a code, and a scalar refusing a literal is a validation error.

Issue 14, "Errors": parse errors are ``GRAPHQL_PARSE_FAILED``, validation errors (graphql-core's
"Validation aborted." too) ``GRAPHQL_VALIDATION_FAILED``; a custom scalar that refuses a
literal answers with its own message as a validation error, never "Internal server error.".
Each is sent over HTTP and must cost no upstream call.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from tests.conftest import WRITER_KEY, GatewayStack

NO_CALLS = {"pim": 0, "omnicommerce": 0, "citrusad": 0}


def _refused(stack: GatewayStack, query: str, variables: dict[str, Any] | None = None) -> Any:
    stack.clear_logs()
    body = stack.query(query, variables)
    assert "data" not in body or body["data"] is None, body
    assert stack.upstream_calls() == NO_CALLS
    return body["errors"]


def test_a_syntax_error_is_graphql_parse_failed(stack: GatewayStack) -> None:
    (error,) = _refused(stack, "{ product(")
    assert error["message"].startswith("Syntax Error")
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def test_a_parse_failure_answers_400_as_graphql_response_json(stack: GatewayStack) -> None:
    answer = httpx.post(
        stack.url,
        json={"query": "query {"},
        headers={"X-API-Key": WRITER_KEY, "Accept": "application/graphql-response+json"},
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def test_an_unknown_field_is_graphql_validation_failed(stack: GatewayStack) -> None:
    (error,) = _refused(stack, "{ nope }")
    assert "nope" in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_validation_aborted_carries_a_code(stack: GatewayStack) -> None:
    # More than graphql-core's 100 validation errors: it stops with "Validation aborted."
    fields = " ".join(f"n{i}" for i in range(120))
    errors = _refused(stack, f'{{ product(tid: "x") {{ {fields} }} }}')
    assert any("Validation aborted" in e["message"] for e in errors)
    assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}


# Every custom scalar an argument or input field takes, each given a literal it refuses.
BAD_LITERALS = [
    pytest.param('{ commerceProduct(id: "") { id } }', "OMNICOMMERCE product id", id="id-empty"),
    pytest.param('{ commerceProduct(id: "a/b") { id } }', "OMNICOMMERCE product id", id="id-slash"),
    pytest.param(
        '{ searchProducts(modifiedFrom: "yesterday") { totalCount } }',
        "DateTime",
        id="datetime",
    ),
    pytest.param(
        'mutation { syncCatalogProducts(products: [{gtin: "4000000000015", inventory: 1,'
        ' price: "cheap"}]) { __typename } }',
        "Decimal",
        id="decimal",
    ),
    pytest.param(
        'mutation { registerCommerceProducts(products: [{id: "a b", url: "https://x.test/a.png",'
        ' detection: "TOP"}]) { __typename } }',
        "OMNICOMMERCE product id",
        id="id-in-input",
    ),
]


def test_a_refused_literal_names_its_argument_and_field(stack: GatewayStack) -> None:
    (error,) = _refused(stack, '{ commerceProduct(id: "a/b") { id } }')
    assert error["message"].startswith("Argument 'id': ")
    assert error["extensions"]["argument"] == "id"
    errors = _refused(
        stack,
        'mutation { registerCommerceProducts(products: [{id: "a b", url: "https://x.test/a.png",'
        ' detection: "TOP"}]) { __typename } }',
    )
    named = [e for e in errors if "OMNICOMMERCE product id" in e["message"]]
    assert named[0]["message"].startswith("Argument 'products' (field 'id'): ")
    assert named[0]["extensions"]["argument"] == "products"


@pytest.mark.parametrize(("query", "said"), BAD_LITERALS)
def test_a_scalar_refusing_a_literal_is_a_validation_error(
    stack: GatewayStack, query: str, said: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="gateway.errors"):
        errors = _refused(stack, query)
    assert errors, errors
    for error in errors:
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", error
        assert "Internal server error" not in error["message"]
    assert any(said in e["message"] for e in errors), errors
    assert not [r for r in caplog.records if "unexpected error" in r.getMessage()]


def test_the_same_value_as_a_variable_is_refused_too(stack: GatewayStack) -> None:
    errors = _refused(
        stack, "query ($id: CommerceProductId!) { commerceProduct(id: $id) { id } }", {"id": "a/b"}
    )
    assert "OMNICOMMERCE product id" in errors[0]["message"]
    assert errors[0].get("extensions", {}).get("code") != "INTERNAL_SERVER_ERROR"


# --- input the PIM's XML cannot carry ---------------------------------------------------------

XML_HOSTILE = [
    pytest.param(
        'mutation { copyProduct(tid: "P-1", newTid: "A\\u000eB") { __typename } }',
        "newProductTid",
        id="copy-newTid-U+000E",
    ),
    pytest.param(
        'mutation { copyProduct(tid: "P-1", newName: "A\\u0000B") { __typename } }',
        "newProductName",
        id="copy-newName-NUL",
    ),
    pytest.param(
        'mutation { saveProducts(products: [{tid: "X\\u0001", name: "x"}]) { __typename } }',
        "tid",
        id="save-tid-U+0001",
    ),
    pytest.param(
        'mutation { saveProducts(products: [{tid: "NEW-1", name: "bad\\u001fname"}]) '
        "{ __typename } }",
        "name",
        id="save-name-U+001F",
    ),
]


@pytest.mark.parametrize(("query", "field"), XML_HOSTILE)
def test_a_character_xml_cannot_carry_is_bad_user_input_before_any_call(
    stack: GatewayStack, query: str, field: str, caplog: pytest.LogCaptureFixture
) -> None:
    stack.clear_logs()
    with caplog.at_level(logging.ERROR, logger="gateway.errors"):
        body = stack.query(query)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["item"] == field
    assert "XML cannot carry" in error["message"]
    assert stack.upstream_calls() == NO_CALLS
    assert not [r for r in caplog.records if "unexpected error" in r.getMessage()]
