"""Counters the metrics endpoint and the bench read: plain dicts, no client library."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TransportMetrics"]


@dataclass(slots=True)
class TransportMetrics:
    """Shared by every transport of one gateway.

    | counter | key |
    | --- | --- |
    | ``calls`` | (upstream, endpoint, outcome): outcome is the status (``"202"``) or ``timeout``, ``connect_error``, ``reset``, ``circuit_open``, ``too_large``, ``wait_budget`` (a read refused before sending: the pace would have kept it waiting past its budget) |
    | ``retries`` | (upstream, endpoint) |
    | ``limiter_waits``, ``limiter_wait_seconds`` | upstream: how often and how long calls waited for a limiter slot |
    """

    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    retries: Counter[tuple[str, str]] = field(default_factory=Counter)
    limiter_waits: Counter[str] = field(default_factory=Counter)
    limiter_wait_seconds: defaultdict[str, float] = field(
        default_factory=lambda: defaultdict(float)
    )

    def count(self, upstream: str, endpoint: str | None = None, outcome: str | None = None) -> int:
        return sum(
            n
            for (u, e, o), n in self.calls.items()
            if u == upstream and endpoint in (None, e) and outcome in (None, o)
        )

    def snapshot(self) -> dict[str, Any]:
        return {
            "calls": [
                {"upstream": u, "endpoint": e, "outcome": o, "count": n}
                for (u, e, o), n in sorted(self.calls.items())
            ],
            "retries": [
                {"upstream": u, "endpoint": e, "count": n}
                for (u, e), n in sorted(self.retries.items())
            ],
            "limiter_waits": dict(self.limiter_waits),
            "limiter_wait_seconds": dict(self.limiter_wait_seconds),
        }
