"""Variable values that do not coerce are the caller's input error: ``BAD_USER_INPUT``.

graphql-core refuses them before execution (``{"n": "x"}`` for ``$n: Int!``, a required
variable left out, a custom scalar refusing the value) with errors located at the variable's
definition and no code; Apollo Server calls them ``BAD_USER_INPUT``, and so does the gateway.
An error wrapping a scalar's own exception is rebuilt without it, so that error masking
(which hides foreign exceptions as internal errors) leaves the scalar's message alone.

The HTTP status stays the one for request errors (``gateway.http.outcomes``): 400 under
``application/graphql-response+json``, 200 under ``application/json``.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, VariableDefinitionNode
from strawberry.extensions import SchemaExtension

__all__ = ["BAD_USER_INPUT", "VariableErrors", "is_variable_error"]

BAD_USER_INPUT = "BAD_USER_INPUT"


def is_variable_error(error: GraphQLError) -> bool:
    """Whether ``error`` is graphql-core's refusal of a variable's value."""
    nodes = error.nodes or ()
    return (
        error.path is None
        and bool(nodes)
        and all(isinstance(node, VariableDefinitionNode) for node in nodes)
    )


def _coded(error: GraphQLError) -> GraphQLError:
    if (error.extensions or {}).get("code") or not is_variable_error(error):
        return error
    extensions = {**(error.extensions or {}), "code": BAD_USER_INPUT}
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        error.extensions = extensions
        return error
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        extensions=extensions,
    )


class VariableErrors(SchemaExtension):
    """Gives variable coercion errors ``extensions.code: BAD_USER_INPUT``."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors and getattr(result, "data", None) is None:
            # In place: strawberry returns this very list.
            errors[:] = [_coded(e) for e in errors]
