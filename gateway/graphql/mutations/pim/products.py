"""PIM product mutations: save (create, rename, set values), delete, copy, link, unlink."""

from __future__ import annotations

import strawberry

from gateway.graphql.info import Info
from gateway.graphql.mutations.pim._common import item_keys, writer
from gateway.graphql.mutations.pim.payloads import (
    CopyProductPayload,
    PimWritePayload,
    PimWriteResult,
)
from gateway.graphql.types.pim_inputs import ProductInput, ProductLinkInput
from gateway.graphql.types.products import Product
from gateway.writes.pim import ItemKey

__all__ = ["PimProductMutation"]


@strawberry.type
class PimProductMutation:
    @strawberry.mutation(
        description="Create or rename products, articles and variants (by tid or pimId) and set "
        "their values; only what is sent changes. One result per product, with every answer "
        "about its articles and variants."
    )
    async def save_products(self, info: Info, products: list[ProductInput]) -> PimWritePayload:
        records = [p.to_record(f"products[{i}]") for i, p in enumerate(products)]
        return PimWritePayload.from_results(await writer(info).save_products(records))

    @strawberry.mutation(description="Delete products (with their articles and variants).")
    async def delete_products(
        self, info: Info, tids: list[str] | None = None, pim_ids: list[int] | None = None
    ) -> PimWritePayload:
        keys = item_keys("deleteProducts", tids=tids, pimIds=pim_ids)
        return PimWritePayload.from_results(await writer(info).delete_products(keys))

    @strawberry.mutation(
        description="Copy a product tree (by tid or pimId); the PIM names the copy "
        '"<name> - Copy" unless newName is given. Returns the new product.'
    )
    async def copy_product(
        self,
        info: Info,
        tid: str | None = None,
        pim_id: int | None = None,
        new_name: str | None = None,
        new_tid: str | None = None,
    ) -> CopyProductPayload:
        result = await writer(info).copy_product(
            ItemKey(tid=tid, id=pim_id), new_name=new_name, new_tid=new_tid
        )
        new_id = result.outcome.ids.get("productId")
        # Read after the writer's eviction, through the loader: what any later read sees.
        record = (
            await info.context.loaders.product_by_id.load(int(new_id))
            if result.outcome.ok and new_id
            else None
        )
        return CopyProductPayload(
            results=[PimWriteResult.from_result(result)],
            product=Product.from_record(record) if record else None,
        )

    @strawberry.mutation(
        description="Link products to target products (one or many a side); one result per link."
    )
    async def link_products(self, info: Info, links: list[ProductLinkInput]) -> PimWritePayload:
        records = [link.to_record() for link in links]
        return PimWritePayload.from_results(await writer(info).link_products(records))

    @strawberry.mutation(
        description="Unlink products: one product from one target product per link."
    )
    async def unlink_products(self, info: Info, links: list[ProductLinkInput]) -> PimWritePayload:
        records = [link.to_record() for link in links]
        return PimWritePayload.from_results(await writer(info).unlink_products(records))
