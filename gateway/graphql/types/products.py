"""Products, articles and variants (all ``ProductItem``) and their attribute values."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from gateway.context import normalize_locale
from gateway.graphql.globalid import encode_global_id
from gateway.graphql.info import Info
from gateway.graphql.localized import has_text, pick_locale, pick_text
from gateway.graphql.typed_text import as_boolean, as_datetime, as_decimal
from gateway.graphql.types.catalog import CatalogProduct
from gateway.graphql.types.node import Node
from gateway.graphql.types.vocabulary import ItemStatus, ValueDataType, ValueKind, read_enum
from gateway.mappings import commerce_id
from gateway.observability.request_stats import not_cacheable
from gateway.upstreams import records

if TYPE_CHECKING:
    from gateway.graphql.types.classifications import (
        Attribute,
        AttributeDefinition,
        ClassificationNode,
    )
    from gateway.graphql.types.commerce import CommerceProduct

__all__ = ["Article", "AttributeValue", "Product", "ProductItem", "ValueEntry", "Variant"]

_Classifications = "gateway.graphql.types.classifications"
_Commerce = "gateway.graphql.types.commerce"


_ENTRY_TYPED = "null when the text does not read as one (see `value`)"


@strawberry.type(
    description="One entry of a value: localized (`locale`), listed (`position`), from a domain "
    "(`key`); its text, and the text read as a number, an instant or a boolean."
)
class ValueEntry:
    value: str = strawberry.field(
        description="The text as the PIM holds it (numbers, dates and booleans too)."
    )
    locale: str | None
    position: int | None
    key: str | None = strawberry.field(description="The domain value's key, for domain types.")

    @classmethod
    def from_record(cls, rec: records.ValueEntry) -> ValueEntry:
        return cls(value=rec.value, locale=rec.locale, position=rec.position, key=rec.key)

    @strawberry.field(description=f"The text as an exact decimal number; {_ENTRY_TYPED}.")
    def number(self) -> Decimal | None:
        return as_decimal(self.value)

    @strawberry.field(
        description="The text as an instant (the PIM writes `2022-12-20T11:06:18.000Z`; a text "
        f"without an offset is UTC, a date alone midnight UTC); {_ENTRY_TYPED}."
    )
    def date_time(self) -> datetime | None:
        return as_datetime(self.value)

    @strawberry.field(description=f"The text `true` or `false` as a boolean; {_ENTRY_TYPED}.")
    def boolean(self) -> bool | None:
        return as_boolean(self.value)


_CHOSEN = "of the entry `value` reads (the locale chain picks it)"
_TYPED = "null when there is none or it does not read as one (the text stays in `value`)"


@strawberry.type(
    description="The value of one attribute on a product, article or variant: its entries as "
    "text, and the entry the locale chain picks as text, number, instant, boolean or domain key."
)
class AttributeValue:
    _rec: strawberry.Private[records.AttributeValue]

    @strawberry.field(description="The attribute's key (its definition's tid).")
    def attr(self) -> str:
        return self._rec.attr

    @strawberry.field(
        description="The data type; null when the PIM names none or one this schema does not "
        "know (its text is in `dataTypeRaw`)."
    )
    def data_type(self) -> ValueDataType | None:
        return read_enum(ValueDataType, self._rec.data_type, "AttributeValue.dataType")

    @strawberry.field(description="The PIM's `dataType=` as sent, e.g. `number`.")
    def data_type_raw(self) -> str | None:
        return self._rec.data_type

    @strawberry.field(
        description="How the entries are shaped; null when the PIM names none or one this "
        "schema does not know (its text is in `kindRaw`)."
    )
    def kind(self) -> ValueKind | None:
        return read_enum(ValueKind, self._rec.type, "AttributeValue.kind")

    @strawberry.field(description="The PIM's `type=` as sent, e.g. `multi_loc`.")
    def kind_raw(self) -> str | None:
        return self._rec.type

    @strawberry.field(description="Path of the classification node the attribute comes from.")
    def node_path(self) -> str | None:
        return self._rec.node

    @strawberry.field(
        description="The PIM's `inheritance=` flag of the value (its answers send `false`); "
        "null when absent or neither true nor false (the text is in `inheritanceRaw`)."
    )
    def inheritance(self) -> bool | None:
        return as_boolean(self._rec.inheritance)

    @strawberry.field(description="The PIM's `inheritance=` as sent.")
    def inheritance_raw(self) -> str | None:
        return self._rec.inheritance

    @strawberry.field(description="The table attribute this value is a column of.")
    def parent(self) -> str | None:
        return self._rec.parent

    @strawberry.field(
        description="Every entry as the PIM lists it, or those of exactly `locale` (entries "
        "without a locale always match); `localizedEntries` falls back through the locale chain."
    )
    def entries(self, locale: str | None = None) -> list[ValueEntry]:
        wanted = normalize_locale(locale).lower() if locale is not None else None
        return [
            ValueEntry.from_record(e)
            for e in self._rec.entries
            if wanted is None or e.locale is None or e.locale.lower() == wanted
        ]

    @strawberry.field(
        description="The entries in the one locale the locale chain picks (argument, "
        "Accept-Language, the default setting, else any the value has), in list order; "
        "entries without a locale always. A list value in the reader's language."
    )
    def localized_entries(self, info: Info, locale: str | None = None) -> list[ValueEntry]:
        chosen = self._locale(info.context.pick_locales(locale))
        return [
            ValueEntry.from_record(e) for e in _in_order(self._rec.entries) if e.locale in chosen
        ]

    @strawberry.field(
        description="The first entry's text in the locale the chain picks (argument, "
        "Accept-Language, the default setting, else any the value has); a domain entry without "
        "text gives its key."
    )
    def value(self, info: Info, locale: str | None = None) -> str | None:
        entry = self._entry(info, locale)
        return (entry.value or entry.key) if entry else None

    @strawberry.field(description=f"The text {_CHOSEN}, as an exact decimal number; {_TYPED}.")
    def number(self, info: Info, locale: str | None = None) -> Decimal | None:
        entry = self._entry(info, locale)
        return as_decimal(entry.value) if entry else None

    @strawberry.field(
        description=f"The text {_CHOSEN}, as an instant (a text without an offset is UTC, a "
        f"date alone midnight UTC); {_TYPED}."
    )
    def date_time(self, info: Info, locale: str | None = None) -> datetime | None:
        entry = self._entry(info, locale)
        return as_datetime(entry.value) if entry else None

    @strawberry.field(description=f"The text {_CHOSEN}, `true` or `false`, as a boolean; {_TYPED}.")
    def boolean(self, info: Info, locale: str | None = None) -> bool | None:
        entry = self._entry(info, locale)
        return as_boolean(entry.value) if entry else None

    @strawberry.field(
        description=f"The domain key {_CHOSEN}: the domain value a domain kind refers to; "
        "null for entries without one."
    )
    def key(self, info: Info, locale: str | None = None) -> str | None:
        entry = self._entry(info, locale)
        return entry.key if entry else None

    @strawberry.field(description="The attribute definition, batched with every other value's.")
    async def definition(
        self, info: Info
    ) -> Annotated[AttributeDefinition, strawberry.lazy(_Classifications)] | None:
        from gateway.graphql.types.classifications import AttributeDefinition

        rec = await info.context.loaders.definition_by_tid.load(self._rec.attr)
        return AttributeDefinition.from_record(rec) if rec else None

    def _locale(self, locales: tuple[str, ...]) -> tuple[str | None, ...]:
        """``(None, locale)``: entries without a locale, and those of the chosen one."""
        filled = (e.locale for e in self._rec.entries if e.locale and _filled(e))
        return (None, pick_locale(dict.fromkeys(filled), locales))

    def _entry(self, info: Info, locale: str | None) -> records.ValueEntry | None:
        """The entry ``value`` and the typed accessors read: the first in list order of the
        chosen locale; for a value without locales, its first entry."""
        entries = self._rec.entries
        if not entries:
            return None
        if not any(e.locale for e in entries):
            return min(entries, key=_position)
        chosen = self._locale(info.context.pick_locales(locale))[1]
        return min((e for e in entries if e.locale == chosen), key=_position, default=None)


def _position(entry: records.ValueEntry) -> int:
    return entry.position or 0


def _in_order(entries: tuple[records.ValueEntry, ...]) -> list[records.ValueEntry]:
    return sorted(entries, key=_position)  # stable: entries without positions keep the PIM's


def _filled(entry: records.ValueEntry) -> bool:
    """An entry worth answering in its locale: text, or a domain key standing for it."""
    return has_text(entry.value) or bool(entry.key)


@strawberry.interface(description="What products, articles and variants share.")
class ProductItem(Node):
    _rec: strawberry.Private[records.Product | records.Article | records.Variant]

    @strawberry.field(description="The PIM's numeric id.")
    def pim_id(self) -> int | None:
        return self._rec.pim_id

    @strawberry.field(description="The PIM's text id.")
    def tid(self) -> str | None:
        return self._rec.tid

    @strawberry.field(
        description="The name in the locale the chain picks (argument, Accept-Language, the "
        "default setting, else any the item has)."
    )
    def name(self, info: Info, locale: str | None = None) -> str | None:
        return pick_text(self._rec.name, info.context.pick_locales(locale))

    @strawberry.field(
        description="The item's status; null when the PIM sends none or one this schema does "
        "not know (its text is in `statusRaw`)."
    )
    def status(self) -> ItemStatus | None:
        return read_enum(ItemStatus, self._rec.status, "ProductItem.status")

    @strawberry.field(description="The PIM's status as sent, e.g. READY.")
    def status_raw(self) -> str | None:
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
        from gateway.graphql.types.classifications import ClassificationNode

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
        from gateway.graphql.types.classifications import Attribute

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

    @strawberry.field(
        description="This product's OMNICOMMERCE record (as `commerceProduct(id)` answers it), "
        "under the id the default mapping writes it: the product's tid. Null while the gateway "
        "never wrote it (a mapping an extension put in place may write other ids)."
    )
    def commerce_product(
        self, info: Info
    ) -> Annotated[CommerceProduct, strawberry.lazy(_Commerce)] | None:
        from gateway.graphql.types.commerce import CommerceProduct

        # Write jobs change the record behind any mutation, and a worker settles it later:
        # the whole-response cache must not keep an answer that read it.
        not_cacheable()
        if not self.record.tid:
            return None
        rec = info.context.runtime.readmodel.get(commerce_id(self.record))
        return CommerceProduct.from_record(rec) if rec else None
