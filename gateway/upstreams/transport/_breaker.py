"""A circuit breaker per upstream: fail fast while it is down, probe once, then close.

```
closed --threshold consecutive failures--> open --reset_seconds--> half-open (one probe)
half-open --probe succeeds--> closed         half-open --probe fails--> open (timer restarts)
```
A failure is a timeout, a refused connection or a 5xx; a 4xx or 429 means the upstream is
up, so it counts as a success.

``state`` follows the clock, not the traffic: once ``reset_seconds`` have passed since the
breaker opened it reads "half-open" (the next call is the probe) even when no call came since,
so ``/readyz`` and the ``gateway_circuit_breaker_open`` gauge stop reporting an open breaker
past its cool-down.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from gateway.errors import UpstreamUnavailable

__all__ = ["CircuitBreaker", "CircuitOpen"]


class CircuitOpen(UpstreamUnavailable):
    """The breaker is open: no request was sent."""

    default_message = "the upstream is failing; not calling it for a while"


class CircuitBreaker:
    def __init__(
        self,
        upstream: str,
        *,
        threshold: int = 5,
        reset_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.upstream = upstream
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self.opened_count = 0
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        cooled = self._clock() - self._opened_at >= self.reset_seconds
        return "half-open" if self._probing or cooled else "open"

    def enter(self) -> None:
        """Before a call: raise ``CircuitOpen`` unless the call may go (or is the probe)."""
        if self._opened_at is None:
            return
        if self._probing or self._clock() - self._opened_at < self.reset_seconds:
            raise CircuitOpen(upstream=self.upstream)
        self._probing = True

    def record(self, *, failed: bool) -> None:
        """After a call that reached a verdict."""
        if not failed:
            self._failures, self._opened_at, self._probing = 0, None, False
            return
        self._failures += 1
        if self._probing or self._failures >= self.threshold:
            self._open()

    def abandon(self) -> None:
        """A call ended without a verdict (cancelled): let the next caller probe instead."""
        self._probing = False

    def _open(self) -> None:
        self._opened_at, self._probing = self._clock(), False
        self.opened_count += 1
