"""Root query fields over the OMNICOMMERCE read model (the upstream has no read endpoint)."""

from __future__ import annotations

import strawberry

from gateway.graphql.info import Info
from gateway.graphql.scalars import CommerceProductId
from gateway.graphql.types.commerce import (
    CommerceProduct,
    CommerceProductConnection,
    CommerceStatus,
    commerce_products,
)
from gateway.observability.request_stats import not_cacheable

__all__ = ["CommerceQuery"]


@strawberry.type(description="Read what the gateway sent to OMNICOMMERCE and what was answered.")
class CommerceQuery:
    @strawberry.field(
        description="One OMNICOMMERCE product from the gateway's record; null if never sent."
    )
    def commerce_product(self, info: Info, id: CommerceProductId) -> CommerceProduct | None:
        not_cacheable()  # write jobs change the record behind any mutation
        rec = info.context.runtime.readmodel.get(id)
        return CommerceProduct.from_record(rec) if rec else None

    @strawberry.field(
        description="OMNICOMMERCE products from the gateway's record, by product id, optionally of one status."
    )
    def commerce_products(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        status: CommerceStatus | None = None,
    ) -> CommerceProductConnection:
        not_cacheable()
        return commerce_products(info, first=first, after=after, status=status)
