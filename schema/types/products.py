"""Products, articles and variants (all ``ProductItem``) and their attribute values."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from gateway.upstreams import records
from schema.globalid import encode_global_id
from schema.info import Info
from schema.localized import pick_text
from schema.types.catalog import CatalogProduct
from schema.types.node import Node

if TYPE_CHECKING:
    from schema.types.classifications import (
        Attribute,
        AttributeDefinition,
        ClassificationNode,
    )

__all__ = ["Article", "AttributeValue", "Product", "ProductItem", "ValueEntry", "Variant"]

_Classifications = "schema.types.classifications"


@strawberry.type(
    description="One entry of a value: localized (`locale`), listed (`position`), from a domain (`key`)."
)
class ValueEntry:
    value: str = strawberry.field(
        description="The text as the PIM holds it (numbers, dates and booleans too)."
    )
    locale: str | None
    position: int | None
    key: str | None = strawberry.field(description="The domain value's key, for domain types.")


@strawberry.type(description="The value of one attribute on a product, article or variant.")
class AttributeValue:
    _rec: strawberry.Private[records.AttributeValue]

    @strawberry.field(description="The attribute's key (its definition's tid).")
    def attr(self) -> str:
        return self._rec.attr

    @strawberry.field(description="text, number, date, boolean or table.")
    def data_type(self) -> str | None:
        return self._rec.data_type

    @strawberry.field(
        description="simple, localized, multiple, multi_loc, domain, loc_domain, multi_domain or multi_loc_domain."
    )
    def kind(self) -> str | None:
        return self._rec.type

    @strawberry.field(description="Path of the classification node the attribute comes from.")
    def node_path(self) -> str | None:
        return self._rec.node

    @strawberry.field
    def inheritance(self) -> str | None:
        return self._rec.inheritance

    @strawberry.field(description="The table attribute this value is a column of.")
    def parent(self) -> str | None:
        return self._rec.parent

    @strawberry.field
    def entries(self, locale: str | None = None) -> list[ValueEntry]:
        """Every entry, or those of one locale (entries without a locale always match)."""
        return [
            ValueEntry(value=e.value, locale=e.locale, position=e.position, key=e.key)
            for e in self._rec.entries
            if locale is None or e.locale in (None, locale)
        ]

    @strawberry.field(
        description="The first entry's text in the best locale (argument, Accept-Language, default)."
    )
    def value(self, info: Info, locale: str | None = None) -> str | None:
        entries = self._rec.entries
        if not entries:
            return None
        by_locale = {e.locale: e.value or (e.key or "") for e in entries if e.locale}
        if not by_locale:
            return entries[0].value or entries[0].key
        return pick_text(by_locale, info.context.pick_locales(locale))

    @strawberry.field(description="The attribute definition, batched with every other value's.")
    async def definition(
        self, info: Info
    ) -> Annotated[AttributeDefinition, strawberry.lazy(_Classifications)] | None:
        from schema.types.classifications import AttributeDefinition

        rec = await info.context.loaders.definition_by_tid.load(self._rec.attr)
        return AttributeDefinition.from_record(rec) if rec else None


@strawberry.interface(description="What products, articles and variants share.")
class ProductItem(Node):
    _rec: strawberry.Private[records.Product | records.Article | records.Variant]

    @strawberry.field(description="The PIM's numeric id.")
    def pim_id(self) -> int | None:
        return self._rec.pim_id

    @strawberry.field(description="The PIM's text id.")
    def tid(self) -> str | None:
        return self._rec.tid

    @strawberry.field
    def name(self, info: Info, locale: str | None = None) -> str | None:
        return pick_text(self._rec.name, info.context.pick_locales(locale))

    @strawberry.field
    def status(self) -> str | None:
        return self._rec.status

    @strawberry.field
    def creation_date(self) -> datetime | None:
        return self._rec.creation_date

    @strawberry.field
    def modification_date(self) -> datetime | None:
        return self._rec.modification_date

    @strawberry.field
    def value_modification_date(self) -> datetime | None:
        return self._rec.value_modification_date

    @strawberry.field(description="Attribute values; `attrs` keeps only those keys.")
    def values(self, attrs: list[str] | None = None) -> list[AttributeValue]:
        wanted = set(attrs) if attrs is not None else None
        return [
            AttributeValue(_rec=v) for v in self._rec.values if wanted is None or v.attr in wanted
        ]

    @strawberry.field(description="One attribute's value, or null.")
    def value(self, attr: str) -> AttributeValue | None:
        found = next((v for v in self._rec.values if v.attr == attr), None)
        return AttributeValue(_rec=found) if found else None


@strawberry.type(description="A variant: the leaf of a product tree.")
class Variant(ProductItem):
    _product_tid: strawberry.Private[str]
    _article_tid: strawberry.Private[str]

    @classmethod
    def from_record(cls, rec: records.Variant, product_tid: str, article_tid: str) -> Variant:
        gid = encode_global_id("Variant", product_tid, article_tid, rec.tid or "")
        return cls(
            id=strawberry.ID(gid), _rec=rec, _product_tid=product_tid, _article_tid=article_tid
        )

    @strawberry.field(description="The product this variant belongs to.")
    async def product(self, info: Info) -> Product | None:
        rec = await info.context.loaders.product_by_tid.load(self._product_tid)
        return Product.from_record(rec) if rec else None


@strawberry.type(description="An article of a product, with its variants.")
class Article(ProductItem):
    _product_tid: strawberry.Private[str]

    @classmethod
    def from_record(cls, rec: records.Article, product_tid: str) -> Article:
        gid = encode_global_id("Article", product_tid, rec.tid or "")
        return cls(id=strawberry.ID(gid), _rec=rec, _product_tid=product_tid)

    @strawberry.field
    def variants(self) -> list[Variant]:
        rec = self._rec
        assert isinstance(rec, records.Article)
        return [Variant.from_record(v, self._product_tid, rec.tid or "") for v in rec.variants]

    @strawberry.field(description="The product this article belongs to.")
    async def product(self, info: Info) -> Product | None:
        rec = await info.context.loaders.product_by_tid.load(self._product_tid)
        return Product.from_record(rec) if rec else None


@strawberry.type(description="A link group of a product: channels, assets or products.")
class LinkGroup:
    type: str
    mode: str | None
    targets: list[str] = strawberry.field(description="Linked keys or values, lists flattened.")


@strawberry.type(description="A PIM product: the root of a Product > Article > Variant tree.")
class Product(ProductItem):
    @classmethod
    def from_record(cls, rec: records.Product) -> Product:
        return cls(id=strawberry.ID(encode_global_id("Product", rec.tid or rec.pim_id)), _rec=rec)

    @property
    def record(self) -> records.Product:
        rec = self._rec
        assert isinstance(rec, records.Product)
        return rec

    @strawberry.field(
        description="Path of the classification node the product is classified under."
    )
    def node_path(self) -> str | None:
        return self.record.node

    @strawberry.field(description="The classification node, batched with every other product's.")
    async def node(
        self, info: Info
    ) -> Annotated[ClassificationNode, strawberry.lazy(_Classifications)] | None:
        from schema.types.classifications import ClassificationNode

        if not self.record.node:
            return None
        rec = await info.context.loaders.node_by_path.load(self.record.node)
        return ClassificationNode.from_record(rec) if rec else None

    @strawberry.field
    def articles(self) -> list[Article]:
        return [Article.from_record(a, self.record.tid or "") for a in self.record.articles]

    @strawberry.field(description="Channel, asset and product links.")
    def links(self) -> list[LinkGroup]:
        return [
            LinkGroup(
                type=group.type,
                mode=group.mode,
                targets=[
                    link.key or link.value
                    for links in (group.links, *(lst.links for lst in group.lists))
                    for link in links
                ],
            )
            for group in self.record.links or ()
        ]

    @strawberry.field(
        description="Attributes that apply to this product (its node's, and with `includeInherited` its ancestors')."
    )
    async def attributes(
        self, info: Info, include_inherited: bool = False
    ) -> list[Annotated[Attribute, strawberry.lazy(_Classifications)]]:
        from schema.types.classifications import Attribute

        found = await info.context.loaders.attributes_by_product.load(
            (self.record.tid, include_inherited)
        )
        return [Attribute.from_record(a) for a in found]

    @strawberry.field(
        description="The product's GTIN, from the attribute named by the GATEWAY_GTIN_ATTRIBUTE setting."
    )
    def gtin(self, info: Info) -> str | None:
        return self._gtin(info.context.runtime.settings.gtin_attribute)

    def _gtin(self, key: str) -> str | None:
        value = next((v for v in self.record.values if v.attr == key), None)
        return value.entries[0].value if value and value.entries else None

    @strawberry.field(
        description="This product's CitrusAd catalog product, found by its GTIN; `catalogId` defaults to the GATEWAY_CITRUSAD_CATALOG_ID setting."
    )
    async def catalog_product(
        self, info: Info, catalog_id: str | None = None
    ) -> CatalogProduct | None:
        settings = info.context.runtime.settings
        gtin = self._gtin(settings.gtin_attribute)
        if not gtin:
            return None
        catalog = catalog_id or settings.citrusad_catalog_id
        rec = await info.context.loaders.catalog_product.load((catalog, gtin))
        return CatalogProduct.from_record(rec) if rec else None
