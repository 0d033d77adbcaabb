"""Per-request counters, carried in a context variable so deep layers need no parameter.

The HTTP layer calls ``begin_request()`` when a GraphQL request starts; the transport and the
cache then count into it. A call made on behalf of several requests (single flight) counts
for the request that made it; the others count a coalesced hit.
"""

from __future__ import annotations

import contextvars
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["RequestStats", "begin_request", "current_request", "not_cacheable"]


@dataclass(slots=True)
class RequestStats:
    request_id: str
    operation_name: str | None = None
    operation_type: str | None = None
    upstream_calls: Counter[str] = field(default_factory=Counter)
    cache_hits: int = 0
    cache_misses: int = 0
    coalesced: int = 0
    # False once a resolver read the gateway's own moving state (write jobs, the OMNICOMMERCE
    # read model): workers change it behind any mutation, so the answer is never kept whole.
    cacheable: bool = True

    @property
    def total_upstream_calls(self) -> int:
        return sum(self.upstream_calls.values())


_current: contextvars.ContextVar[RequestStats | None] = contextvars.ContextVar(
    "gateway_request_stats", default=None
)


def begin_request(request_id: str) -> RequestStats:
    """Start counting for the current task (and the tasks it spawns from now on)."""
    stats = RequestStats(request_id)
    _current.set(stats)
    return stats


def current_request() -> RequestStats | None:
    return _current.get()


def not_cacheable() -> None:
    """The current request's answer must not be kept by the whole-response cache."""
    stats = _current.get()
    if stats is not None:
        stats.cacheable = False
