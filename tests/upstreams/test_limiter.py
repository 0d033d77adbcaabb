"""The limiter on a fake clock: the clock decides who is admitted, never a wall-clock margin.

Waiters still sleep on the event loop and look at the clock again when they wake, so a test
steps the fake clock and then waits (with a generous timeout) for the admissions it allows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from gateway.upstreams.transport import (
    LimiterRegistry,
    RateLimit,
    RateLimiter,
    SlidingWindowRateLimiter,
    SlotUnavailable,
    UpstreamConfig,
)

# A short fake window, so a waiter that sleeps on it wakes soon in real time to look again;
# a power of two, so the fake times add up exactly.
RATE = RateLimit(requests=5, per=0.25, margin=0.0)
WINDOW = 0.25


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> SlidingWindowRateLimiter:
    return SlidingWindowRateLimiter(RATE, clock=clock)


@contextlib.asynccontextmanager
async def holding(limiter: SlidingWindowRateLimiter, n: int) -> AsyncIterator[None]:
    """``n`` slots held for the duration of the block, released together at its end."""
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(n):
            await stack.enter_async_context(limiter.slot())
        yield


async def refusal(limiter: SlidingWindowRateLimiter, max_wait: float = 0.0) -> float:
    """The ``retry_after`` a caller that may wait ``max_wait`` is refused with."""
    with pytest.raises(SlotUnavailable) as caught:
        async with limiter.slot(max_wait=max_wait):
            pass
    return caught.value.retry_after


async def admitted_now(limiter: SlidingWindowRateLimiter) -> bool:
    try:
        async with limiter.slot(max_wait=0.0):
            return True
    except SlotUnavailable:
        return False


async def test_a_window_opens_only_after_the_answers_not_after_the_starts(
    limiter: SlidingWindowRateLimiter, clock: FakeClock
) -> None:
    async with holding(limiter, 5):
        clock.now += 10 * WINDOW  # long exchanges: their starts left the window long ago
        assert limiter.in_flight == 5
        assert not await admitted_now(limiter)
    released = clock.now
    assert await refusal(limiter) == pytest.approx(WINDOW)
    clock.now = released + WINDOW / 2
    assert await refusal(limiter) == pytest.approx(WINDOW / 2)
    clock.now = released + WINDOW
    assert await admitted_now(limiter)


async def test_each_released_slot_frees_its_place_one_window_after_its_own_release(
    limiter: SlidingWindowRateLimiter, clock: FakeClock
) -> None:
    async with holding(limiter, 3):
        async with holding(limiter, 2):
            pass  # two answers come back at once
        clock.now += WINDOW / 2
    # Three more half a window later: two places reopen a window after the first two answers.
    clock.now += WINDOW / 2
    async with holding(limiter, 2):
        assert not await admitted_now(limiter)
    assert await refusal(limiter) == pytest.approx(WINDOW / 2)


async def test_failed_and_cancelled_exchanges_release_their_slot(
    limiter: SlidingWindowRateLimiter, clock: FakeClock
) -> None:
    with pytest.raises(RuntimeError):
        async with limiter.slot() as slot:
            raise RuntimeError("the exchange failed")
    assert slot.released == clock.now

    async def hang() -> None:
        async with limiter.slot():
            await asyncio.Event().wait()

    task = asyncio.create_task(hang())
    await asyncio.sleep(0)
    assert limiter.in_flight == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert limiter.in_flight == 0
    async with holding(limiter, 3):
        assert not await admitted_now(limiter)  # 2 released + 3 held fill the window


async def test_callers_are_served_first_come_first_served(
    limiter: SlidingWindowRateLimiter, clock: FakeClock
) -> None:
    order: list[int] = []
    five = asyncio.Event()

    async def caller(i: int) -> None:
        async with limiter.slot():
            order.append(i)
            if len(order) == 5:
                five.set()

    async with holding(limiter, 5):
        tasks = [asyncio.create_task(caller(i)) for i in range(8)]
        await asyncio.sleep(0.05)
        assert order == []
    clock.now += WINDOW
    await asyncio.wait_for(five.wait(), timeout=10)
    await asyncio.sleep(0.05)
    assert order == list(range(5))  # the reopened window, in order; the rest wait for the next
    clock.now += WINDOW
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
    assert order == list(range(8))


async def test_pause_stops_every_caller_until_it_ends(
    limiter: SlidingWindowRateLimiter, clock: FakeClock
) -> None:
    limiter.pause(0.375)
    assert await refusal(limiter) == pytest.approx(0.375)
    admitted: list[float] = []

    async def writer() -> None:
        async with limiter.slot() as slot:
            admitted.append(slot.admitted)

    tasks = [asyncio.create_task(writer()) for _ in range(3)]
    await asyncio.sleep(0.05)
    clock.now += 0.25
    await asyncio.sleep(0.05)
    assert admitted == []  # an empty window, yet nobody goes while paused
    clock.now += 0.125
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
    assert admitted == [clock.now] * 3


async def test_a_later_pause_never_shortens_an_earlier_one(
    limiter: SlidingWindowRateLimiter,
) -> None:
    limiter.pause(5.0)
    limiter.pause(1.0)
    assert await refusal(limiter) == pytest.approx(5.0)
    limiter.pause()  # a 429 without Retry-After: one window
    assert await refusal(limiter) == pytest.approx(5.0)


async def test_a_read_is_refused_at_once_with_the_wait_the_queue_ahead_implies(
    limiter: SlidingWindowRateLimiter, clock: FakeClock
) -> None:
    async with holding(limiter, 5):
        pass  # instant exchanges: the window is full until 100.2
    writers = [asyncio.create_task(_take(limiter)) for _ in range(5)]
    await asyncio.sleep(0.05)
    # Five writers queued take the window when it reopens; the read's turn is a window later.
    assert await refusal(limiter, max_wait=0.3) == pytest.approx(2 * WINDOW)
    assert limiter.estimate() == pytest.approx(2 * WINDOW)
    for task in writers:
        task.cancel()
    await asyncio.gather(*writers, return_exceptions=True)
    assert limiter.estimate() == pytest.approx(WINDOW)  # the cancelled left the queue


async def test_a_read_within_its_budget_waits_for_its_slot(
    limiter: SlidingWindowRateLimiter, clock: FakeClock
) -> None:
    async with holding(limiter, 5):
        pass
    clock.now += WINDOW / 2
    read = asyncio.create_task(_take(limiter, max_wait=WINDOW))
    await asyncio.sleep(0.05)
    assert not read.done()
    clock.now += WINDOW / 2
    await asyncio.wait_for(read, timeout=10)


async def _take(limiter: SlidingWindowRateLimiter, max_wait: float | None = None) -> None:
    async with limiter.slot(max_wait=max_wait):
        pass


def test_the_registry_builds_one_limiter_per_upstream_and_credential_with_its_factory() -> None:
    built: list[str] = []

    def factory(config: UpstreamConfig) -> RateLimiter:
        built.append(config.credential_scope)
        assert config.rate is not None
        return SlidingWindowRateLimiter(config.rate)

    registry = LimiterRegistry(factory=factory)
    first = UpstreamConfig("omnicommerce", "http://o", headers={"X-Api-Key": "a"}, rate=RATE)
    again = UpstreamConfig("omnicommerce", "http://o2", headers={"X-Api-Key": "a"}, rate=RATE)
    other = UpstreamConfig("omnicommerce", "http://o", headers={"X-Api-Key": "b"}, rate=RATE)
    assert registry.for_config(first) is registry.for_config(again)
    assert registry.for_config(other) is not registry.for_config(first)
    assert registry.for_config(UpstreamConfig("pim", "http://p")) is None
    assert built == [first.credential_scope, other.credential_scope]
    assert len(list(registry)) == 2
