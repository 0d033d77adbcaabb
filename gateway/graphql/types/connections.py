"""Relay connections: ``searchProducts`` and ``ClassificationNode.products``.

The PIM's products query answers every matching tid at once; the gateway pages over that
list (cached like a read) and loads only the page's products, in one batched retrieve.
Cursors are opaque offsets into the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from gateway.cache import CacheRef
from gateway.errors import BadUserInput
from gateway.graphql.cursors import decode_index, encode_cursor
from gateway.graphql.info import Info
from gateway.graphql.types.products import Product

__all__ = ["PageInfo", "ProductConnection", "ProductEdge", "search_products"]

MAX_PAGE = 100


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type(description="A page of products.")
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many products match in all.")

    @strawberry.field(description="The page's products, without edges.")
    def nodes(self) -> list[Product]:
        return [edge.node for edge in self.edges]


def _cursor(offset: int) -> str:
    return encode_cursor("offset", offset)


def _offset(cursor: str | None) -> int:
    index = decode_index(cursor, "offset")
    return 0 if index is None else index + 1


async def search_products(
    info: Info,
    *,
    modified_from: datetime | None = None,
    modified_until: datetime | None = None,
    node_paths: Sequence[str] = (),
    search_strategy: str | None = None,
    first: int = 20,
    after: str | None = None,
) -> ProductConnection:
    if not 0 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 0 and {MAX_PAGE}")
    start = _offset(after)
    criteria = (
        modified_from.isoformat() if modified_from else None,
        modified_until.isoformat() if modified_until else None,
        tuple(node_paths),
        search_strategy,
    )
    runtime = info.context.runtime

    async def query(keys: list[Any]) -> list[Any]:
        async def one(key: Any) -> Any:
            try:
                return tuple(
                    await runtime.pim.query_products(
                        modified_from=modified_from,
                        modified_until=modified_until,
                        node_paths=list(node_paths),
                        search_strategy=search_strategy,
                    )
                )
            except Exception as exc:
                return exc

        return [await one(k) for k in keys]

    ref = CacheRef("pim", "product_search", runtime.scope("pim"))
    (tids,) = await runtime.cache.get_many(ref, [criteria], query)
    if isinstance(tids, BaseException):
        raise tids
    page = list(tids[start : start + first])
    found = await info.context.loaders.product_by_tid.load_many(page)
    edges = [
        ProductEdge(cursor=_cursor(start + i), node=Product.from_record(rec))
        for i, rec in enumerate(found)
        if rec is not None
    ]
    return ProductConnection(
        edges=edges,
        total_count=len(tids),
        page_info=PageInfo(
            has_next_page=start + first < len(tids),
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
