"""The PIM's reads: lists, retrieves (batched) and queries, and one-slot-per-key lookups."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from gateway.upstreams import pim_xml
from gateway.upstreams.records import (
    Attribute,
    AttributeDefinition,
    Classification,
    ClassificationNode,
    PimId,
    PimIdList,
    Product,
)

from . import _checks
from ._base import PimBase, on_flags

__all__ = ["PimReads"]

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


class PimReads(PimBase):
    # --- classifications -------------------------------------------------------------------

    async def list_classifications(self) -> list[Classification]:
        """Every classification (``GET /pim/classes``), without nodes."""
        answer = await self._get("/pim/classes")
        return list(pim_xml.parse_classifications(answer.content))

    async def retrieve_classifications(
        self,
        *,
        tids: Sequence[str] | None = None,
        ids: Sequence[PimId] | None = None,
        with_nodes: bool = False,
        flat_nodes: bool = True,
    ) -> list[Classification]:
        """By tids or by ids, batched; neither means every classification.

        The PIM answers classifications without their ids: match by id with
        ``classifications_by_id``.
        """
        wanted = on_flags(withNodes=with_nodes)
        if with_nodes and not flat_nodes:
            wanted["flatNodes"] = False
        key, keys = _checks.one_of(
            "retrieve_classifications", {"tids": tids, "ids": ids}, optional=True
        )
        if key is None:
            return await self._classes(wanted)
        return await self._batched(keys, lambda chunk: self._classes({key: chunk, **wanted}))

    async def classifications_by_tid(
        self, tids: Sequence[str], *, with_nodes: bool = False
    ) -> list[Classification | None]:
        """One slot per tid, in order; ``None`` where the PIM has none."""
        found = await self.retrieve_classifications(tids=tids, with_nodes=with_nodes)
        return _slots(tids, found, lambda c: c.tid)

    async def classifications_by_id(
        self, ids: Sequence[PimId], *, with_nodes: bool = False
    ) -> list[Classification | None]:
        """One slot per id; each record carries the id it was asked by.

        One call per distinct id: the PIM's answer names classifications by tid only and
        skips unknown ids, so a batch's answer cannot be matched back to its ids.
        """
        distinct = list(dict.fromkeys(ids))
        wanted = on_flags(withNodes=with_nodes)

        async def one(pim_id: PimId) -> list[Classification]:
            found = await self._classes({"ids": [pim_id], **wanted})
            return [dataclasses.replace(c, id=c.id if c.id is not None else pim_id) for c in found]

        answers = await self._gather(one(i) for i in distinct)
        by_id = {i: found[0] for i, found in zip(distinct, answers, strict=True) if found}
        return [by_id.get(i) for i in ids]

    async def _classes(self, body: dict[str, Any]) -> list[Classification]:
        answer = await self._read("/pim/classes/retrieve", body)
        return list(pim_xml.parse_classifications(answer.content))

    # --- attribute definitions -------------------------------------------------------------

    async def list_attribute_definitions(self) -> list[AttributeDefinition]:
        """Every attribute definition (``GET /pim/attribute-definitions``)."""
        answer = await self._get("/pim/attribute-definitions")
        return list(pim_xml.parse_attribute_definitions(answer.content))

    async def query_attribute_definitions(self, types: Sequence[str]) -> list[PimId]:
        """Ids of the definitions of these types (text, number, date, boolean, ref, table)."""
        _checks.definition_types(types)
        found = await self._query("/pim/attribute-definitions/query", {"types": list(types)})
        return list(found.ids)

    async def retrieve_attribute_definitions(
        self, *, tids: Sequence[str] | None = None, ids: Sequence[PimId] | None = None
    ) -> list[AttributeDefinition]:
        """By tids or by ids, batched; neither means all (``{"all": true}``)."""
        key, keys = _checks.one_of(
            "retrieve_attribute_definitions", {"tids": tids, "ids": ids}, optional=True
        )
        if key is None:
            return await self._definitions({"all": True})
        return await self._batched(keys, lambda chunk: self._definitions({key: chunk}))

    async def attribute_definitions_by_tid(
        self, tids: Sequence[str]
    ) -> list[AttributeDefinition | None]:
        return _slots(tids, await self.retrieve_attribute_definitions(tids=tids), lambda d: d.tid)

    async def attribute_definitions_by_id(
        self, ids: Sequence[PimId]
    ) -> list[AttributeDefinition | None]:
        return _slots(ids, await self.retrieve_attribute_definitions(ids=ids), lambda d: d.id)

    async def _definitions(self, body: dict[str, Any]) -> list[AttributeDefinition]:
        answer = await self._read("/pim/attribute-definitions/retrieve", body)
        return list(pim_xml.parse_attribute_definitions(answer.content))

    # --- attributes (definitions attached to nodes) ----------------------------------------

    async def query_attributes(
        self,
        *,
        product_ids: Sequence[PimId] | None = None,
        product_tids: Sequence[str] | None = None,
        node_ids: Sequence[PimId] | None = None,
        node_paths: Sequence[str] | None = None,
        include_parent_attributes: bool = False,
    ) -> list[PimId]:
        """Attribute ids by exactly one selector, batched (products always include inherited)."""
        key, keys = _checks.one_of(
            "query_attributes",
            {
                "productId": product_ids,
                "productTid": product_tids,
                "nodeId": node_ids,
                "nodePath": node_paths,
            },
        )
        wanted = on_flags(includeParentAttributes=include_parent_attributes)

        async def one(chunk: list[Any]) -> list[PimId]:
            found = await self._query("/pim/attributes/query", {key: chunk, **wanted})
            return list(found.ids)

        return list(dict.fromkeys(await self._batched(keys, one)))

    async def retrieve_attributes(
        self,
        *,
        ids: Sequence[PimId] | None = None,
        product_ids: Sequence[PimId] | None = None,
        product_tids: Sequence[str] | None = None,
        node_ids: Sequence[PimId] | None = None,
        node_paths: Sequence[str] | None = None,
        include_parent_attributes: bool = False,
        with_domain_values: bool = False,
        with_default_values: bool = False,
    ) -> list[Attribute]:
        """Attributes by exactly one selector, batched; an attribute met twice is kept once."""
        key, keys = _checks.one_of(
            "retrieve_attributes",
            {
                "ids": ids,
                "productIds": product_ids,
                "productTids": product_tids,
                "nodeIds": node_ids,
                "nodePaths": node_paths,
            },
        )
        wanted = on_flags(
            includeParentAttributes=include_parent_attributes,
            withDomainValues=with_domain_values,
            withDefaultValues=with_default_values,
        )

        async def one(chunk: list[Any]) -> list[Attribute]:
            answer = await self._read("/pim/attributes/retrieve", {key: chunk, **wanted})
            return list(pim_xml.parse_attributes(answer.content))

        found = await self._batched(keys, one)
        # Inherited attributes come back once per node or product that inherits them.
        seen: set[PimId] = set()
        unique = []
        for attr in found:
            if attr.id is None or attr.id not in seen:
                unique.append(attr)
                if attr.id is not None:
                    seen.add(attr.id)
        return unique

    # --- classification nodes (admin-only in the PIM: 403 / 1010 otherwise) ----------------

    async def query_nodes(
        self,
        *,
        product_id: PimId | None = None,
        product_tid: str | None = None,
        attribute_id: PimId | None = None,
        attribute_definition_id: PimId | None = None,
        attribute_definition_tid: str | None = None,
    ) -> PimIdList:
        """Node ids (and their ``level``) by exactly one criterion."""
        key, value = _checks.one_value(
            "query_nodes",
            {
                "productId": product_id,
                "productTid": product_tid,
                "attributeId": attribute_id,
                "attributeDefinitionId": attribute_definition_id,
                "attributeDefinitionTid": attribute_definition_tid,
            },
        )
        return await self._query("/pim/nodes/query", {key: value})

    async def retrieve_root_node(
        self, *, classification_tid: str | None = None, classification_id: PimId | None = None
    ) -> ClassificationNode | None:
        """A classification's root node, or ``None``."""
        key, value = _checks.one_value(
            "retrieve_root_node",
            {"classificationTid": classification_tid, "classificationId": classification_id},
        )
        found = await self._nodes({key: value})
        return found[0] if found else None

    async def retrieve_child_nodes(self, path: str, *, level: int = 1) -> list[ClassificationNode]:
        """The nodes below ``path``, ``level`` levels deep (the PIM refuses level 0)."""
        _checks.node_level(path, level)
        return await self._nodes({"path": path, "level": level})

    async def retrieve_nodes(self, ids: Sequence[PimId]) -> list[ClassificationNode]:
        return await self._batched(list(ids), lambda chunk: self._nodes({"ids": chunk}))

    async def nodes_by_id(self, ids: Sequence[PimId]) -> list[ClassificationNode | None]:
        return _slots(ids, await self.retrieve_nodes(ids), lambda n: n.id)

    async def _nodes(self, body: dict[str, Any]) -> list[ClassificationNode]:
        answer = await self._read("/pim/nodes/retrieve", body)
        return list(pim_xml.parse_nodes(answer.content))

    # --- products ----------------------------------------------------------------------------

    async def retrieve_products(
        self, *, tids: Sequence[str] | None = None, ids: Sequence[PimId] | None = None
    ) -> list[Product]:
        """Product trees (P > A > V with values and links) by tids or by ids, batched."""
        key, keys = _checks.one_of("retrieve_products", {"tids": tids, "ids": ids})
        return await self._batched(keys, lambda chunk: self._products({key: chunk}))

    async def products_by_tid(self, tids: Sequence[str]) -> list[Product | None]:
        """One slot per tid, in order (tids are case-sensitive); ``None`` where none exists."""
        return _slots(tids, await self.retrieve_products(tids=tids), lambda p: p.tid)

    async def products_by_id(self, ids: Sequence[PimId]) -> list[Product | None]:
        return _slots(ids, await self.retrieve_products(ids=ids), lambda p: p.pim_id)

    async def query_products(
        self,
        *,
        modified_from: datetime | None = None,
        modified_until: datetime | None = None,
        node_paths: Sequence[str] = (),
        search_strategy: str | None = None,
    ) -> list[str]:
        """Tids of the products matching every criterion given (AND). Naive times are UTC."""
        body: dict[str, Any] = {}
        if modified_from is not None:
            body["modifiedFrom"] = _query_time(modified_from)
        if modified_until is not None:
            body["modifiedUntil"] = _query_time(modified_until)
        if node_paths:
            body["nodePaths"] = list(node_paths)
        if search_strategy is not None:
            body["searchStrategy"] = search_strategy
        return list((await self._query("/pim/products/query", body)).tids)

    async def _products(self, body: dict[str, Any]) -> list[Product]:
        answer = await self._read("/pim/products/retrieve", body)
        return list(pim_xml.parse_products(answer.content))


def _slots(
    keys: Sequence[K], records: Iterable[R], key_of: Callable[[R], K | None]
) -> list[R | None]:
    found: dict[K, R] = {}
    for record in records:
        key = key_of(record)
        if key is not None:
            found.setdefault(key, record)
    return [found.get(key) for key in keys]


def _query_time(moment: datetime) -> str:
    """``2018-02-25T01:00:00.000``, in UTC, as the document's query sample writes it."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds")
