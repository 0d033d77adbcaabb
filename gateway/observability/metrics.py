"""``/metrics`` in the Prometheus text format (prometheus-client), one registry per app.

| metric | labels | from |
| --- | --- | --- |
| ``gateway_requests_total`` | operation, outcome (ok, error, refused) | the HTTP layer |
| ``gateway_request_duration_seconds`` (histogram) | operation | the HTTP layer |
| ``gateway_upstream_calls_total`` | upstream, endpoint, status | the transport's counters |
| ``gateway_upstream_retries_total`` | upstream, endpoint | the transport's counters |
| ``gateway_rate_limiter_waits_total``, ``..._wait_seconds_total`` | upstream | the limiters |
| ``gateway_circuit_breaker_open`` | upstream | 1 while open or half-open |
| ``gateway_cache_hits_total``, ``gateway_cache_misses_total`` | resource | the shared cache |
| ``gateway_cache_coalesced_total``, ``gateway_cache_entries`` | | the shared cache |
| ``gateway_open_connections`` | | uvicorn's open connections (``gateway serve``) |
| ``gateway_slow_client_closes_total`` | phase (headers, body) | ``gateway.http.slow_clients`` |

Labels never hold a credential: endpoints are path templates, operation names are the
client's (capped in length and number, so a client cannot blow up the series count).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "GatewayMetrics", "operation_label"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MAX_OPERATIONS = 200


def operation_label(name: str | None, seen: set[str]) -> str:
    """The operation's name as a label: ``anonymous``, the name, or ``other`` past the cap."""
    if not name:
        return "anonymous"
    if not _NAME.match(name):
        return "other"
    if name not in seen:
        if len(seen) >= _MAX_OPERATIONS:
            return "other"
        seen.add(name)
    return name


class _RuntimeCollector(Collector):
    """Reads the transport's and the cache's counters at scrape time: no double bookkeeping."""

    def __init__(self, runtime: Callable[[], Any]) -> None:
        self._runtime = runtime

    def collect(self) -> Iterator[Metric]:
        runtime = self._runtime()
        if runtime is None:
            return
        yield from self._transport(runtime.pool)
        yield from self._cache(runtime.cache)

    def _transport(self, pool: Any) -> Iterator[Metric]:
        metrics = pool.metrics
        calls = CounterMetricFamily(
            "gateway_upstream_calls", "Upstream calls.", labels=["upstream", "endpoint", "status"]
        )
        for (upstream, endpoint, outcome), count in sorted(metrics.calls.items()):
            calls.add_metric([upstream, endpoint, outcome], count)
        retries = CounterMetricFamily(
            "gateway_upstream_retries", "Upstream retries.", labels=["upstream", "endpoint"]
        )
        for (upstream, endpoint), count in sorted(metrics.retries.items()):
            retries.add_metric([upstream, endpoint], count)
        waits = CounterMetricFamily(
            "gateway_rate_limiter_waits", "Calls that waited for the pace.", labels=["upstream"]
        )
        seconds = CounterMetricFamily(
            "gateway_rate_limiter_wait_seconds", "Time spent waiting.", labels=["upstream"]
        )
        for upstream, count in sorted(metrics.limiter_waits.items()):
            waits.add_metric([upstream], count)
            seconds.add_metric([upstream], metrics.limiter_wait_seconds.get(upstream, 0.0))
        breaker = GaugeMetricFamily(
            "gateway_circuit_breaker_open",
            "1 while the breaker is not closed.",
            labels=["upstream"],
        )
        for name in ("pim", "omnicommerce", "citrusad"):
            state = pool[name].breaker.state
            breaker.add_metric([name], 0.0 if state == "closed" else 1.0)
        yield from (calls, retries, waits, seconds, breaker)

    def _cache(self, cache: Any) -> Iterator[Metric]:
        hits = CounterMetricFamily("gateway_cache_hits", "Cache hits.", labels=["resource"])
        misses = CounterMetricFamily("gateway_cache_misses", "Cache misses.", labels=["resource"])
        for resource, (hit, miss) in sorted(cache.stats.by_resource.items()):
            hits.add_metric([resource], hit)
            misses.add_metric([resource], miss)
        coalesced = CounterMetricFamily(
            "gateway_cache_coalesced", "Keys served by another request's upstream call."
        )
        coalesced.add_metric([], cache.stats.coalesced)
        entries = GaugeMetricFamily("gateway_cache_entries", "Entries held by the shared cache.")
        entries.add_metric([], len(cache))
        yield from (hits, misses, coalesced, entries)


class GatewayMetrics:
    """The app's registry; ``runtime`` is read lazily (it exists only while the app runs)."""

    def __init__(self, runtime: Callable[[], Any]) -> None:
        self.registry = CollectorRegistry()
        self._operations: set[str] = set()
        self.requests = Counter(
            "gateway_requests",
            "GraphQL requests by operation and outcome.",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gateway_request_duration_seconds",
            "GraphQL request latency.",
            ["operation"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.registry.register(_RuntimeCollector(runtime))

    def observe(self, operation: str | None, outcome: str, seconds: float) -> None:
        label = operation_label(operation, self._operations)
        self.requests.labels(label, outcome).inc()
        self.latency.labels(label).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
