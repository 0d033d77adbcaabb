from __future__ import annotations

import asyncio

import pytest

from gateway.cache import CacheRef, SharedCache, credential_scope

PRODUCTS = CacheRef("pim", "products", credential_scope("token-a"))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Upstream:
    """Counts calls and keys; answers ``key * 10``, or an error for negative keys."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[list[int]] = []
        self.delay = delay

    async def fetch(self, keys: list[int]) -> list[int | BaseException]:
        self.calls.append(keys)
        await asyncio.sleep(self.delay)
        return [ValueError(f"no {k}") if k < 0 else k * 10 for k in keys]


async def test_hits_after_first_fetch_and_order_kept() -> None:
    cache: SharedCache[int, int] = SharedCache()
    upstream = Upstream()
    assert await cache.get_many(PRODUCTS, [3, 1, 3], upstream.fetch) == [30, 10, 30]
    assert await cache.get_many(PRODUCTS, [1, 2], upstream.fetch) == [10, 20]
    assert upstream.calls == [[3, 1], [2]]
    assert (cache.stats.hits, cache.stats.misses) == (1, 3)


async def test_entries_expire_per_resource_ttl() -> None:
    clock = Clock()
    cache: SharedCache[int, int] = SharedCache(ttls={"products": 5, "nodes": 60}, timer=clock)
    upstream = Upstream()
    nodes = CacheRef("pim", "nodes", PRODUCTS.scope)
    await cache.get_many(PRODUCTS, [1], upstream.fetch)
    await cache.get_many(nodes, [1], upstream.fetch)
    clock.now = 10
    await cache.get_many(PRODUCTS, [1], upstream.fetch)
    await cache.get_many(nodes, [1], upstream.fetch)
    assert upstream.calls == [[1], [1], [1]]


async def test_concurrent_misses_make_one_call() -> None:
    cache: SharedCache[int, int] = SharedCache()
    upstream = Upstream(delay=0.05)
    first, second = await asyncio.gather(
        cache.get_many(PRODUCTS, [1, 2], upstream.fetch),
        cache.get_many(PRODUCTS, [2, 3], upstream.fetch),
    )
    assert (first, second) == ([10, 20], [20, 30])
    assert upstream.calls == [[1, 2], [3]]
    assert cache.stats.coalesced == 1


async def test_coalescing_works_with_the_cache_disabled() -> None:
    cache: SharedCache[int, int] = SharedCache(enabled=False)
    upstream = Upstream(delay=0.05)
    await asyncio.gather(*(cache.get_many(PRODUCTS, [7], upstream.fetch) for _ in range(5)))
    await cache.get_many(PRODUCTS, [7], upstream.fetch)
    assert upstream.calls == [[7], [7]]
    assert len(cache) == 0


async def test_errors_fill_their_slot_and_are_not_cached() -> None:
    cache: SharedCache[int, int] = SharedCache()
    upstream = Upstream()
    first = await cache.get_many(PRODUCTS, [1, -1], upstream.fetch)
    assert first[0] == 10 and isinstance(first[1], ValueError)
    await cache.get_many(PRODUCTS, [1, -1], upstream.fetch)
    assert upstream.calls == [[1, -1], [-1]]


async def test_a_failing_fetch_fails_every_waiter_and_caches_nothing() -> None:
    cache: SharedCache[int, int] = SharedCache()

    async def broken(keys: list[int]) -> list[int | BaseException]:
        await asyncio.sleep(0.01)
        raise ConnectionError("down")

    results = await asyncio.gather(
        cache.get_many(PRODUCTS, [1], broken), cache.get_many(PRODUCTS, [1], broken)
    )
    assert all(isinstance(r[0], ConnectionError) for r in results)
    assert len(cache) == 0


async def test_scopes_never_share_entries() -> None:
    cache: SharedCache[int, int] = SharedCache()
    upstream = Upstream()
    other = CacheRef("pim", "products", credential_scope("token-b"))
    await cache.get_many(PRODUCTS, [1], upstream.fetch)
    await cache.get_many(other, [1], upstream.fetch)
    assert upstream.calls == [[1], [1]]
    assert "token" not in PRODUCTS.scope


async def test_evict_forgets_keys_under_every_scope() -> None:
    cache: SharedCache[int, int] = SharedCache()
    upstream = Upstream()
    other = CacheRef("pim", "products", credential_scope("token-b"))
    await cache.get_many(PRODUCTS, [1, 2], upstream.fetch)
    await cache.get_many(other, [1], upstream.fetch)
    assert cache.evict("pim", "products", [1]) == 2
    await cache.get_many(PRODUCTS, [1, 2], upstream.fetch)
    assert upstream.calls[-1] == [1]
    assert cache.evict_resource("pim", "products") == 2


async def test_bounded_size() -> None:
    cache: SharedCache[int, int] = SharedCache(maxsize=10)
    await cache.get_many(PRODUCTS, list(range(100)), Upstream().fetch)
    assert len(cache) == 10


async def test_wrong_slot_count_is_an_error_not_a_misalignment() -> None:
    cache: SharedCache[int, int] = SharedCache()

    async def short(keys: list[int]) -> list[int | BaseException]:
        return [1]

    results = await cache.get_many(PRODUCTS, [1, 2], short)
    assert all(isinstance(r, RuntimeError) for r in results)


@pytest.mark.parametrize("ttl", [0])
async def test_zero_ttl_resource_is_never_stored(ttl: float) -> None:
    cache: SharedCache[int, int] = SharedCache(ttls={"products": ttl})
    upstream = Upstream()
    await cache.get_many(PRODUCTS, [1], upstream.fetch)
    await cache.get_many(PRODUCTS, [1], upstream.fetch)
    assert len(upstream.calls) == 2


async def test_evictions_are_told_to_on_evict_unless_applied_from_elsewhere() -> None:
    cache: SharedCache[int, int] = SharedCache()
    told: list[tuple[str, str, tuple[object, ...] | None]] = []
    cache.on_evict = lambda upstream, resource, keys: told.append((upstream, resource, keys))
    cache.evict("pim", "products", (k for k in [1, (2, "b")]))
    cache.evict_resource("pim", "search")
    cache.evict("pim", "products", [3], notify=False)  # a message from another process
    cache.evict_resource("pim", "search", notify=False)
    cache.evict("pim", "products", [])
    assert told == [("pim", "products", (1, (2, "b"))), ("pim", "search", None)]


async def test_a_suspended_cache_neither_serves_nor_keeps_entries() -> None:
    cache: SharedCache[int, int] = SharedCache()
    upstream = Upstream()
    await cache.get_many(PRODUCTS, [1], upstream.fetch)
    cache.suspended = True
    await cache.get_many(PRODUCTS, [1, 2], upstream.fetch)
    cache.suspended = False
    await cache.get_many(PRODUCTS, [1, 2], upstream.fetch)
    assert upstream.calls == [[1], [1, 2], [2]]


async def test_an_answer_an_eviction_overtook_is_handed_out_but_not_kept() -> None:
    cache: SharedCache[int, int] = SharedCache()
    upstream = Upstream()
    answered = asyncio.Event()

    async def slow(keys: list[int]) -> list[int | BaseException]:
        await answered.wait()
        return await upstream.fetch(keys)

    reading = asyncio.create_task(cache.get_many(PRODUCTS, [1, 2], slow))
    await asyncio.sleep(0)  # the fetch is on its way
    cache.evict(PRODUCTS.upstream, PRODUCTS.resource, [1])  # a write landed meanwhile
    answered.set()
    assert await reading == [10, 20]
    await cache.get_many(PRODUCTS, [1, 2], upstream.fetch)
    assert upstream.calls == [[1, 2], [1]]
