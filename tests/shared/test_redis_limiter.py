"""The Redis limiter: processes on one credential share one window, counted at the upstream.

Two ``SharedRedis`` clients stand for two processes (each has its own process id and
connection); the subprocess test runs two real processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.emulators.serving import BackgroundServer
from gateway.settings import load_settings
from gateway.shared.connection import SharedRedis
from gateway.shared.limiter import RedisRateLimiter, redis_limiter
from gateway.upstreams.omnicommerce import OmnicommerceClient
from gateway.upstreams.records import CommerceProduct
from gateway.upstreams.transport import (
    LimiterRegistry,
    RateLimit,
    SlotUnavailable,
    TransportPool,
    omnicommerce_config,
)
from tests.shared.conftest import unused_port

PATH = "/2022-08/management/products"
SHORT = RateLimit(requests=5, per=0.25, margin=0.0)


@pytest.fixture
async def processes(redis_url: str) -> AsyncIterator[tuple[SharedRedis, SharedRedis]]:
    first, second = SharedRedis.from_url(redis_url), SharedRedis.from_url(redis_url)
    try:
        yield first, second
    finally:
        async for key in first.client.scan_iter(match=f"*{first.prefix}:*"):
            await first.client.delete(key)
        await first.aclose()
        await second.aclose()


def product(i: str) -> CommerceProduct:
    return CommerceProduct(
        id=f"P-{i}",
        url=f"https://img.example/{i}.jpg",
        detection="TOP",
        sales_url=f"https://shop.example/{i}",
        metadata={"productName": f"shirt {i}", "originPrice": 10000},
    )


def client_for(shared: SharedRedis, server: BackgroundServer) -> OmnicommerceClient:
    config = omnicommerce_config(load_settings({}), emulator_url=server.url + "/2022-08")
    config = dataclasses.replace(config, timeout=5.0)
    pool = TransportPool()
    pool.limiters = LimiterRegistry(factory=lambda c: redis_limiter(shared, c))
    return OmnicommerceClient(pool.add(config))


async def test_two_processes_on_one_key_send_at_most_5_a_second_and_no_429(
    processes: tuple[SharedRedis, SharedRedis], omnicommerce_server: BackgroundServer
) -> None:
    # Random delay on the way: requests that start paced may arrive bunched.
    omnicommerce_server.app.state.faults.set(jitter=0.2)
    clients = [client_for(shared, omnicommerce_server) for shared in processes]
    try:
        results = await asyncio.gather(
            *(
                c.register([product(f"{n}-{i}") for i in range(1_000)])
                for n, c in enumerate(clients)
            )
        )
    finally:
        for c in clients:
            await c.transport.aclose()
    assert [r.accept for r in results] == [1_000, 1_000]
    log = omnicommerce_server.app.state.log
    assert log.count() == 20
    assert {e.status for e in log.entries()} == {202}
    assert log.max_in_window(1.0, method="POST", path=PATH) <= 5
    # Each process alone paces to 5 a second; without the shared window both would fill it.
    assert [c.transport.metrics.count("omnicommerce", outcome="429") for c in clients] == [0, 0]


async def test_a_429_in_one_process_pauses_the_other(
    processes: tuple[SharedRedis, SharedRedis],
) -> None:
    first, second = (RedisRateLimiter(p, "u:k", SHORT, max_hold=2.0) for p in processes)
    async with second.slot(max_wait=0.0):
        pass
    first.pause(2.0)
    await first.aclose()  # the pause has reached Redis
    with pytest.raises(SlotUnavailable) as refused:
        async with second.slot(max_wait=0.5):
            pass
    assert refused.value.retry_after > 1.0


async def test_a_crashed_processs_slots_count_until_their_deadline_then_a_window(
    processes: tuple[SharedRedis, SharedRedis],
) -> None:
    crashed = RedisRateLimiter(processes[0], "u:k", SHORT, max_hold=0.5)
    alive = RedisRateLimiter(processes[1], "u:k", SHORT, max_hold=0.5)
    async with contextlib.AsyncExitStack() as never_released:
        for _ in range(5):
            await never_released.enter_async_context(crashed.slot())
        # The holder never answers (as if killed): the others wait out max_hold + window.
        with pytest.raises(SlotUnavailable):
            async with alive.slot(max_wait=0.0):
                pass
        async with alive.slot(max_wait=10.0) as slot:
            assert slot.waited >= 0.5 + 0.25 - 0.05


async def test_redis_losing_its_state_pauses_the_key_for_what_was_in_flight(
    processes: tuple[SharedRedis, SharedRedis],
) -> None:
    knew = RedisRateLimiter(processes[0], "u:k", SHORT, max_hold=1.0)
    async with knew.slot(max_wait=0.0):
        pass
    async for key in processes[0].client.scan_iter(match=f"*{processes[0].prefix}:*"):
        await processes[0].client.delete(key)  # as a restart of a Redis without a disk
    newcomer = RedisRateLimiter(processes[1], "u:k", SHORT, max_hold=1.0)
    async with newcomer.slot(max_wait=0.0):
        pass  # a fresh process cannot tell (the documented limitation)
    with pytest.raises(SlotUnavailable) as refused:
        async with knew.slot(max_wait=0.0):
            pass
    # Paused for max_hold + window from the new epoch, for everyone.
    assert refused.value.retry_after > 0.75
    with pytest.raises(SlotUnavailable):
        async with newcomer.slot(max_wait=0.0):
            pass


async def test_a_limiter_first_used_after_a_restart_pauses_if_its_process_started_before(
    processes: tuple[SharedRedis, SharedRedis],
) -> None:
    started_before, _ = processes
    await started_before.learn_epoch()  # as the runtime does when the process starts
    assert started_before.epoch is not None and not await started_before.restarted()
    other = RedisRateLimiter(processes[1], "u:k", SHORT, max_hold=1.0)
    async with other.slot(max_wait=0.0):
        pass  # requests of another process, in flight or in the window at the restart
    async for key in started_before.client.scan_iter(match=f"*{started_before.prefix}:*"):
        await started_before.client.delete(key)  # as a restart of a Redis without a disk
    assert await started_before.restarted()
    # Made at first use, after the restart: it never knew its key's epoch, its process did.
    late = RedisRateLimiter(started_before, "u:k", SHORT, max_hold=1.0)
    with pytest.raises(SlotUnavailable) as refused:
        async with late.slot(max_wait=0.0):
            pass
    assert refused.value.retry_after > 0.75  # max_hold + window from the new epoch


async def test_without_redis_a_read_is_refused_and_a_write_waits() -> None:
    gone = SharedRedis.from_url(f"redis://127.0.0.1:{unused_port()}/0", timeout=0.5)
    limiter = RedisRateLimiter(gone, "u:k", SHORT, max_hold=1.0)
    try:
        with pytest.raises(SlotUnavailable):
            async with limiter.slot(max_wait=0.2):
                pass
        assert not gone.health.reachable
        assert gone.health.error is not None and "127.0.0.1" in gone.health.error
        write = asyncio.create_task(_hold(limiter))
        await asyncio.sleep(1.0)
        assert not write.done()  # still retrying: never admitted without the shared window
        write.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await write
    finally:
        await gone.aclose()


async def _hold(limiter: RedisRateLimiter) -> None:
    async with limiter.slot():
        raise AssertionError("admitted without Redis")


def test_two_real_processes_on_one_key_send_at_most_5_a_second_and_no_429(
    redis_url: str, omnicommerce_server: BackgroundServer
) -> None:
    omnicommerce_server.app.state.faults.set(jitter=0.2)
    command = [sys.executable, "-m", "tests.shared.drive_omnicommerce", redis_url]
    running = [
        subprocess.Popen(
            [*command, omnicommerce_server.url, f"P{n}", "1000"],
            stdout=subprocess.PIPE,
            cwd=Path(__file__).parents[2],
        )
        for n in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in running]
    assert [p.returncode for p in running] == [0, 0]
    assert [json.loads(o) for o in outputs] == [{"accept": 1000, "429": 0}] * 2
    log = omnicommerce_server.app.state.log
    assert log.count() == 20
    assert {e.status for e in log.entries()} == {202}
    assert log.max_in_window(1.0, method="POST", path=PATH) <= 5
