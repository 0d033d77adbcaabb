"""Tells the request's stats which operation ran (for its log line and metrics), and traces
the operation when tracing is on."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from gateway.observability import tracing
from gateway.observability.request_stats import current_request

__all__ = ["RecordOperation", "TraceOperation"]


class RecordOperation(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        stats = current_request()
        if stats is not None:
            context = self.execution_context
            stats.operation_name = context.operation_name
            stats.operation_type = context.operation_type.value
        yield


class TraceOperation(SchemaExtension):
    """A ``graphql.operation`` span around the whole operation, child of the caller's
    ``traceparent`` when the request carries one."""

    def on_operation(self) -> Iterator[None]:
        if not tracing.enabled():
            yield
            return
        request = getattr(self.execution_context.context, "request", None)
        headers = dict(request.headers) if request is not None else {}
        with tracing.extract_context(headers), tracing.span("graphql.operation") as current:
            self._span = current
            yield

    def on_execute(self) -> Iterator[None]:
        current = getattr(self, "_span", None)
        if current is not None:
            context = self.execution_context
            current.set_attribute("graphql.operation.name", context.operation_name or "")
            current.set_attribute("graphql.operation.type", context.operation_type.value)
        yield
