"""OpenTelemetry tracing, off by default (``GATEWAY_TRACING=true`` turns it on).

| span | where | attributes |
| --- | --- | --- |
| ``graphql.operation`` | one per GraphQL operation | ``graphql.operation.name``, ``.type`` |
| ``loader.batch`` | one per DataLoader batch (a resolver batch) | ``gateway.resource``, ``gateway.keys`` |
| ``upstream.call`` | one per logical upstream call (retries inside) | ``gateway.upstream``, ``gateway.endpoint`` |

Upstream calls carry the W3C ``traceparent`` header, so a traced upstream joins the trace;
an incoming ``traceparent`` makes the operation's span a child of the caller's.
Spans go to the OTLP exporter when ``GATEWAY_OTLP_ENDPOINT`` is set (needs the
``opentelemetry-exporter-otlp-proto-http`` package), else to the console.
When tracing is off nothing here does any work: ``enabled()`` is checked first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)

__all__ = ["configure_tracing", "enabled", "extract_context", "inject", "span"]

_state: dict[str, Any] = {"enabled": False, "tracer": None}


def enabled() -> bool:
    return bool(_state["enabled"])


def configure_tracing(
    *, on: bool, otlp_endpoint: str | None = None, exporter: SpanExporter | None = None
) -> None:
    """Install a tracer provider for the gateway's spans (``exporter`` is for tests)."""
    if not on:
        _state.update(enabled=False, tracer=None)
        return
    provider = TracerProvider()
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # type: ignore[import-not-found]
            OTLPSpanExporter,
        )

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    else:
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    _state.update(enabled=True, tracer=provider.get_tracer("catalog-gateway"))


@contextlib.contextmanager
def span(name: str, attributes: Mapping[str, Any] | None = None) -> Iterator[Any]:
    """A span when tracing is on (yielded, to add attributes); ``None`` when it is off."""
    tracer = _state["tracer"]
    if tracer is None:
        yield None
        return
    with tracer.start_as_current_span(name, attributes=dict(attributes or {})) as current:
        yield current


def inject(headers: MutableMapping[str, str]) -> None:
    """Add ``traceparent`` (and ``tracestate``) for the current span to outgoing headers."""
    if _state["tracer"] is not None:
        propagate.inject(headers)


@contextlib.contextmanager
def extract_context(headers: Mapping[str, str]) -> Iterator[None]:
    """Make an incoming ``traceparent`` the parent of the spans started inside."""
    if _state["tracer"] is None:
        yield
        return
    token = otel_context.attach(propagate.extract(dict(headers)))
    try:
        yield
    finally:
        otel_context.detach(token)
