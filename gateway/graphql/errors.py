"""Errors as GraphQL shows them.

| raised in a resolver | the client sees |
| --- | --- |
| a ``GatewayError`` | its message and ``extensions`` (code, upstream, item, status) |
| a ``GraphQLError`` | as raised (limits, scalars) |
| a syntax error | its message, ``code: GRAPHQL_PARSE_FAILED`` |
| a validation error (graphql-core's "Validation aborted." too) | its message, ``code: GRAPHQL_VALIDATION_FAILED`` |
| a scalar refusing a literal (a validation error with a ``ValueError`` inside) | the scalar's message, ``code: GRAPHQL_VALIDATION_FAILED``, never masked |
| anything else | "Internal server error." with ``code: INTERNAL_SERVER_ERROR`` and an ``errorId``; the traceback goes to the log under that id, never to the client: the first of its kind (type, location) per minute, the others counted (a debug line each, a count once the minute is over) |
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    Node,
    ObjectFieldNode,
    Visitor,
    visit,
)
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from gateway.errors import GatewayError
from gateway.observability.sampling import TracebackSampler, kind_of

log = logging.getLogger("gateway.errors")

# Requests strawberry refuses before execution; over a stream they come back as results.
_STRAWBERRY_REQUEST_ERRORS = (
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
    MissingQueryError,
)

__all__ = ["PARSE_FAILED", "SAMPLER", "VALIDATION_FAILED", "GatewayErrorExtensions"]

# One per process: an unexpected error's traceback is logged once per kind and minute.
SAMPLER = TracebackSampler(interval=60.0)

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


def _code_all(
    errors: list[GraphQLError] | None, code: str, document: DocumentNode | None = None
) -> None:
    """Each error without a code gets ``code``; one wrapping a foreign exception (a scalar's
    ``ValueError`` on a literal) is rebuilt without it, so nothing later masks it, and named
    after the argument it sits in.

    In place: strawberry has already put this very list into the result it returns.
    """
    if errors:
        errors[:] = [
            e if (e.extensions or {}).get("code") else _request_error(e, code, document)
            for e in errors
        ]


def _request_error(error: GraphQLError, code: str, document: DocumentNode | None) -> GraphQLError:
    extensions = {**(error.extensions or {}), "code": code}
    if error.original_error is None or isinstance(error.original_error, GraphQLError):
        error.extensions = extensions
        return error
    names = _names_around(document, error.nodes[0]) if document and error.nodes else []
    message = error.message
    if names:
        extensions["argument"] = names[0]
        inner = f" (field '{'.'.join(names[1:])}')" if len(names) > 1 else ""
        message = f"Argument '{names[0]}'{inner}: {message}"
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        extensions=extensions,
    )


def _names_around(document: DocumentNode, node: Node) -> list[str]:
    """The argument, then the input fields, whose value holds ``node`` (outermost first)."""
    if node.loc is None:
        return []
    start, end = node.loc.start, node.loc.end
    names: list[str] = []

    class _Around(Visitor):
        def enter(self, visited: Node, *_: Any) -> None:
            named = isinstance(visited, (ArgumentNode, ObjectFieldNode))
            loc = visited.loc
            if named and loc is not None and loc.start <= start and end <= loc.end:
                names.append(visited.name.value)  # type: ignore[attr-defined]

    visit(document, _Around())
    return names


def _with_extensions(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, GatewayError):
        error.extensions = {**(error.extensions or {}), **original.extensions()}
        error.message = original.message
        return error
    if original is None or isinstance(original, (GraphQLError, *_STRAWBERRY_REQUEST_ERRORS)):
        return error
    error_id = uuid.uuid4().hex
    _log_unexpected(error_id, error, original)
    return GraphQLError(
        "Internal server error.",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    )


def _log_unexpected(error_id: str, error: GraphQLError, original: BaseException) -> None:
    """The first traceback of a kind per minute; the rest are counted (see ``sampling``)."""
    for (name, where), untold in SAMPLER.ended():
        log.error(
            "%d more unexpected %s at %s in the last %.0f s", untold, name, where, SAMPLER.interval
        )
    kind = kind_of(original)
    if SAMPLER.admit(kind):
        log.error("unexpected error %s at %s", error_id, error.path, exc_info=original)
    else:
        log.debug(
            "unexpected error %s at %s: %s at %s (traceback sampled)", error_id, error.path, *kind
        )


class GatewayErrorExtensions(SchemaExtension):
    """Copies each gateway error's extensions onto its GraphQL error; masks the unexpected."""

    def on_validate(self) -> Iterator[None]:
        yield
        context = self.execution_context
        _code_all(context.pre_execution_errors, VALIDATION_FAILED, context.graphql_document)

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        try:
            yield
        except GraphQLError as error:
            # An extension's own parse (the limits' token cap) raises through the hooks.
            if context.graphql_document is None:
                _code_all([error], PARSE_FAILED)
            raise
        result = context.result
        errors = getattr(result, "errors", None)
        if errors and context.graphql_document is None:
            # No document: the parse failed (in strawberry's parse or an extension's own).
            _code_all(errors, PARSE_FAILED)
        if errors:
            result.errors = [_with_extensions(e) for e in errors]  # type: ignore[union-attr]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # A subscription's results leave one by one, long before its operation ends.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [_with_extensions(e) for e in errors]
        yield
