"""A GraphQL-over-HTTP request's parameters, read from a JSON body or a query string.

| parameter | POST body (JSON) | GET query string |
| --- | --- | --- |
| ``query`` | a string, required | text, required |
| ``variables`` | an object or null | JSON text of an object |
| ``operationName`` | a string or null | text |
| ``extensions`` | an object or null | JSON text of an object |

Anything else in the body is ignored; a wrong type is a ``Refusal`` with status 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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


def _bad(message: str) -> Refusal:
    return Refusal(400, message)


def _object_or_none(value: Any, name: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise _bad(f"The '{name}' parameter must be an object or null.")


def params_from_body(body: Any) -> GraphQLParams:
    """Parameters from one decoded JSON request (one element of a batch)."""
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object.")
    query = body.get("query")
    if query is None:
        raise _bad("The 'query' parameter is missing.")
    if not isinstance(query, str):
        raise _bad("The 'query' parameter must be a string.")
    operation_name = body.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise _bad("The 'operationName' parameter must be a string or null.")
    return GraphQLParams(
        query=query,
        variables=_object_or_none(body.get("variables"), "variables"),
        operation_name=operation_name,
        extensions=_object_or_none(body.get("extensions"), "extensions"),
    )


def _json_parameter(params: Mapping[str, str], name: str) -> dict[str, Any] | None:
    text = params.get(name)
    if not text:  # absent, or sent empty by a form: no value
        return None
    try:
        value = loads(text)
    except InvalidJson:
        raise _bad(f"The '{name}' parameter is not valid JSON.") from None
    return _object_or_none(value, name)


def params_from_query(params: Mapping[str, str]) -> GraphQLParams:
    """Parameters from a GET request's query string."""
    query = params.get("query")
    if query is None:
        raise _bad("The 'query' parameter is missing.")
    return GraphQLParams(
        query=query,
        variables=_json_parameter(params, "variables"),
        operation_name=params.get("operationName") or None,
        extensions=_json_parameter(params, "extensions"),
    )
