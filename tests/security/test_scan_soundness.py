"""The lexical scan never refuses a valid document for an unknown field: every query and
mutation hypothesis-graphql builds from the gateway's schema (aliases, fragments, arguments,
directives, introspection) passes the field check, however short (the size threshold off)."""

from __future__ import annotations

import pytest
from graphql import get_introspection_query, parse, validate
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from gateway.graphql import build_schema
from gateway.security import lexical
from gateway.security.parsing import field_vocabulary

SCHEMA = build_schema()._schema
KNOWN = field_vocabulary(SCHEMA)
# Plain valid values: the check reads names, never values.
SCALARS = {
    "CommerceProductId": st.just(nodes.String("P-1")),
    "DateTime": st.just(nodes.String("2026-12-02T10:00:00Z")),
    "Decimal": st.just(nodes.String("1.5")),
    "JSON": st.just(nodes.String("x")),
}


@pytest.fixture(autouse=True)
def every_document_is_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexical, "SMALL_DOCUMENT_TOKENS", 0)


def _scan(query: str) -> object:
    return lexical.scan_document(
        query, max_tokens=None, max_depth=None, max_repeated=None, known_fields=KNOWN
    )


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(query=queries(SCHEMA, custom_scalars=SCALARS) | mutations(SCHEMA, custom_scalars=SCALARS))
def test_valid_documents_pass_the_field_check(query: str) -> None:
    assume(validate(SCHEMA, parse(query)) == [])
    assert _scan(query) is None


def test_graphiqls_introspection_query_passes_the_field_check() -> None:
    assert _scan(get_introspection_query(descriptions=True, input_value_deprecation=True)) is None


def test_a_made_up_field_is_found_however_short() -> None:
    refused = _scan("{ __typename nope }")
    assert refused is not None and "'nope'" in refused.message
