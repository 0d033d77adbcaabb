"""Tells the request's stats which operation ran, for its log line and metrics."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from gateway.observability.request_stats import current_request

__all__ = ["RecordOperation"]


class RecordOperation(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        stats = current_request()
        if stats is not None:
            context = self.execution_context
            stats.operation_name = context.operation_name
            stats.operation_type = context.operation_type.value
        yield
