"""A GraphQL-over-HTTP request's parameters, read from a JSON body or a query string.

| parameter | POST body (JSON) | GET query string |
| --- | --- | --- |
| ``query`` | a string, required | text, required |
| ``variables`` | an object or null | JSON text of an object |
| ``operationName`` | a string or null | text |
| ``extensions`` | an object or null | JSON text of an object |
| ``documentId`` | a string or null | text |

Anything else in the body is ignored; a wrong type is a ``Refusal`` with status 400.

With ``persisted=True`` (the HTTP endpoint) ``query`` may be left out when the request names a
persisted operation instead (``extensions.persistedQuery``, or ``documentId``): ``query`` is
then ``""`` and ``persisted`` (``gateway.http.persisted``) fills it in before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from gateway.http.encoding import InvalidJson, loads
from gateway.http.refusals import Refusal

__all__ = ["GraphQLParams", "params_from_body", "params_from_query"]


@dataclass(frozen=True, slots=True)
class GraphQLParams:
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None
    # A persisted document's id as GraphQL-over-HTTP persisted documents send it (Hive).
    document_id: str | None = None

    @property
    def names_persisted(self) -> bool:
        """Whether the request names a persisted operation (by hash or document id)."""
        return self.document_id is not None or "persistedQuery" in (self.extensions or {})


def _bad(message: str) -> Refusal:
    return Refusal(400, message)


def _object_or_none(value: Any, name: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise _bad(f"The '{name}' parameter must be an object or null.")


def _string_or_none(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _bad(f"The '{name}' parameter must be a string or null.")


def _with_query(params: GraphQLParams, query: Any, persisted: bool) -> GraphQLParams:
    if query is None:
        if persisted and params.names_persisted:
            return params  # its query comes from the persisted operations
        raise _bad("The 'query' parameter is missing.")
    if not isinstance(query, str):
        raise _bad("The 'query' parameter must be a string.")
    return replace(params, query=query)


def params_from_body(body: Any, *, persisted: bool = False) -> GraphQLParams:
    """Parameters from one decoded JSON request (one element of a batch)."""
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object.")
    params = GraphQLParams(
        query="",
        variables=_object_or_none(body.get("variables"), "variables"),
        operation_name=_string_or_none(body.get("operationName"), "operationName"),
        extensions=_object_or_none(body.get("extensions"), "extensions"),
        document_id=_string_or_none(body.get("documentId"), "documentId") if persisted else None,
    )
    return _with_query(params, body.get("query"), persisted)


def _json_parameter(params: Mapping[str, str], name: str) -> dict[str, Any] | None:
    text = params.get(name)
    if not text:  # absent, or sent empty by a form: no value
        return None
    try:
        value = loads(text)
    except InvalidJson:
        raise _bad(f"The '{name}' parameter is not valid JSON.") from None
    return _object_or_none(value, name)


def params_from_query(params: Mapping[str, str], *, persisted: bool = False) -> GraphQLParams:
    """Parameters from a GET request's query string."""
    parsed = GraphQLParams(
        query="",
        variables=_json_parameter(params, "variables"),
        operation_name=params.get("operationName") or None,
        extensions=_json_parameter(params, "extensions"),
        document_id=(params.get("documentId") or None) if persisted else None,
    )
    return _with_query(parsed, params.get("query"), persisted)
