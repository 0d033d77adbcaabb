"""Per-request DataLoaders: every fetch by key, batched per resource and depth, over the cache.

A loader collects the keys its fields ask for during one tick of the event loop and makes one
batch call (split by the client into calls of at most ``pim_batch_size`` keys). Beneath it,
the shared cache answers keys it already holds and coalesces keys other requests are loading.

| loader | key | upstream call per batch |
| --- | --- | --- |
| ``product_by_tid`` / ``product_by_id`` | tid / pimId | ``products/retrieve {tids}`` / ``{ids}`` |
| ``node_by_id`` | pimId | ``nodes/retrieve {ids}`` |
| ``node_by_path`` | path | ``nodes/retrieve {path: common ancestor, level}`` |
| ``children_by_path`` | path | ``nodes/retrieve {path, level: 1}`` per path |
| ``root_node`` | classification tid | ``nodes/retrieve {classificationTid}`` per classification |
| ``definition_by_tid`` / ``definition_by_id`` | tid / pimId | ``attribute-definitions/retrieve`` |
| ``attributes_by_node`` | (node pimId, inherited) | ``attributes/retrieve {nodeIds}`` per node |
| ``attributes_by_product`` | (product tid, inherited) | ``attributes/retrieve {productTids}`` per product |
| ``attribute_by_id`` | pimId | ``attributes/retrieve {ids}`` |
| ``classification_by_tid`` / ``_by_id`` | tid / pimId | ``classes/retrieve`` |
| ``catalog_product`` | (catalogId, gtin) | ``GET /v1/catalog-products/{catalogId}/{gtin}`` each, capped |
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from gateway.cache import CacheRef
from gateway.observability import tracing
from gateway.runtime import Runtime
from gateway.upstreams.records import ClassificationNode

__all__ = ["Loaders", "ancestor_and_depth", "node_path_key"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Slots = list[Any]


def node_path_key(path: str) -> str:
    """Node paths compare without a trailing slash: ``/Standard/Bekleidung/`` is the same node."""
    return "/" + "/".join(part for part in path.split("/") if part)


def ancestor_and_depth(paths: Sequence[str]) -> tuple[str, int]:
    """The deepest common ancestor of ``paths`` and how many levels below it they reach.

    | paths | answer |
    | --- | --- |
    | ``/Standard/A``, ``/Standard/B`` | ``("/Standard", 1)`` |
    | ``/Standard/A/X``, ``/Standard/B`` | ``("/Standard", 2)`` |
    | ``/Standard/A`` | ``("/Standard", 1)`` |
    """
    split = [[p for p in path.split("/") if p] for path in paths]
    common: list[str] = []
    for parts in zip(*(s[:-1] for s in split), strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    deepest = max(len(s) for s in split)
    return "/" + "/".join(common), deepest - len(common)


class Loaders:
    """All loaders of one request. Build one per GraphQL request; never share between them."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        batch = runtime.settings.pim_batch_size
        pim = runtime.pim
        self.product_by_tid = self._loader("pim", "product_by_tid", pim.products_by_tid, batch)
        self.product_by_id = self._loader("pim", "product_by_id", pim.products_by_id, batch)
        self.node_by_id = self._loader("pim", "node_by_id", pim.nodes_by_id, batch)
        self.node_by_path = self._loader("pim", "node_by_path", self._nodes_by_path, None)
        self.children_by_path = self._loader("pim", "children_by_path", self._children, None)
        self.root_node = self._loader("pim", "root_node", self._roots, None)
        self.definition_by_tid = self._loader(
            "pim", "definition_by_tid", pim.attribute_definitions_by_tid, batch
        )
        self.definition_by_id = self._loader(
            "pim", "definition_by_id", pim.attribute_definitions_by_id, batch
        )
        self.attributes_by_node = self._loader(
            "pim", "attributes_by_node", self._attributes_by_node, batch
        )
        self.attributes_by_product = self._loader(
            "pim", "attributes_by_product", self._attributes_by_product, None
        )
        self.attribute_by_id = self._loader("pim", "attribute_by_id", self._attribute_by_id, batch)
        self.classification_by_tid = self._loader(
            "pim", "classification_by_tid", pim.classifications_by_tid, batch
        )
        self.classification_by_id = self._loader(
            "pim", "classification_by_id", pim.classifications_by_id, batch
        )
        self.catalog_product = self._loader(
            "citrusad", "catalog_product", runtime.citrusad.get_many, None
        )

    def _loader(
        self,
        upstream: str,
        resource: str,
        fetch: Callable[[list[Any]], Awaitable[Sequence[Any]]],
        max_batch: int | None,
    ) -> DataLoader[Any, Any]:
        ref = CacheRef(upstream, resource, self.runtime.scope(upstream))
        cache = self.runtime.cache

        async def load(keys: list[Any]) -> Slots:
            if not tracing.enabled():
                return await cache.get_many(ref, keys, fetch)
            attributes = {"gateway.resource": resource, "gateway.keys": len(keys)}
            with tracing.span("loader.batch", attributes):
                return await cache.get_many(ref, keys, fetch)

        return DataLoader(load_fn=load, max_batch_size=max_batch)

    async def load_product(self, *, tid: str | None = None, pim_id: int | None = None) -> Any:
        if tid is not None:
            return await self.product_by_tid.load(tid)
        return await self.product_by_id.load(pim_id)

    # Batch functions the PIM offers no single call for.

    async def _nodes_by_path(self, paths: list[str]) -> Slots:
        wanted = [node_path_key(p) for p in paths]
        by_classification: dict[str, list[str]] = defaultdict(list)
        for path in wanted:
            if path != "/":
                by_classification[path.split("/")[1]].append(path)
        found: dict[str, ClassificationNode] = {}
        for group in by_classification.values():
            found.update(await self._subtree(group))
        return [found.get(path) for path in wanted]

    async def _subtree(self, paths: list[str]) -> dict[str, ClassificationNode]:
        roots = [p for p in paths if p.count("/") == 1]
        others = [p for p in paths if p.count("/") > 1]
        found: dict[str, ClassificationNode] = {}
        if roots:
            nodes = await self.root_node.load_many([p.strip("/") for p in roots])
            found.update({p: n for p, n in zip(roots, nodes, strict=True) if n is not None})
        if others:
            ancestor, depth = ancestor_and_depth(others)
            nodes = await self.runtime.pim.retrieve_child_nodes(ancestor, level=depth)
            found.update({node_path_key(n.path): n for n in nodes if n.path})
        return found

    async def _children(self, paths: list[str]) -> Slots:
        async def one(path: str) -> Any:
            try:
                return tuple(await self.runtime.pim.retrieve_child_nodes(path, level=1))
            except Exception as exc:
                return exc

        return list(await asyncio.gather(*(one(p) for p in paths)))

    async def _roots(self, classification_tids: list[str]) -> Slots:
        async def one(tid: str) -> Any:
            try:
                return await self.runtime.pim.retrieve_root_node(classification_tid=tid)
            except Exception as exc:
                return exc

        return list(await asyncio.gather(*(one(t) for t in classification_tids)))

    async def _attributes_by_node(self, keys: list[tuple[int, bool]]) -> Slots:
        """One call per node: the PIM's answer does not say which requested node an
        attribute belongs to, inherited or not, so a shared call could not be split."""

        async def one(node_id: int, inherited: bool) -> Any:
            try:
                return tuple(
                    await self.runtime.pim.retrieve_attributes(
                        node_ids=[node_id], include_parent_attributes=inherited
                    )
                )
            except Exception as exc:
                return exc

        return list(await asyncio.gather(*(one(n, i) for n, i in keys)))

    async def _attributes_by_product(self, keys: list[tuple[str, bool]]) -> Slots:
        async def one(tid: str, inherited: bool) -> Any:
            try:
                return tuple(
                    await self.runtime.pim.retrieve_attributes(
                        product_tids=[tid], include_parent_attributes=inherited
                    )
                )
            except Exception as exc:
                return exc

        return list(await asyncio.gather(*(one(t, i) for t, i in keys)))

    async def _attribute_by_id(self, ids: list[int]) -> Slots:
        found = {a.id: a for a in await self.runtime.pim.retrieve_attributes(ids=ids)}
        return [found.get(i) for i in ids]
