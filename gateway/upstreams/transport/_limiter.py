"""Rate limiters: one per upstream credential, shared by every caller in the process.

``RateLimiter`` is the seam: a Redis-backed limiter (shared across processes) needs only an
``acquire()`` that returns once a request may start.
"""

from __future__ import annotations

from typing import Protocol

from aiolimiter import AsyncLimiter

from gateway.upstreams.transport._config import RateLimit, UpstreamConfig

__all__ = ["IntervalRateLimiter", "LimiterRegistry", "RateLimiter"]


class RateLimiter(Protocol):
    async def acquire(self) -> None:
        """Return when one more request may start; callers are served first come, first served."""


class IntervalRateLimiter:
    """Spaces request starts at least ``rate.interval`` apart (aiolimiter, bucket of one).

    A bucket of one never bursts, so any one-second window, wall-clock aligned or sliding,
    holds at most ``rate.requests`` starts; the margin covers network jitter. A bucket of
    ``requests`` would allow a burst on top of the steady rate: up to twice the limit in a
    sliding window.
    """

    def __init__(self, rate: RateLimit) -> None:
        self.rate = rate
        self._limiter = AsyncLimiter(1, rate.interval)

    async def acquire(self) -> None:
        await self._limiter.acquire()

    def __repr__(self) -> str:
        return f"IntervalRateLimiter({self.rate!r})"


class LimiterRegistry:
    """One limiter per (upstream, credential): two transports on one key share one pace."""

    def __init__(self) -> None:
        self._limiters: dict[tuple[str, str], RateLimiter] = {}

    def for_config(self, config: UpstreamConfig) -> RateLimiter | None:
        if config.rate is None:
            return None
        key = (config.name, config.credential_scope)
        if key not in self._limiters:
            self._limiters[key] = IntervalRateLimiter(config.rate)
        return self._limiters[key]
