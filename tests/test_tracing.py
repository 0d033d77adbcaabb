"""Tracing: spans for the operation, each loader batch and each upstream call, and the
``traceparent`` header carried to the upstreams."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.observability.tracing import configure_tracing, enabled
from tests.conftest import GatewayStack


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    configure_tracing(on=True, exporter=exporter)
    yield exporter
    configure_tracing(on=False)


def test_tracing_is_off_by_default() -> None:
    assert not enabled()


def test_operation_batches_and_upstream_calls_are_spans(
    stack: GatewayStack, spans: InMemorySpanExporter
) -> None:
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    answer = httpx.post(
        stack.url,
        json={"query": 'query One { product(tid: "DEMO-0004") { tid catalogProduct { gtin } } }'},
        headers={"traceparent": f"00-{caller_trace}-00f067aa0ba902b7-01"},
    )
    assert answer.json()["data"]["product"]["tid"] == "DEMO-0004"
    finished = spans.get_finished_spans()
    by_name: dict[str, list] = {}  # type: ignore[type-arg]
    for item in finished:
        by_name.setdefault(item.name, []).append(item)
    (operation,) = by_name["graphql.operation"]
    assert operation.attributes["graphql.operation.name"] == "One"
    assert format(operation.context.trace_id, "032x") == caller_trace
    resources = {s.attributes["gateway.resource"] for s in by_name["loader.batch"]}
    assert {"product_by_tid", "catalog_product"} <= resources
    upstreams = {s.attributes["gateway.upstream"] for s in by_name["upstream.call"]}
    assert upstreams == {"pim", "citrusad"}
    assert all(s.context.trace_id == operation.context.trace_id for s in finished)
    sent = stack.pim.app.state.log.entries()[-1].headers["traceparent"]
    assert sent.split("-")[1] == caller_trace
