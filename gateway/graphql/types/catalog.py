"""CitrusAd catalog products, with fields derived from their tags and filters."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from gateway.graphql.globalid import encode_global_id
from gateway.graphql.types.node import Node
from gateway.upstreams.records import CatalogProduct as CatalogProductRecord

__all__ = ["CatalogProduct"]


def _values(items: tuple[str, ...], prefix: str) -> list[str]:
    """``key:value`` strings with this key (case-insensitive, as the document mixes cases)."""
    wanted = prefix.lower() + ":"
    return [item[len(wanted) :] for item in items if item.lower().startswith(wanted)]


@strawberry.type(description="A product in a CitrusAd catalog (retail media).")
class CatalogProduct(Node):
    catalog_id: str
    gtin: str = strawberry.field(description="The product code, usually a GTIN.")
    inventory: int
    price: Decimal
    profit: Decimal | None
    seller_id: str | None
    team_id: str | None
    tags: list[str]
    filters: list[str]
    groups: list[str]

    @classmethod
    def from_record(cls, rec: CatalogProductRecord) -> CatalogProduct:
        return cls(
            id=strawberry.ID(encode_global_id("CatalogProduct", rec.catalog_id, rec.gtin)),
            catalog_id=rec.catalog_id,
            gtin=rec.gtin,
            inventory=rec.inventory,
            price=rec.price,
            profit=rec.profit,
            seller_id=rec.seller_id,
            team_id=rec.team_id,
            tags=list(rec.tags),
            filters=list(rec.filters),
            groups=list(rec.groups),
        )

    @strawberry.field(description="From the `imageurl:` tag.")
    def image_url(self) -> str | None:
        return next(iter(_values(tuple(self.tags), "imageurl")), None)

    @strawberry.field(description="From the `name:` tag.")
    def name(self) -> str | None:
        return next(iter(_values(tuple(self.tags), "name")), None)

    @strawberry.field(description="From the `Brand:` filter.")
    def brand(self) -> str | None:
        return next(iter(_values(tuple(self.filters), "brand")), None)

    @strawberry.field(description="From the `category:` filters.")
    def categories(self) -> list[str]:
        return _values(tuple(self.filters), "category")

    @strawberry.field(description="Stores, from the `location:` filters.")
    def locations(self) -> list[str]:
        return _values(tuple(self.filters), "location")

    @strawberry.field(description="High in fat, salt or sugar, from the `hfss:` filter.")
    def hfss(self) -> bool | None:
        flags = _values(tuple(self.filters), "hfss")
        return flags[0].strip().lower() == "true" if flags else None

    @strawberry.field(description="Inventory above 0.")
    def in_stock(self) -> bool:
        return self.inventory > 0
