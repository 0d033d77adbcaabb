"""What lives as long as the process: transports, clients, the shared cache.

``Runtime`` is built once per server (in the app's lifespan) or per embedded gateway, and
closed once. Requests borrow it through their context; nothing in it is per request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from gateway.cache import SharedCache
from gateway.extensions import ExtensionRegistry
from gateway.readmodel import CommerceReadModel
from gateway.settings import Settings
from gateway.upstreams.citrusad import CitrusAdClient
from gateway.upstreams.omnicommerce import OmnicommerceClient
from gateway.upstreams.pim import PimClient
from gateway.upstreams.transport import (
    TransportPool,
    UpstreamConfig,
    citrusad_config,
    omnicommerce_config,
    pim_config,
)

__all__ = ["CACHE_RESOURCES", "Runtime"]

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
    readmodel: CommerceReadModel
    extensions: ExtensionRegistry = field(default_factory=ExtensionRegistry)

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
        pool = TransportPool()

        def add(config: UpstreamConfig) -> Any:
            return pool.add(config, client=http_client(config) if http_client else None)

        pim = add(pim_config(settings))
        omnicommerce = add(omnicommerce_config(settings))
        citrusad = add(citrusad_config(settings))
        ttls = {name: getattr(settings, field) for name, field in CACHE_RESOURCES.items()}
        return cls(
            settings=settings,
            pool=pool,
            pim=PimClient(pim, batch_size=settings.pim_batch_size),
            omnicommerce=OmnicommerceClient(omnicommerce),
            citrusad=CitrusAdClient(
                citrusad,
                settings.citrusad_team_id or "",
                max_concurrency=settings.citrusad_concurrency,
            ),
            cache=SharedCache(
                maxsize=max(settings.cache_max_entries, 1),
                ttls=ttls,
                enabled=settings.cache_enabled and settings.cache_max_entries > 0,
            ),
            readmodel=CommerceReadModel(settings.database),
            extensions=extensions or ExtensionRegistry(),
        )

    def scope(self, upstream: str) -> str:
        """The credential scope of ``upstream``'s reads, for cache keys."""
        return self.pool[upstream].config.credential_scope

    async def aclose(self) -> None:
        try:
            await self.pool.aclose()
        finally:
            self.readmodel.close()

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
