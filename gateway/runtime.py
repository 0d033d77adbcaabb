"""What lives as long as the process: transports, clients, the shared cache.

``Runtime`` is built once per server (in the app's lifespan) or per embedded gateway, and
closed once. Requests borrow it through their context; nothing in it is per request.

With ``settings.redis_url`` (several processes): the upstream rate windows live in Redis
(``gateway.shared.limiter``), and evictions and settled write chunks are told to the other
processes, whose caches drop the same entries (``gateway.shared.invalidation``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from gateway.cache import SharedCache
from gateway.database import Database
from gateway.extensions import ExtensionRegistry
from gateway.readmodel import CommerceReadModel
from gateway.settings import Settings
from gateway.shared.connection import SharedRedis
from gateway.shared.invalidation import Invalidation, InvalidationBus
from gateway.shared.limiter import RedisRateLimiter, redis_limiter
from gateway.upstreams.citrusad import CitrusAdClient
from gateway.upstreams.omnicommerce import OmnicommerceClient
from gateway.upstreams.pim import PimClient
from gateway.upstreams.transport import (
    LimiterRegistry,
    TransportPool,
    UpstreamConfig,
    citrusad_config,
    omnicommerce_config,
    pim_config,
)
from gateway.writes.jobs import ClaimedChunk, JobStore
from gateway.writes.submit import JobSubmitter
from gateway.writes.worker import WritePool

if TYPE_CHECKING:
    from gateway.http.response_cache import ResponseCache

__all__ = ["CACHE_RESOURCES", "Runtime", "write_pool"]

# Cache resource names and the settings field holding each one's TTL.
CACHE_RESOURCES = {
    "product_by_tid": "cache_ttl_products",
    "product_by_id": "cache_ttl_products",
    "product_search": "cache_ttl_products",
    "node_by_id": "cache_ttl_nodes",
    "node_by_path": "cache_ttl_nodes",
    "children_by_path": "cache_ttl_nodes",
    "root_node": "cache_ttl_nodes",
    "definition_by_tid": "cache_ttl_attribute_definitions",
    "definition_by_id": "cache_ttl_attribute_definitions",
    "definition_ids_by_type": "cache_ttl_attribute_definitions",
    "attributes_by_node": "cache_ttl_attributes",
    "attributes_by_product": "cache_ttl_attributes",
    "attribute_by_id": "cache_ttl_attributes",
    "classification_by_tid": "cache_ttl_classifications",
    "classification_by_id": "cache_ttl_classifications",
    "catalog_product": "cache_ttl_catalog_products",
}


@dataclass(slots=True)
class Runtime:
    """The gateway's long-lived parts. Use as ``async with Runtime.build(settings) as rt``."""

    settings: Settings
    pool: TransportPool
    pim: PimClient
    omnicommerce: OmnicommerceClient
    citrusad: CitrusAdClient
    cache: SharedCache[Any, Any]
    database: Database
    readmodel: CommerceReadModel
    jobs: JobStore
    writes: WritePool
    extensions: ExtensionRegistry = field(default_factory=ExtensionRegistry)
    # Called after every chunk of a write job settles (e.g. the HTTP layer clears its
    # whole-response cache): a job's writes land after the mutation that submitted it.
    write_listeners: list[Callable[[], None]] = field(default_factory=list)
    # Set with ``settings.redis_url``: the Redis connection and the invalidation bus on it.
    shared: SharedRedis | None = None
    invalidations: InvalidationBus | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        http_client: Callable[[UpstreamConfig], httpx.AsyncClient | None] | None = None,
        extensions: ExtensionRegistry | None = None,
    ) -> Runtime:
        """Settings must name every upstream's URL (``with_embedded_upstreams`` fills them).

        ``http_client(config)`` may supply an upstream's ``httpx.AsyncClient`` (e.g. one over
        ``httpx.ASGITransport`` to an in-process emulator); ``None`` means the default pool.
        """
        redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
        shared = SharedRedis.from_url(redis_url) if redis_url else None
        pool = TransportPool()
        if shared is not None:
            pool.limiters = LimiterRegistry(factory=lambda config: redis_limiter(shared, config))

        def add(config: UpstreamConfig) -> Any:
            return pool.add(config, client=http_client(config) if http_client else None)

        pim = add(pim_config(settings))
        omnicommerce = add(omnicommerce_config(settings))
        citrusad = add(citrusad_config(settings))
        ttls = {name: getattr(settings, field) for name, field in CACHE_RESOURCES.items()}
        cache: SharedCache[Any, Any] = SharedCache(
            maxsize=max(settings.cache_max_entries, 1),
            ttls=ttls,
            enabled=settings.cache_enabled and settings.cache_max_entries > 0,
        )
        clients = (
            OmnicommerceClient(omnicommerce),
            CitrusAdClient(
                citrusad,
                settings.citrusad_team_id or "",
                max_concurrency=settings.citrusad_concurrency,
            ),
        )
        database = Database(settings.database)
        jobs = JobStore(database)
        listeners: list[Callable[[], None]] = []
        job_listeners: list[Callable[[], None]] = []
        bus = None if shared is None else _bus(shared, cache, listeners, job_listeners)
        announce = None if bus is None else (lambda: bus.publish(Invalidation("written")))
        writes = write_pool(settings, jobs, *clients, cache, listeners, announce=announce)
        if bus is not None:
            writes.on_submitted = lambda: bus.publish(Invalidation("submitted"))
            job_listeners.append(lambda: writes.wake(announce=False))
            job_listeners.append(writes.events.notify)
        return cls(
            settings=settings,
            pool=pool,
            pim=PimClient(pim, batch_size=settings.pim_batch_size),
            omnicommerce=clients[0],
            citrusad=clients[1],
            cache=cache,
            database=database,
            readmodel=CommerceReadModel(database),
            jobs=jobs,
            writes=writes,
            extensions=extensions or ExtensionRegistry(),
            write_listeners=listeners,
            shared=shared,
            invalidations=bus,
        )

    def submitter(self, submitted_by: str | None = None) -> JobSubmitter:
        """Where a caller's bulk writes go: recorded as jobs, run by the workers."""
        return JobSubmitter(
            self.jobs,
            self.writes,
            max_items=self.settings.write_max_items,
            submitted_by=submitted_by,
        )

    def share_response_cache(self, cache: ResponseCache) -> None:
        """Clear ``cache`` after every settled write chunk and every write in another process;
        with Redis, its own clears (a mutation here) are told to the other processes."""
        self.write_listeners.append(lambda: cache.clear(announce=False))
        if self.invalidations is not None:
            bus = self.invalidations
            cache.on_clear = lambda: bus.publish(Invalidation("written"))

    async def writes_told(self, within: float = 1.0) -> None:
        """Wait (at most ``within`` seconds) until this process's evictions reached Redis, so
        the other processes drop what a write just changed before its caller hears "done"."""
        if self.invalidations is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.invalidations.flush(), within)

    def scope(self, upstream: str) -> str:
        """The credential scope of ``upstream``'s reads, for cache keys."""
        return self.pool[upstream].config.credential_scope

    async def aclose(self) -> None:
        try:
            await self.writes.stop(self.settings.shutdown_grace_seconds)
            await self.pool.aclose()
        finally:
            try:
                await self._close_shared()
            finally:
                self.database.close()

    async def _close_shared(self) -> None:
        if self.invalidations is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self.invalidations.flush()  # tell the others of our last writes
            await self.invalidations.stop()
        for limiter in self.pool.limiters:
            if isinstance(limiter, RedisRateLimiter):
                await limiter.aclose()
        if self.shared is not None:
            await self.shared.aclose()

    async def __aenter__(self) -> Runtime:
        if self.shared is not None:
            await self.shared.learn_epoch()
        if self.invalidations is not None:
            await self.invalidations.start()
        await self.writes.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


def write_pool(
    settings: Settings,
    jobs: JobStore,
    omnicommerce: OmnicommerceClient,
    citrusad: CitrusAdClient,
    cache: SharedCache[Any, Any],
    listeners: list[Callable[[], None]],
    *,
    workers: int | None = None,
    announce: Callable[[], None] | None = None,
) -> WritePool:
    """The workers running write jobs, each kind through its upstream's executor."""
    from gateway.writes.citrusad import CatalogWriter, CitrusAdChunks
    from gateway.writes.jobs import JobKind
    from gateway.writes.omnicommerce import OmnicommerceChunks

    catalog = CatalogWriter(citrusad, cache)
    commerce_chunks = OmnicommerceChunks(omnicommerce)
    catalog_chunks = CitrusAdChunks(catalog)
    executors = {
        kind: commerce_chunks if kind.upstream == "omnicommerce" else catalog_chunks
        for kind in JobKind
    }

    def settled(chunk: ClaimedChunk) -> None:
        if chunk.kind.upstream == "citrusad":
            catalog.evict_keys([(i.payload["catalogId"], i.payload["gtin"]) for i in chunk.items])
        for listener in listeners:
            listener()
        if announce is not None:
            announce()  # the other processes' response caches may hold the read model

    return WritePool(
        jobs,
        executors,
        workers=settings.write_workers if workers is None else workers,
        lease_seconds=settings.write_lease_seconds,
        on_settled=settled,
    )


def _bus(
    shared: SharedRedis,
    cache: SharedCache[Any, Any],
    listeners: list[Callable[[], None]],
    job_listeners: list[Callable[[], None]],
) -> InvalidationBus:
    """The invalidation bus between ``cache`` (and the write and job listeners) and the others."""

    def apply(message: Invalidation) -> None:
        if message.kind == "evict":
            cache.evict(message.upstream, message.resource, message.keys, notify=False)
        elif message.kind == "evict_resource":
            cache.evict_resource(message.upstream, message.resource, notify=False)
        for listener in listeners:
            listener()  # e.g. the whole-response cache: a write elsewhere changed something
        if message.kind in ("submitted", "written"):
            for job_listener in job_listeners:
                job_listener()  # workers and job waiters here need not wait for their poll

    def reset() -> None:
        # Without the subscription, evictions elsewhere go unheard: bypass, then start over.
        cache.suspended = not bus.connected
        cache.clear()
        for listener in listeners:
            listener()

    def evicted(upstream: str, resource: str, keys: tuple[Any, ...] | None) -> None:
        if keys is None:
            bus.publish(Invalidation("evict_resource", upstream, resource))
        else:
            bus.publish(Invalidation("evict", upstream, resource, keys))

    bus = InvalidationBus(shared, apply=apply, reset=reset)
    cache.suspended = True  # until subscribed
    cache.on_evict = evicted
    return bus
