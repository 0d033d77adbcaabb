"""The shared transport under every upstream client.

| name | what |
| --- | --- |
| ``UpstreamConfig``, ``RateLimit`` | one upstream's settings; ``omnicommerce_config(settings)`` etc. build them |
| ``UpstreamTransport`` | ``await t.request("GET", path, endpoint=..., idempotent=...)`` -> ``UpstreamResponse``; ``t.last_outcome`` (``Outcome``): how the latest attempt ended, and when |
| ``ErrorReader`` | ``request(..., read_error=f)``: ``f(status, body)`` turns an upstream's error body into the error raised |
| ``TransportPool`` | the gateway's transports, sharing metrics and per-credential limiters |
| ``RateLimiter``, ``SlidingWindowRateLimiter``, ``LimiterRegistry`` | pacing: ``async with limiter.slot(max_wait=...) as slot`` holds a slot until the answer; the protocol is the seam for a Redis limiter |
| ``Slot``, ``SlotUnavailable`` | a held slot (``admitted``, ``waited``, ``released``); no slot within ``max_wait`` (``retry_after``) |
| ``CircuitBreaker``, ``CircuitOpen`` | fail fast while an upstream is down |
| ``TransportMetrics`` | counters: calls by upstream/endpoint/outcome, retries, limiter waits |

Libraries: retries are stamina's (capped exponential backoff with jitter, over tenacity),
pacing is ours, a sliding window anchored to answers, not starts (``_limiter`` says why no
library limiter fits); so is the breaker (see ``_breaker``).
"""

from __future__ import annotations

from gateway.upstreams.transport._breaker import CircuitBreaker, CircuitOpen
from gateway.upstreams.transport._config import (
    OMNICOMMERCE_RATE,
    RateLimit,
    UpstreamConfig,
    citrusad_config,
    omnicommerce_config,
    pim_config,
)
from gateway.upstreams.transport._limiter import (
    LimiterRegistry,
    RateLimiter,
    SlidingWindowRateLimiter,
    Slot,
    SlotUnavailable,
)
from gateway.upstreams.transport._metrics import TransportMetrics
from gateway.upstreams.transport._transport import (
    ErrorReader,
    Outcome,
    TransportPool,
    UpstreamResponse,
    UpstreamTransport,
)

__all__ = [
    "OMNICOMMERCE_RATE",
    "CircuitBreaker",
    "CircuitOpen",
    "ErrorReader",
    "LimiterRegistry",
    "Outcome",
    "RateLimit",
    "RateLimiter",
    "SlidingWindowRateLimiter",
    "Slot",
    "SlotUnavailable",
    "TransportMetrics",
    "TransportPool",
    "UpstreamConfig",
    "UpstreamResponse",
    "UpstreamTransport",
    "citrusad_config",
    "omnicommerce_config",
    "pim_config",
]
