"""Errors as GraphQL shows them: a gateway error's ``code``, ``upstream``, ``item``, ``status``
go into ``extensions``; nothing else of an exception is shown but its message."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.errors import GatewayError

__all__ = ["GatewayErrorExtensions"]


def _with_extensions(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, GatewayError):
        error.extensions = {**(error.extensions or {}), **original.extensions()}
        error.message = original.message
    return error


class GatewayErrorExtensions(SchemaExtension):
    """Copies each gateway error's extensions onto its GraphQL error."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [_with_extensions(e) for e in errors]  # type: ignore[union-attr]
