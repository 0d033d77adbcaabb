"""Errors as GraphQL shows them.

| raised in a resolver | the client sees |
| --- | --- |
| a ``GatewayError`` | its message and ``extensions`` (code, upstream, item, status) |
| a ``GraphQLError`` | as raised (validation, limits, scalars) |
| anything else | "Internal server error." with ``code: INTERNAL_SERVER_ERROR`` and an ``errorId``; the traceback goes to the log under that id, never to the client |
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from gateway.errors import GatewayError

log = logging.getLogger("gateway.errors")

# Requests strawberry refuses before execution; over a stream they come back as results.
_STRAWBERRY_REQUEST_ERRORS = (
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
    MissingQueryError,
)

__all__ = ["GatewayErrorExtensions"]


def _with_extensions(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, GatewayError):
        error.extensions = {**(error.extensions or {}), **original.extensions()}
        error.message = original.message
        return error
    if original is None or isinstance(original, (GraphQLError, *_STRAWBERRY_REQUEST_ERRORS)):
        return error
    error_id = uuid.uuid4().hex
    log.error("unexpected error %s at %s", error_id, error.path, exc_info=original)
    return GraphQLError(
        "Internal server error.",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    )


class GatewayErrorExtensions(SchemaExtension):
    """Copies each gateway error's extensions onto its GraphQL error; masks the unexpected."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [_with_extensions(e) for e in errors]  # type: ignore[union-attr]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # A subscription's results leave one by one, long before its operation ends.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [_with_extensions(e) for e in errors]
        yield
