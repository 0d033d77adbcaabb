"""JSON in and out of the endpoint, with orjson: fast, UTF-8 only, and depth-limited.

orjson refuses documents nested deeper than 1024 levels with a ``JSONDecodeError`` (the
standard library would raise ``RecursionError`` and turn a bad request into a 500), and it
refuses invalid UTF-8, which the spec asks servers to assume.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson
from graphql import GraphQLError

__all__ = ["InvalidJson", "dumps", "error_payload", "loads", "result_payload"]


class InvalidJson(ValueError):
    """The body is not a JSON text (or not UTF-8)."""


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidJson(str(exc)) from exc


def _default(value: object) -> object:
    # Custom scalars should serialize to JSON types; exact decimals are the one that slips.
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default)


def result_payload(
    data: Any,
    errors: Sequence[GraphQLError] | None,
    extensions: Mapping[str, Any] | None,
    *,
    with_data: bool,
) -> dict[str, Any]:
    """A GraphQL response map; ``with_data`` is false for requests that never executed."""
    payload: dict[str, Any] = {}
    if errors:
        payload["errors"] = [error.formatted for error in errors]
    if with_data:
        payload["data"] = data
    if extensions:
        payload["extensions"] = dict(extensions)
    return payload


def error_payload(message: str, extensions: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A response with one error and no ``data``, for requests refused before GraphQL."""
    error: dict[str, Any] = {"message": message}
    if extensions:
        error["extensions"] = dict(extensions)
    return {"errors": [error]}
