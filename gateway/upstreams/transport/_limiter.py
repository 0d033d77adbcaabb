"""Rate limiters: one per upstream credential, shared by every caller in the process.

The upstream counts a request when it ARRIVES, at its own clock; we only know when we sent it
and when its answer came back, and the request arrived somewhere in between. So a request
holds a slot from its start until its answer (or failure, timeout, cancellation) is seen,
and the slot stays in the window for ``window`` seconds after that:

| rule | why |
| --- | --- |
| at most ``requests`` slots held or released within the last ``window`` seconds | N+1 arrivals within one window would need one start within a window of the others' answers: refused |
| a slot counts from its start, however long the exchange | a slow request may arrive late: it still counts |
| ``window = per * (1 + margin)``, margin 1 % for OMNICOMMERCE (10 ms) | clocks tick at slightly different rates; the delay itself needs no margin |
| ``pause(seconds)`` after a 429 stops every caller of the key | ``Retry-After`` speaks for the key, not for one request |
| ``slot(max_wait=s)`` raises ``SlotUnavailable(retry_after)`` when the wait would exceed ``s`` | a read gives up at once instead of queueing behind a bulk write |
| callers are served first come, first served | chunks of one write go out in order |

The rule holds whatever the network delay: request ``k+N`` starts only after request ``k``
was answered (so it arrived) and ``window`` has passed. Its cost is the round trip: N
requests per ``window + round trip`` instead of per ``window`` (loopback: about 1 %; with
0 to 0.3 s of random delay: about 5 / 1.15 a second).

A library limiter does not do this: aiolimiter's leaky bucket and limits' moving window
count ACQUISITIONS (starts) at our clock, so requests delayed on the way arrive bunched and
the upstream sees N+1 in a window (CI saw 4 x 429 for 50 concurrent writes). Anchoring a
slot to its answer needs the release time, hence a context manager and these few lines.

``RateLimiter`` is the seam: ``gateway.shared.limiter.RedisRateLimiter`` keeps the same rule in
Redis for several processes; ``LimiterRegistry(factory=...)`` builds those instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from gateway.upstreams.transport._config import RateLimit, UpstreamConfig

__all__ = [
    "LimiterRegistry",
    "RateLimiter",
    "SlidingWindowRateLimiter",
    "Slot",
    "SlotUnavailable",
]

# How much of a new hold time the running estimate takes (estimates only: never admission).
_HOLD_WEIGHT = 0.2


class SlotUnavailable(Exception):
    """No slot within ``max_wait``; ``retry_after`` estimates the seconds until one opens."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"no slot within the wait budget; about {retry_after:.2f} s to wait")
        self.retry_after = retry_after


@dataclass(slots=True)
class Slot:
    """One request's place in the window: held from ``admitted`` until ``released``."""

    admitted: float
    waited: float
    released: float | None = None


class RateLimiter(Protocol):
    def slot(self, *, max_wait: float | None = None) -> AbstractAsyncContextManager[Slot]:
        """Hold a slot for one exchange: ``async with limiter.slot() as slot: send ...``.

        Waits first come, first served; with ``max_wait``, raises ``SlotUnavailable`` instead
        of waiting longer. The slot is released when the block exits, however it exits.
        """
        ...

    def pause(self, seconds: float | None = None) -> None:
        """No slot opens for ``seconds`` (the upstream's ``Retry-After``; None: one window)."""
        ...


class SlidingWindowRateLimiter:
    """At most ``rate.requests`` slots held, or released within ``window`` seconds, at once.

    ``clock`` is injectable so tests step time; waits still sleep on the event loop, and
    recheck the clock when they wake, so a fake clock only decides WHO is admitted.
    """

    def __init__(self, rate: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.window = rate.per * (1.0 + rate.margin)
        self._clock = clock
        self._held: dict[int, Slot] = {}
        self._released: deque[float] = deque()
        self._paused_until = float("-inf")
        self._hold = 0.0  # running estimate of one exchange's duration
        self._queued = 0  # callers waiting for a slot
        self._turn = asyncio.Lock()  # FIFO: the head of the queue waits, the rest line up
        self._changed = asyncio.Event()
        self._next_id = 0

    def __repr__(self) -> str:
        return f"SlidingWindowRateLimiter({self.rate!r})"

    @property
    def in_flight(self) -> int:
        return len(self._held)

    @contextlib.asynccontextmanager
    async def slot(self, *, max_wait: float | None = None) -> AsyncIterator[Slot]:
        key, held = await self._admit(max_wait)
        try:
            yield held
        finally:
            self._release(key, held)

    def pause(self, seconds: float | None = None) -> None:
        wait = self.window if seconds is None else max(0.0, seconds)
        self._paused_until = max(self._paused_until, self._clock() + wait)
        self._changed.set()

    def estimate(self) -> float:
        """Seconds a caller arriving now would wait, behind everyone already queued."""
        return self._estimate(self._clock(), self._queued)

    async def _admit(self, max_wait: float | None) -> tuple[int, Slot]:
        entered = self._clock()
        if max_wait is not None:
            # Refused at once: a read should not queue when it cannot make its budget.
            expected = self._estimate(entered, self._queued)
            if expected > max_wait:
                raise SlotUnavailable(expected)
        deadline = None if max_wait is None else entered + max_wait
        self._queued += 1
        try:
            await self._take_turn(deadline)
            try:
                await self._wait_for_room(deadline)
            finally:
                self._turn.release()
        finally:
            self._queued -= 1
        now = self._clock()
        key, self._next_id = self._next_id, self._next_id + 1
        self._held[key] = Slot(admitted=now, waited=now - entered)
        return key, self._held[key]

    async def _take_turn(self, deadline: float | None) -> None:
        if deadline is None:
            await self._turn.acquire()
            return
        try:
            async with asyncio.timeout(max(0.0, deadline - self._clock())):
                await self._turn.acquire()
        except TimeoutError:
            raise SlotUnavailable(self._estimate(self._clock(), self._queued - 1)) from None

    async def _wait_for_room(self, deadline: float | None) -> None:
        while True:
            # Cleared before looking, so a release between the look and the wait still wakes us.
            self._changed.clear()
            now = self._clock()
            ready = self._ready_at(now)
            if ready is not None and ready <= now:
                return
            timeout = None if ready is None else ready - now
            if deadline is not None:
                expected = self._estimate(now, 0)
                if now + expected > deadline:
                    raise SlotUnavailable(expected)
                timeout = deadline - now if timeout is None else min(timeout, deadline - now)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._changed.wait()

    def _release(self, key: int, held: Slot) -> None:
        now = self._clock()
        held.released = now
        del self._held[key]
        self._hold += _HOLD_WEIGHT * (now - held.admitted - self._hold)
        self._released.append(now)
        self._changed.set()

    def _forget(self, now: float) -> None:
        while self._released and self._released[0] <= now - self.window:
            self._released.popleft()

    def _ready_at(self, now: float) -> float | None:
        """When the next slot opens (exact, the admission rule); None until a held one is released."""
        self._forget(now)
        if len(self._held) + len(self._released) < self.rate.requests:
            return max(now, self._paused_until)
        if not self._released:
            return None
        return max(self._released[0] + self.window, self._paused_until)

    def _estimate(self, now: float, ahead: int) -> float:
        """Seconds until a caller behind ``ahead`` others is admitted, if exchanges last as
        they have lately: each position of the window frees ``window`` after its release."""
        self._forget(now)
        free = [r + self.window for r in self._released]
        free += [max(now, s.admitted + self._hold) + self.window for s in self._held.values()]
        free += [now] * (self.rate.requests - len(free))
        heapq.heapify(free)
        floor = max(now, self._paused_until)
        for _ in range(ahead):
            start = max(heapq.heappop(free), floor)
            heapq.heappush(free, start + self._hold + self.window)
        return max(free[0], floor) - now


def _in_process(config: UpstreamConfig) -> RateLimiter:
    assert config.rate is not None
    return SlidingWindowRateLimiter(config.rate)


class LimiterRegistry:
    """One limiter per (upstream, credential): two transports on one key share one pace.

    ``factory(config)`` builds a limiter for a config with a ``rate``; by default an
    in-process ``SlidingWindowRateLimiter``.
    """

    def __init__(self, factory: Callable[[UpstreamConfig], RateLimiter] | None = None) -> None:
        self._limiters: dict[tuple[str, str], RateLimiter] = {}
        self._factory = factory or _in_process

    def for_config(self, config: UpstreamConfig) -> RateLimiter | None:
        if config.rate is None:
            return None
        key = (config.name, config.credential_scope)
        if key not in self._limiters:
            self._limiters[key] = self._factory(config)
        return self._limiters[key]

    def __iter__(self) -> Iterator[RateLimiter]:
        return iter(list(self._limiters.values()))
