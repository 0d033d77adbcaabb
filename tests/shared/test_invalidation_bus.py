"""The invalidation bus on a real Redis: messages between processes, and a dropped subscription."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from gateway.shared.connection import SharedRedis
from gateway.shared.invalidation import Invalidation, InvalidationBus
from tests.shared.conftest import unused_port


class Process:
    """One process's end of the bus: what it applied and how often it reset its caches."""

    def __init__(self, shared: SharedRedis) -> None:
        self.shared = shared
        self.applied: list[Invalidation] = []
        self.resets = 0
        self.bus = InvalidationBus(shared, apply=self.applied.append, reset=self._reset)

    def _reset(self) -> None:
        self.resets += 1


async def eventually(check: Callable[[], bool], seconds: float = 10.0) -> None:
    # Polled: the bus has no event to wait on for what a test wants to see.
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


@pytest.fixture
async def pair(redis_url: str) -> AsyncIterator[tuple[Process, Process]]:
    processes = (Process(SharedRedis.from_url(redis_url)), Process(SharedRedis.from_url(redis_url)))
    for p in processes:
        await p.bus.start()
    try:
        yield processes
    finally:
        for p in processes:
            await p.bus.stop()
            await p.shared.aclose()


async def test_a_message_reaches_the_other_process_with_its_keys_and_not_the_sender(
    pair: tuple[Process, Process],
) -> None:
    a, b = pair
    assert a.bus.connected and b.bus.connected
    sent = Invalidation("evict", "citrusad", "catalog_product", (("cat-1", "0001"), "x", 7))
    a.bus.publish(sent)
    a.bus.publish(Invalidation("written"))
    await eventually(lambda: len(b.applied) == 2)
    assert b.applied == [sent, Invalidation("written")]
    assert a.applied == []  # its own messages are skipped


async def test_a_dropped_subscription_resets_the_caches_and_comes_back(
    pair: tuple[Process, Process],
) -> None:
    a, b = pair
    resets = b.resets
    name = f"gateway-{b.shared.process}"
    (subscriber,) = [
        c for c in await a.shared.client.client_list(_type="pubsub") if c["name"] == name
    ]
    await a.shared.client.client_kill_filter(_id=subscriber["id"])
    # Dropped: caches cleared (nothing will be heard); back: cleared again (something was missed).
    await eventually(lambda: b.resets >= resets + 2 and b.bus.connected)
    a.bus.publish(Invalidation("evict_resource", "pim", "product_search"))
    await eventually(lambda: len(b.applied) == 1)


async def test_without_redis_publishing_never_raises_and_the_bus_says_why() -> None:
    gone = Process(SharedRedis.from_url(f"redis://127.0.0.1:{unused_port()}/0", timeout=0.5))
    await gone.bus.start(wait=0.5)
    try:
        gone.bus.publish(Invalidation("written"))
        await eventually(lambda: not gone.shared.health.reachable)
        assert not gone.bus.connected
        assert gone.bus.error is not None and "127.0.0.1" in gone.bus.error
        assert not gone.shared.health.reachable
    finally:
        await gone.bus.stop()
        await gone.shared.aclose()
