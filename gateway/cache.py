"""The shared read cache beneath the per-request loaders.

One bounded cache for the whole process (``cachetools.TLRUCache``: least recently used out
first, each entry expiring after its resource's TTL). An entry's key is
``(upstream, resource, key, scope)``, where ``scope`` names the credential that read it, so one
credential's data is never served to another. Concurrent misses for the same key make one
upstream call (single flight), including misses from different GraphQL requests. Errors are
handed to every waiter of that flight and never stored.

| call | effect |
| --- | --- |
| ``await cache.get_many(ref, keys, fetch)`` | values for ``keys``, calling ``fetch(missing_keys)`` once |
| ``cache.evict(upstream, resource, keys)`` | forget those keys under every scope (after a write) |
| ``cache.evict_resource(upstream, resource)`` | forget a whole resource (e.g. search results) |

Several processes (``GATEWAY_REDIS_URL``): ``on_evict(upstream, resource, keys or None)`` is
told of every eviction (the invalidation bus sends it to the other processes, which apply it
with ``notify=False``), and ``suspended`` makes reads bypass the entries while this process
cannot hear the others' evictions.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from cachetools import TLRUCache

from gateway.observability.request_stats import current_request

__all__ = ["CacheRef", "CacheStats", "SharedCache", "credential_scope"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

FetchMany = Callable[[list[K]], Awaitable[Sequence[V | BaseException]]]


def credential_scope(credential: str) -> str:
    """A stable, non-reversible name for a credential, safe to keep in memory and metrics."""
    return hashlib.sha256(credential.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class CacheRef:
    """Which resource of which upstream, read with which credential scope."""

    upstream: str
    resource: str
    scope: str


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0
    coalesced: int = 0
    by_resource: dict[str, list[int]] = field(default_factory=dict)

    def count(self, resource: str, *, hit: bool, times: int = 1) -> None:
        stats = current_request()
        if hit:
            self.hits += times
            if stats is not None:
                stats.cache_hits += times
        else:
            self.misses += times
            if stats is not None:
                stats.cache_misses += times
        slot = self.by_resource.setdefault(resource, [0, 0])
        slot[0 if hit else 1] += times


class SharedCache(Generic[K, V]):
    """Bounded TTL cache with single-flight loading; see the module docstring."""

    def __init__(
        self,
        *,
        maxsize: int = 50_000,
        ttls: Mapping[str, float] | None = None,
        default_ttl: float = 60.0,
        enabled: bool = True,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttls = dict(ttls or {})
        self._default_ttl = default_ttl
        self.enabled = enabled
        self._entries: TLRUCache[tuple[Any, ...], Any] = TLRUCache(
            maxsize=maxsize, ttu=self._expiry, timer=timer
        )
        # Loads in flight: each key's batch, whose answer maps every key it asked to its slot.
        self._flights: dict[tuple[Any, ...], asyncio.Future[dict[Any, Any]]] = {}
        # Flights an eviction overtook: their answer may predate the write, so it is handed
        # to its waiters but not stored.
        self._overtaken: set[tuple[Any, ...]] = set()
        self._scopes: set[str] = set()
        self.stats = CacheStats()
        self.on_evict: Callable[[str, str, tuple[Hashable, ...] | None], None] | None = None
        self.suspended = False

    def _expiry(self, key: tuple[Any, ...], value: Any, now: float) -> float:
        return now + self._ttls.get(key[1], self._default_ttl)

    def __len__(self) -> int:
        return len(self._entries)

    async def get_many(
        self, ref: CacheRef, keys: Sequence[K], fetch: FetchMany[K, V]
    ) -> list[V | BaseException]:
        """One slot per key, in order: a cached value, a coalesced one, or a fresh fetch.

        ``fetch`` receives each missing key once and returns one slot per key (a value or an
        exception). Values are cached when the cache is enabled and the resource's TTL > 0.
        """
        self._scopes.add(ref.scope)
        use = self.enabled and not self.suspended
        upstream, resource, scope = ref.upstream, ref.resource, ref.scope
        entries, flights = self._entries, self._flights
        results: dict[K, Any] = {}
        waiting: dict[K, asyncio.Future[dict[Any, Any]]] = {}
        missing: list[K] = []
        hits = 0
        for key in dict.fromkeys(keys):
            full = (upstream, resource, key, scope)
            if use and full in entries:
                results[key] = entries[full]
                hits += 1
            elif full in flights:
                waiting[key] = flights[full]
            else:
                missing.append(key)
        # Counted once per kind, not per key.
        if hits:
            self.stats.count(resource, hit=True, times=hits)
        if missing:
            self.stats.count(resource, hit=False, times=len(missing))
        if waiting:
            self.stats.coalesced += len(waiting)
            if (stats := current_request()) is not None:
                stats.coalesced += len(waiting)
        if missing:
            await self._load(ref, missing, fetch, results)
        for key, flight in waiting.items():
            try:
                results[key] = (await asyncio.shield(flight))[key]
            except Exception as exc:
                results[key] = exc
        return [results[key] for key in keys]

    async def _load(
        self, ref: CacheRef, missing: list[K], fetch: FetchMany[K, V], results: dict[K, Any]
    ) -> None:
        # One flight for the whole batch: a reader of any of its keys waits on it and takes
        # its key's slot from the answer (one future, not one per key).
        flight: asyncio.Future[dict[Any, Any]] = asyncio.get_running_loop().create_future()
        upstream, resource, scope = ref.upstream, ref.resource, ref.scope
        fulls = [(upstream, resource, key, scope) for key in missing]
        flights = self._flights
        for full in fulls:
            flights[full] = flight
        overtaken: set[K] = set()
        try:
            fetched = await fetch(list(missing))
            if len(fetched) != len(missing):
                raise RuntimeError(f"fetch for {ref.resource} returned a wrong number of slots")
        except BaseException as exc:
            for key in missing:
                results[key] = exc
            _settle(flight, exc)
            if not isinstance(exc, Exception):
                raise
            return
        finally:
            for full in fulls:
                flights.pop(full, None)
            if self._overtaken:
                overtaken = {
                    key for key, full in zip(missing, fulls, strict=True) if full in self._overtaken
                }
                self._overtaken.difference_update(fulls)
        answer = dict(zip(missing, fetched, strict=True))
        results.update(answer)
        _settle(flight, answer)
        store = (
            self.enabled
            and not self.suspended
            and self._ttls.get(ref.resource, self._default_ttl) > 0
        )
        if store:
            for key, full, value in zip(missing, fulls, fetched, strict=True):
                if key not in overtaken and not isinstance(value, BaseException):
                    self._entries[full] = value

    def evict(
        self, upstream: str, resource: str, keys: Iterable[Hashable], *, notify: bool = True
    ) -> int:
        """Forget ``keys`` of ``resource`` under every credential scope; returns how many went."""
        keys = tuple(keys)
        if notify and self.on_evict is not None and keys:
            self.on_evict(upstream, resource, keys)
        gone = 0
        for key in keys:
            for scope in self._scopes:
                full = (upstream, resource, key, scope)
                if full in self._flights:
                    self._overtaken.add(full)
                if full in self._entries:
                    del self._entries[full]
                    gone += 1
        return gone

    def evict_resource(self, upstream: str, resource: str, *, notify: bool = True) -> int:
        if notify and self.on_evict is not None:
            self.on_evict(upstream, resource, None)
        self._overtaken.update(k for k in self._flights if k[0] == upstream and k[1] == resource)
        doomed = [k for k in list(self._entries.keys()) if k[0] == upstream and k[1] == resource]
        for key in doomed:
            self._entries.pop(key, None)
        return len(doomed)

    def clear(self) -> None:
        self._overtaken.update(self._flights)
        self._entries.clear()


def _settle(future: asyncio.Future[Any], outcome: Any) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
        # Nobody may be waiting on this flight; don't let asyncio log "never retrieved".
        future.exception()
    else:
        future.set_result(outcome)
