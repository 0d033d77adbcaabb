"""Whether an operation ran, and the status and payload that say so, for every transport.

graphql-core fails parse, validation and variable coercion with ``data`` null and errors
that have no ``path``; a field error always has one, even when it nulls the whole ``data``.
That one test tells a request error (nothing ran) from an executed operation:

| first result | HTTP (``graphql-response+json``) | SSE | graphql-transport-ws |
| --- | --- | --- | --- |
| executed, with or without errors | 200 | 200, ``next`` events | ``next`` messages |
| not executed (parse, validation, scope, ...) | 400 or the app error's status | the same status, JSON | one ``error`` message |

Variable coercion errors (``BAD_USER_INPUT``) are request errors like validation errors: their
code does not pick a status, so ``application/json`` still answers them with 200.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from strawberry.types import ExecutionResult

from gateway.http.encoding import result_payload
from gateway.http.negotiation import GRAPHQL_RESPONSE_JSON
from gateway.http.refusals import extensions_of, http_status_of

__all__ = ["Outcome", "not_executed", "outcome_of", "payload_of", "status_of"]


@dataclass(slots=True)
class Outcome:
    """One operation's result, and whether it got as far as execution."""

    result: ExecutionResult
    executed: bool
    status: int | None = None  # asked for by an application error raised before execution


def not_executed(message: str, extensions: dict[str, Any] | None = None) -> Outcome:
    error = GraphQLError(message, extensions=extensions)
    return Outcome(ExecutionResult(data=None, errors=[error]), executed=False)


def outcome_of(result: ExecutionResult) -> Outcome:
    errors = result.errors or []
    if result.data is not None or not errors or any(e.path is not None for e in errors):
        return Outcome(result, executed=True)
    for error in errors:
        # An app error raised by a schema extension skips the schema's error formatting.
        if not error.extensions and error.original_error is not None:
            error.extensions = extensions_of(error.original_error) or {}
    statuses = (http_status_of(e.original_error or e) for e in errors if _picks_status(e))
    return Outcome(result, executed=False, status=next((s for s in statuses if s), None))


def _picks_status(error: GraphQLError) -> bool:
    """GraphQL's own input errors (variable coercion, too many ids: ``BAD_USER_INPUT`` with no
    exception behind it) keep the request-error status the audit expects (200 under
    ``application/json``); an application error raised before execution picks its own."""
    code = (error.extensions or {}).get("code")
    return not (error.original_error is None and code == "BAD_USER_INPUT")


def status_of(outcome: Outcome, media: str) -> int:
    if outcome.executed:
        return 200
    if outcome.status is not None:
        return outcome.status
    return 400 if media == GRAPHQL_RESPONSE_JSON else 200


def payload_of(outcome: Outcome) -> dict[str, Any]:
    result = outcome.result
    return result_payload(result.data, result.errors, result.extensions, with_data=outcome.executed)
