"""Percentiles and the plain-text tables the bench prints.

Tables are plain text with aligned columns (no box drawing), so they paste into an issue
note as they are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bench.calls import UpstreamCalls
from bench.load import LoadResult

__all__ = ["Measured", "format_table", "percentile", "scenario_report"]


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` 0.99 for p99); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(slots=True)
class Measured:
    """One scenario's figures: the client's view, the upstreams' view and the server's CPU."""

    scenario: str
    title: str
    server: str  # "gateway" or "baseline"
    load: LoadResult
    calls: UpstreamCalls
    server_cpu: float  # CPU seconds the server process spent during the measured part
    upstream_cpu: float = 0.0  # CPU seconds the emulators' process spent meanwhile

    def p(self, fraction: float) -> float:
        """Latency percentile in milliseconds."""
        return percentile(self.load.latencies, fraction) * 1000

    @property
    def calls_per_request(self) -> float:
        return self.calls.total / self.load.requests if self.load.requests else 0.0


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def scenario_report(m: Measured, concurrency: int) -> str:
    load = m.load
    elapsed = load.elapsed or 1e-9
    rows = [
        ("server", m.server),
        (
            "requests",
            f"{load.requests} in {load.elapsed:.1f} s at concurrency {concurrency}; errors {load.errors}",
        ),
        ("throughput", f"{load.throughput:.1f} requests/s"),
        (
            "latency",
            f"p50 {m.p(0.5):.1f} ms, p90 {m.p(0.9):.1f} ms, p99 {m.p(0.99):.1f} ms, "
            f"max {m.p(1.0):.1f} ms",
        ),
        (
            "server CPU",
            f"{m.server_cpu * 1000 / max(load.requests, 1):.1f} ms per request, "
            f"{100 * m.server_cpu / elapsed:.0f} % of one core",
        ),
        ("client CPU", f"{100 * load.client_cpu / elapsed:.0f} % of one core (load generator)"),
        ("emulators CPU", f"{100 * m.upstream_cpu / elapsed:.0f} % of one core (all three)"),
        (
            "upstream calls",
            f"{m.calls_per_request:.2f} per request ({m.calls.total} in all)",
        ),
    ]
    text = [f"== {m.scenario} [{m.server}]: {m.title}", format_table(("what", "figure"), rows)]
    if m.calls.calls:
        per = max(load.requests, 1)
        call_rows = [
            (upstream, name, str(count), f"{count / per:.2f}")
            for (upstream, name), count in sorted(m.calls.calls.items())
        ]
        text.append(format_table(("upstream", "endpoint", "calls", "per request"), call_rows))
    non_2xx = sorted((k, n) for k, n in m.calls.statuses.items() if k[2] >= 300)
    if non_2xx:
        text.append(
            "upstream answers not 2xx: "
            + ", ".join(f"{u} {e} -> {s}: {n}" for (u, e, s), n in non_2xx)
        )
    if load.first_error:
        text.append(f"first error: {load.first_error}")
    return "\n".join(text)
