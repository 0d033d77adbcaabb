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
| ``attributes_by_path`` | (node path, inherited) | ``attributes/retrieve {nodeIds}`` for up to 100 nodes, split by ``node_tree`` (``gateway.node_attributes``); one node: ``{nodePaths}`` |
| ``node_tree`` (this request only) | classification tid | ``classes/retrieve {tids, withNodes}``, only when a batch holds several nodes |
| ``attributes_by_node`` | (node pimId, inherited) | one node: ``attributes/retrieve {nodeIds}``; several: their paths (``node_by_id``), then ``attributes_by_path`` |
| ``attributes_by_product`` | (product tid, inherited) | the product's node (``product_by_tid``, loaded already by whoever holds the product), then ``attributes_by_path``; a product without a node: ``{productTids}`` |
| ``attribute_by_id`` | pimId | ``attributes/retrieve {ids}`` |
| ``classification_by_tid`` / ``_by_id`` | tid / pimId | ``classes/retrieve`` |
| ``catalog_product`` | (catalogId, gtin) | ``GET /v1/catalog-products/{catalogId}/{gtin}`` each, capped |

So 100 products on 6 nodes with ``attributes(includeInherited: true)`` cost one
``classes/retrieve`` and one ``attributes/retrieve``, not 100.

Attributes are always asked ``withDomainValues`` and ``withDefaultValues``. The alternative, a
second loader key for when ``defaultValues`` or ``domainValues`` is selected, would make a
query selecting both shapes pay two calls and keep two cache entries per node; the flags only
make the one answer longer (a node's domain lists), which costs far less than a call.
A product's attributes are its node's: the PIM documents that ``{productTids}`` always
includes inherited ones, so ``includeInherited: false`` is honoured by asking for the node's
own. Node-level answers are cached under the ``attributes_by_node`` resource (path or id keys)
so that every write evicting attributes evicts them.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from gateway.cache import CacheRef
from gateway.node_attributes import NodeTree, attributes_of_nodes, node_path_key
from gateway.observability import tracing
from gateway.runtime import Runtime
from gateway.upstreams.records import Attribute, ClassificationNode, Product

__all__ = ["Loaders", "ancestor_and_depth", "node_path_key"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Slots = list[Any]
BatchMethod = Callable[["Loaders", Any], Awaitable[Slots]]


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

    # Each loader is made when a request first asks for it: a request reads a few of them,
    # and making all of them cost about half a millisecond per request.

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @cached_property
    def node_tree(self) -> DataLoader[str, Any]:
        # Not in the shared cache: read only when attributes miss it, and always current.
        return DataLoader(load_fn=self._own(Loaders._trees))

    @cached_property
    def product_by_tid(self) -> DataLoader[Any, Any]:
        return self._loader(
            "pim",
            "product_by_tid",
            self.runtime.pim.products_by_tid,
            self.runtime.settings.pim_batch_size,
        )

    @cached_property
    def product_by_id(self) -> DataLoader[Any, Any]:
        return self._loader(
            "pim",
            "product_by_id",
            self.runtime.pim.products_by_id,
            self.runtime.settings.pim_batch_size,
        )

    @cached_property
    def node_by_id(self) -> DataLoader[Any, Any]:
        return self._loader(
            "pim", "node_by_id", self.runtime.pim.nodes_by_id, self.runtime.settings.pim_batch_size
        )

    @cached_property
    def node_by_path(self) -> DataLoader[Any, Any]:
        return self._loader("pim", "node_by_path", self._own(Loaders._nodes_by_path), None)

    @cached_property
    def children_by_path(self) -> DataLoader[Any, Any]:
        return self._loader("pim", "children_by_path", self._own(Loaders._children), None)

    @cached_property
    def root_node(self) -> DataLoader[Any, Any]:
        return self._loader("pim", "root_node", self._own(Loaders._roots), None)

    @cached_property
    def definition_by_tid(self) -> DataLoader[Any, Any]:
        return self._loader(
            "pim",
            "definition_by_tid",
            self.runtime.pim.attribute_definitions_by_tid,
            self.runtime.settings.pim_batch_size,
        )

    @cached_property
    def definition_by_id(self) -> DataLoader[Any, Any]:
        return self._loader(
            "pim",
            "definition_by_id",
            self.runtime.pim.attribute_definitions_by_id,
            self.runtime.settings.pim_batch_size,
        )

    @cached_property
    def attributes_by_path(self) -> DataLoader[Any, Any]:
        # Path and id keys share one cache resource: writes evict it by name.
        return self._loader(
            "pim", "attributes_by_node", self._own(Loaders._attributes_by_path), None
        )

    @cached_property
    def attributes_by_node(self) -> DataLoader[Any, Any]:
        return self._loader(
            "pim", "attributes_by_node", self._own(Loaders._attributes_by_node), None
        )

    @cached_property
    def attributes_by_product(self) -> DataLoader[Any, Any]:
        return self._loader(
            "pim", "attributes_by_product", self._own(Loaders._attributes_by_product), None
        )

    @cached_property
    def attribute_by_id(self) -> DataLoader[Any, Any]:
        return self._loader(
            "pim",
            "attribute_by_id",
            self._own(Loaders._attribute_by_id),
            self.runtime.settings.pim_batch_size,
        )

    @cached_property
    def classification_by_tid(self) -> DataLoader[Any, Any]:
        return self._loader(
            "pim",
            "classification_by_tid",
            self.runtime.pim.classifications_by_tid,
            self.runtime.settings.pim_batch_size,
        )

    @cached_property
    def classification_by_id(self) -> DataLoader[Any, Any]:
        return self._loader(
            "pim",
            "classification_by_id",
            self.runtime.pim.classifications_by_id,
            self.runtime.settings.pim_batch_size,
        )

    @cached_property
    def catalog_product(self) -> DataLoader[Any, Any]:
        return self._loader("citrusad", "catalog_product", self.runtime.citrusad.get_many, None)

    def _own(self, method: BatchMethod) -> Callable[[list[Any]], Awaitable[Slots]]:
        """``method`` as a batch function that reaches this object through a weak reference.

        A loader kept in this object holding it back (a bound method) would be a reference
        cycle: the request's loaders, and every record they loaded, would wait for a full
        collection instead of going when the request ends.
        """
        owner = weakref.ref(self)

        async def batch(keys: list[Any]) -> Slots:
            loaders = owner()
            if loaders is None:  # pragma: no cover - a loader outliving its request's context
                raise RuntimeError("the request's loaders are gone")
            return await method(loaders, keys)

        return batch

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

    async def _trees(self, classification_tids: list[str]) -> Slots:
        found = await self.runtime.pim.classifications_by_tid(classification_tids, with_nodes=True)
        return list(found)

    async def _tree_of(self, classification_tids: list[str]) -> NodeTree:
        found = await self.node_tree.load_many(classification_tids)
        return NodeTree.of(c for c in found if c is not None)

    async def _attributes_by_path(self, keys: list[tuple[str, bool]]) -> Slots:
        size = self.runtime.settings.pim_batch_size
        return await attributes_of_nodes(self.runtime.pim, self._tree_of, keys, size)

    async def _attributes_by_node(self, keys: list[tuple[int, bool]]) -> Slots:
        """One node: asked by id. Several: by path, so that one call serves them all."""
        if len(keys) == 1:
            return [await _settled(self._attributes(node_ids=[keys[0][0]], inherited=keys[0][1]))]
        nodes = await _gather(self.node_by_id.load(node_id) for node_id, _ in keys)
        paths = [_node_path(node) for node in nodes]

        async def one(node_id: int, inherited: bool, path: str | None) -> Any:
            if path is None:
                return await self._attributes(node_ids=[node_id], inherited=inherited)
            return await self.attributes_by_path.load((path, inherited))

        return await _gather(one(n, i, p) for (n, i), p in zip(keys, paths, strict=True))

    async def _attributes_by_product(self, keys: list[tuple[str, bool]]) -> Slots:
        """A product's attributes are its node's; a product without one is asked by tid."""
        products = await _gather(self.product_by_tid.load(tid) for tid, _ in keys)

        async def one(tid: str, inherited: bool, product: Any) -> Any:
            if isinstance(product, Product) and product.node:
                return await self.attributes_by_path.load((node_path_key(product.node), inherited))
            return await self._attributes(product_tids=[tid], inherited=inherited)

        return await _gather(one(t, i, p) for (t, i), p in zip(keys, products, strict=True))

    async def _attributes(self, *, inherited: bool, **selector: Any) -> tuple[Attribute, ...]:
        found = await self.runtime.pim.retrieve_attributes(
            **selector,
            include_parent_attributes=inherited,
            with_domain_values=True,
            with_default_values=True,
        )
        return tuple(found)

    async def _attribute_by_id(self, ids: list[int]) -> Slots:
        found = await self.runtime.pim.retrieve_attributes(
            ids=ids, with_domain_values=True, with_default_values=True
        )
        by_id = {a.id: a for a in found}
        return [by_id.get(i) for i in ids]


async def _gather(calls: Iterable[Awaitable[Any]]) -> Slots:
    """Every call's result, or its exception in its slot (one key never fails the batch)."""
    return list(await asyncio.gather(*calls, return_exceptions=True))


async def _settled(call: Awaitable[Any]) -> Any:
    try:
        return await call
    except Exception as exc:
        return exc


def _node_path(node: Any) -> str | None:
    """A node record's path as products name it (a root answered as ``/`` is ``/<tid>``)."""
    if not isinstance(node, ClassificationNode):
        return None
    if node.path and node.path != "/":
        return node_path_key(node.path)
    tid = node.classification_tid or node.classification or node.tid
    return f"/{tid}" if tid else None
