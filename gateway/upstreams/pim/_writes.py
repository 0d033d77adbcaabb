"""The PIM's writes: persist and perform per resource, one request each, answers in order.

Each returns the PIM's ``<response>`` list as ``PimItemResponse`` records, in the order the
PIM answers: the input order (products: one per product, article and variant written,
depth first). An item that failed is an ``ERROR`` response in an HTTP 200, not an exception.
A write is one request: nothing is split, since the PIM creates nodes strictly in request
order and a classification's nodes travel with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gateway.errors import UpstreamBadResponse
from gateway.upstreams import pim_xml
from gateway.upstreams.records import (
    Action,
    Attribute,
    AttributeDefinition,
    Classification,
    ClassificationNode,
    PimDataType,
    PimId,
    PimItemResponse,
    Product,
    ProductLink,
)

from . import _write_checks as check
from ._base import PimBase
from ._errors import UPSTREAM

__all__ = ["PimWrites"]

Meta = Mapping[str, str] | None
_DELETE = ("delete",)


class PimWrites(PimBase):
    """``meta`` on every write is the request's ``<meta>`` items (e.g. messageType, sourceEnv)."""

    # --- classifications ---------------------------------------------------------------------

    async def persist_classifications(
        self, classes: Sequence[Classification], *, meta: Meta = None
    ) -> list[PimItemResponse]:
        """Create or update classes, with their ``nodes`` (root first, in order) and attributes."""
        check.check_classes(classes)
        body = pim_xml.build_classes_persist(classes, meta=meta)
        return await self._write("/pim/classes/persist", body)

    async def perform_classifications(
        self, actions: Sequence[Action], *, meta: Meta = None
    ) -> list[PimItemResponse]:
        """``Action.delete("classification", tid=|id=)`` (the tid wins)."""
        check.check_actions(actions, PimDataType.CLASSIFICATION, _DELETE, ("tid", "id"))
        return await self._write("/pim/classes/perform", pim_xml.build_actions(actions, meta=meta))

    # --- attribute definitions -----------------------------------------------------------------

    async def persist_attribute_definitions(
        self, definitions: Sequence[AttributeDefinition], *, meta: Meta = None
    ) -> list[PimItemResponse]:
        check.check_attribute_definitions(definitions)
        body = pim_xml.build_attribute_definitions_persist(definitions, meta=meta)
        return await self._write("/pim/attribute-definitions/persist", body)

    async def perform_attribute_definitions(
        self, actions: Sequence[Action], *, meta: Meta = None
    ) -> list[PimItemResponse]:
        """``Action.delete("attrDefinition", tid=|id=)``."""
        check.check_actions(actions, PimDataType.ATTRIBUTE_DEFINITION, _DELETE, ("tid", "id"))
        body = pim_xml.build_actions(actions, meta=meta)
        return await self._write("/pim/attribute-definitions/perform", body)

    # --- attributes ----------------------------------------------------------------------------

    async def persist_attributes(
        self, attributes: Sequence[Attribute], *, meta: Meta = None
    ) -> list[PimItemResponse]:
        """Create with ``node_id``/``node_path``; update by ``id``, or node and ``key``."""
        check.check_attributes(attributes)
        body = pim_xml.build_attributes_persist(attributes, meta=meta)
        return await self._write("/pim/attributes/persist", body)

    async def perform_attributes(
        self, actions: Sequence[Action], *, meta: Meta = None
    ) -> list[PimItemResponse]:
        """``Action.delete("attribute", id=)``: attributes are deleted by id only."""
        check.check_actions(actions, PimDataType.ATTRIBUTE, _DELETE, ("id",))
        body = pim_xml.build_actions(actions, meta=meta)
        return await self._write("/pim/attributes/perform", body)

    # --- classification nodes (admin-only in the PIM) ---------------------------------------------

    async def persist_nodes(
        self, nodes: Sequence[ClassificationNode], *, meta: Meta = None
    ) -> list[PimItemResponse]:
        """Create under ``parent_id``/``parent_path`` (a root by ``classification_tid``),
        update by ``id`` or ``path``; strictly in order, so a parent may precede its child."""
        check.check_nodes(nodes)
        return await self._write(
            "/pim/nodes/persist", pim_xml.build_nodes_persist(nodes, meta=meta)
        )

    async def perform_nodes(
        self, actions: Sequence[Action], *, meta: Meta = None
    ) -> list[PimItemResponse]:
        """``Action.delete("classNode", id=|path=)``. For a non-admin user the PIM answers
        one ``ERROR`` response (in a 200), not 1010."""
        check.check_actions(actions, PimDataType.CLASS_NODE, _DELETE, ("id", "path"))
        return await self._write("/pim/nodes/perform", pim_xml.build_actions(actions, meta=meta))

    # --- products --------------------------------------------------------------------------------

    async def persist_products(
        self, products: Sequence[Product], *, meta: Meta = None
    ) -> list[PimItemResponse]:
        """Create or rename products, articles, variants and set values (only those sent)."""
        check.check_products(products)
        body = pim_xml.build_products_persist(products, meta=meta)
        return await self._write("/pim/products/persist", body)

    async def perform_products(
        self, actions: Sequence[Action], *, meta: Meta = None
    ) -> list[PimItemResponse]:
        """``Action.delete("product", tid=|id=)`` and ``Action.copy_product(...)``; a copy's
        response has the new product's id in ``details["productId"]``."""
        check.check_actions(actions, PimDataType.PRODUCT, ("delete", "copy"), ("tid", "id"))
        body = pim_xml.build_actions(actions, meta=meta)
        return await self._write("/pim/products/perform", body)

    async def copy_product(
        self,
        *,
        tid: str | None = None,
        id: PimId | None = None,
        new_name: str | None = None,
        new_tid: str | None = None,
    ) -> PimItemResponse:
        """Copy one product tree; the PIM names it "<name> - Copy" unless ``new_name`` is given."""
        action = Action.copy_product(tid=tid, id=id, new_name=new_name, new_tid=new_tid)
        responses = await self.perform_products([action])
        if len(responses) != 1:
            raise UpstreamBadResponse(
                f"expected one response to a copy, got {len(responses)}", upstream=UPSTREAM
            )
        return responses[0]

    # --- product links -----------------------------------------------------------------------------

    async def persist_links(
        self, links: Sequence[ProductLink], *, meta: Meta = None
    ) -> list[PimItemResponse]:
        """Link products to target products (one or many a side, by tid or id)."""
        check.check_links(links)
        body = pim_xml.build_links_persist(links, meta=meta)
        return await self._write("/pim/products/links/persist", body)

    async def perform_links(
        self, links: Sequence[ProductLink], *, meta: Meta = None
    ) -> list[PimItemResponse]:
        """Unlink: one product from one target product per link."""
        check.check_unlinks(links)
        body = pim_xml.build_actions([Action.unlink(link) for link in links], meta=meta)
        return await self._write("/pim/products/links/perform", body)
