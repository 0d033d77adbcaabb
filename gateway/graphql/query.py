"""Root query fields: the schema contract's reads."""

from __future__ import annotations

from datetime import datetime
from importlib.metadata import version

import strawberry

from gateway.errors import BadUserInput
from gateway.graphql.info import Info
from gateway.graphql.node_lookup import resolve_node
from gateway.graphql.query_commerce import CommerceQuery
from gateway.graphql.query_jobs import JobQuery
from gateway.graphql.types.catalog import CatalogProduct
from gateway.graphql.types.classifications import (
    Attribute,
    AttributeDefinition,
    Classification,
    ClassificationNode,
)
from gateway.graphql.types.connections import ProductConnection, search_products
from gateway.graphql.types.node import Node
from gateway.graphql.types.products import Product

__all__ = ["Query"]


def _one_of(**given: object) -> str:
    named = [name for name, value in given.items() if value is not None]
    if len(named) != 1:
        raise BadUserInput(f"give exactly one of: {', '.join(given)}")
    return named[0]


@strawberry.type(description="Read the product catalogue.")
class Query(CommerceQuery, JobQuery):
    @strawberry.field(description="The running gateway's version.")
    def gateway_version(self) -> str:
        return version("catalog-gateway")

    @strawberry.field(description="Any object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, str(id))

    @strawberry.field(description="One PIM product by tid or pimId.")
    async def product(
        self, info: Info, tid: str | None = None, pim_id: int | None = None
    ) -> Product | None:
        _one_of(tid=tid, pimId=pim_id)
        rec = await info.context.loaders.load_product(tid=tid, pim_id=pim_id)
        return Product.from_record(rec) if rec else None

    @strawberry.field(description="PIM products by tids or pimIds; null where none exists.")
    async def products(
        self, info: Info, tids: list[str] | None = None, pim_ids: list[int] | None = None
    ) -> list[Product | None]:
        _one_of(tids=tids, pimIds=pim_ids)
        loaders = info.context.loaders
        found = (
            await loaders.product_by_tid.load_many(tids)
            if tids is not None
            else await loaders.product_by_id.load_many(pim_ids or [])
        )
        return [Product.from_record(r) if r else None for r in found]

    @strawberry.field(description="Products matching every criterion given (AND), as a connection.")
    async def search_products(
        self,
        info: Info,
        modified_from: datetime | None = None,
        modified_until: datetime | None = None,
        node_paths: list[str] | None = None,
        search_strategy: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> ProductConnection:
        return await search_products(
            info,
            modified_from=modified_from,
            modified_until=modified_until,
            node_paths=node_paths or [],
            search_strategy=search_strategy,
            first=first,
            after=after,
        )

    @strawberry.field(description="One classification by tid or pimId.")
    async def classification(
        self, info: Info, tid: str | None = None, pim_id: int | None = None
    ) -> Classification | None:
        _one_of(tid=tid, pimId=pim_id)
        loaders = info.context.loaders
        rec = await (
            loaders.classification_by_tid.load(tid)
            if tid is not None
            else loaders.classification_by_id.load(pim_id)
        )
        return Classification.from_record(rec) if rec else None

    @strawberry.field(
        description="Classifications by tids or pimIds; every one when neither is given."
    )
    async def classifications(
        self, info: Info, tids: list[str] | None = None, pim_ids: list[int] | None = None
    ) -> list[Classification | None]:
        loaders = info.context.loaders
        if tids is not None:
            found = await loaders.classification_by_tid.load_many(tids)
        elif pim_ids is not None:
            found = await loaders.classification_by_id.load_many(pim_ids)
        else:
            found = list(await info.context.runtime.pim.list_classifications())
        return [Classification.from_record(r) if r else None for r in found]

    @strawberry.field(
        description="One classification node by path (e.g. /Standard/Bekleidung) or pimId."
    )
    async def classification_node(
        self, info: Info, path: str | None = None, pim_id: int | None = None
    ) -> ClassificationNode | None:
        _one_of(path=path, pimId=pim_id)
        loaders = info.context.loaders
        rec = await (
            loaders.node_by_path.load(path) if path is not None else loaders.node_by_id.load(pim_id)
        )
        return ClassificationNode.from_record(rec) if rec else None

    @strawberry.field(description="One attribute definition by tid or pimId.")
    async def attribute_definition(
        self, info: Info, tid: str | None = None, pim_id: int | None = None
    ) -> AttributeDefinition | None:
        _one_of(tid=tid, pimId=pim_id)
        loaders = info.context.loaders
        rec = await (
            loaders.definition_by_tid.load(tid)
            if tid is not None
            else loaders.definition_by_id.load(pim_id)
        )
        return AttributeDefinition.from_record(rec) if rec else None

    @strawberry.field(
        description="Attribute definitions by tids, pimIds or types; every one when none is given."
    )
    async def attribute_definitions(
        self,
        info: Info,
        tids: list[str] | None = None,
        pim_ids: list[int] | None = None,
        types: list[str] | None = None,
    ) -> list[AttributeDefinition | None]:
        loaders = info.context.loaders
        pim = info.context.runtime.pim
        if tids is not None:
            found = await loaders.definition_by_tid.load_many(tids)
        elif pim_ids is not None:
            found = await loaders.definition_by_id.load_many(pim_ids)
        elif types is not None:
            ids = await pim.query_attribute_definitions(types)
            found = await loaders.definition_by_id.load_many(list(ids))
        else:
            found = list(await pim.list_attribute_definitions())
        return [AttributeDefinition.from_record(r) if r else None for r in found]

    @strawberry.field(
        description="Attributes by pimIds, or those of nodes (by path or pimId) or products (by tid or pimId)."
    )
    async def attributes(
        self,
        info: Info,
        pim_ids: list[int] | None = None,
        node_paths: list[str] | None = None,
        node_pim_ids: list[int] | None = None,
        product_tids: list[str] | None = None,
        product_pim_ids: list[int] | None = None,
        include_inherited: bool = False,
    ) -> list[Attribute]:
        which = _one_of(
            pimIds=pim_ids,
            nodePaths=node_paths,
            nodePimIds=node_pim_ids,
            productTids=product_tids,
            productPimIds=product_pim_ids,
        )
        loaders = info.context.loaders
        if which == "pimIds":
            found = [a for a in await loaders.attribute_by_id.load_many(pim_ids or []) if a]
            return [Attribute.from_record(a) for a in found]
        if which == "nodePaths":
            nodes = await loaders.node_by_path.load_many(node_paths or [])
            node_pim_ids = [n.id for n in nodes if n is not None and n.id is not None]
        if which == "productPimIds":
            products = await loaders.product_by_id.load_many(product_pim_ids or [])
            product_tids = [p.tid for p in products if p is not None and p.tid]
        if which in ("nodePaths", "nodePimIds"):
            keys = [(n, include_inherited) for n in node_pim_ids or []]
            groups = await loaders.attributes_by_node.load_many(keys)
        else:
            keys_p = [(t, include_inherited) for t in product_tids or []]
            groups = await loaders.attributes_by_product.load_many(keys_p)
        return [Attribute.from_record(a) for group in groups for a in group]

    @strawberry.field(
        description="One CitrusAd catalog product; `catalogId` defaults to the GATEWAY_CITRUSAD_CATALOG_ID setting."
    )
    async def catalog_product(
        self, info: Info, gtin: str, catalog_id: str | None = None
    ) -> CatalogProduct | None:
        catalog = catalog_id or info.context.runtime.settings.citrusad_catalog_id
        rec = await info.context.loaders.catalog_product.load((catalog, gtin))
        return CatalogProduct.from_record(rec) if rec else None

    @strawberry.field(
        description="CitrusAd catalog products by product code; null where none is found."
    )
    async def catalog_products(
        self, info: Info, gtins: list[str], catalog_id: str | None = None
    ) -> list[CatalogProduct | None]:
        catalog = catalog_id or info.context.runtime.settings.citrusad_catalog_id
        found = await info.context.loaders.catalog_product.load_many([(catalog, g) for g in gtins])
        return [CatalogProduct.from_record(r) if r else None for r in found]
