"""Scopes per operation: queries and subscriptions need ``read``, mutations ``write``; checked
before execution, so a refused operation makes no upstream call."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from gateway.errors import Forbidden
from gateway.security import scope_for_operation

__all__ = ["OperationScopes"]


class OperationScopes(SchemaExtension):
    """Refuses the operation with FORBIDDEN when the caller lacks its scope.

    ``context.principal`` is ``None`` only for trusted in-process calls (the embedding API
    without a principal), which are allowed everything.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        principal = getattr(context.context, "principal", None)
        if principal is not None:
            needed = scope_for_operation(context.operation_type.value)
            if not principal.has(needed):
                refusal = Forbidden(f"the '{needed}' scope is required")
                if context.operation_type is OperationType.SUBSCRIPTION:
                    # strawberry subscribes without looking at a result set here: raising
                    # is what stops it (the error comes back as the stream's one result).
                    raise refusal
                context.result = ExecutionResult(
                    data=None,
                    errors=[GraphQLError(refusal.message, extensions=refusal.extensions())],
                )
        yield
