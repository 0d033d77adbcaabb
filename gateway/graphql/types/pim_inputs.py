"""Typed inputs of the PIM mutations; each builds the client's write record (``to_record``).

| input | record | mutation |
| --- | --- | --- |
| ``ProductInput`` > ``ArticleInput`` > ``VariantInput`` | ``Product`` > ``Article`` > ``Variant`` | saveProducts |
| ``ValueInput`` (``ValueEntryInput``) | ``AttributeValue`` (``ValueEntry``) | saveProducts |
| ``ProductLinkInput`` | ``ProductLink`` | linkProducts, unlinkProducts |
| ``ClassificationInput`` (``ClassificationNodeInClassInput``) | ``Classification`` | saveClassifications |
| ``ClassificationNodeInput`` | ``ClassificationNode`` | saveClassificationNodes |
| ``AttributeDefinitionInput`` | ``AttributeDefinition`` | saveAttributeDefinitions |
| ``AttributeInput`` | ``Attribute`` | saveAttributes |

Only what is given is sent: a field left out (or null) leaves the PIM's value as it is.
"""

from __future__ import annotations

import enum
from dataclasses import replace

import strawberry

from gateway.errors import BadUserInput
from gateway.upstreams.records import (
    Article,
    Attribute,
    AttributeDefinition,
    AttributeValue,
    Classification,
    ClassificationNode,
    DefaultValue,
    DomainValue,
    DomainValues,
    ItemMeta,
    LocalizedText,
    Product,
    ProductLink,
    ValueEntry,
    Variant,
)

__all__ = [
    "ArticleInput",
    "AttributeDefinitionInput",
    "AttributeDefinitionType",
    "AttributeInput",
    "AttributeLevel",
    "ClassificationInput",
    "ClassificationNodeInClassInput",
    "ClassificationNodeInput",
    "DefaultValueInput",
    "DomainValueInput",
    "DomainValuesInput",
    "LocalizedTextInput",
    "ProductInput",
    "ProductLinkInput",
    "ValueDataType",
    "ValueEntryInput",
    "ValueInput",
    "ValueKind",
    "VariantInput",
]


@strawberry.enum(description="How a value's entries are shaped (the PIM's `<val type=>`).")
class ValueKind(enum.Enum):
    SIMPLE = strawberry.enum_value("simple", description="One entry: `value`.")
    LOCALIZED = strawberry.enum_value("localized", description="One entry per `locale`.")
    MULTIPLE = strawberry.enum_value("multiple", description="A list: entries with `position`.")
    MULTI_LOC = strawberry.enum_value(
        "multi_loc", description="A list per locale: entries with `locale` and `position`."
    )
    DOMAIN = strawberry.enum_value("domain", description="One domain value: its `key`.")
    LOC_DOMAIN = strawberry.enum_value(
        "loc_domain", description="A domain value per locale: `key` and `locale`."
    )
    MULTI_DOMAIN = strawberry.enum_value(
        "multi_domain", description="A list of domain values: `key` and `position`."
    )
    MULTI_LOC_DOMAIN = strawberry.enum_value(
        "multi_loc_domain", description="Lists of domain values per locale: key, locale, position."
    )


@strawberry.enum(description="A value's data type (the PIM's `<val dataType=>`).")
class ValueDataType(enum.Enum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    TABLE = "table"


@strawberry.enum(description="An attribute definition's type.")
class AttributeDefinitionType(enum.Enum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    REF = strawberry.enum_value("ref", description="A reference, e.g. PRODUCT_REF for links.")
    TABLE = "table"


@strawberry.enum(description="Which items of a product tree an attribute applies to.")
class AttributeLevel(enum.Enum):
    PRODUCT = "p"
    ARTICLE = "a"
    VARIANT = "v"


@strawberry.input(description='A text in one locale, e.g. `{locale: "de_DE", text: "Hose"}`.')
class LocalizedTextInput:
    locale: str = strawberry.field(description="The locale, e.g. en_GB or de_DE.")
    text: str = strawberry.field(description="The text in that locale.")


def _text(choice: enum.Enum | None) -> str | None:
    """The PIM's spelling of an enum choice (strawberry's ``enum_value`` hides it from mypy)."""
    return None if choice is None else str(choice.value)


def _texts(texts: list[LocalizedTextInput] | None) -> LocalizedText | None:
    return None if texts is None else LocalizedText({t.locale: t.text for t in texts})


# --- values -----------------------------------------------------------------------------------


@strawberry.input(
    description="One entry of a value: its text, and as the kind asks, locale, position, key."
)
class ValueEntryInput:
    value: str | None = strawberry.field(
        default=None,
        description="The text (numbers, dates, booleans as text); domains may omit it.",
    )
    locale: str | None = strawberry.field(
        default=None, description="The entry's locale (localized kinds only)."
    )
    position: int | None = strawberry.field(
        default=None, description="The entry's place in the list (multi kinds only)."
    )
    key: str | None = strawberry.field(
        default=None, description="The domain value's key (domain kinds only)."
    )

    def to_record(self) -> ValueEntry:
        return ValueEntry(self.value or "", self.locale, self.position, self.key)


@strawberry.input(
    description="One attribute's value to set. Give `entries` (an empty list clears the value) "
    "or the shorthand `value`. Values not sent stay as they are."
)
class ValueInput:
    attr: str = strawberry.field(description="The attribute's key (its definition's tid).")
    kind: ValueKind | None = strawberry.field(
        default=None,
        description="How the entries are shaped; null lets the PIM derive it (simple for one plain entry).",
    )
    data_type: ValueDataType | None = strawberry.field(
        default=None, description="The data type; null: the definition's."
    )
    entries: list[ValueEntryInput] | None = strawberry.field(
        default=None, description="The entries, checked against `kind`."
    )
    value: str | None = strawberry.field(
        default=None,
        description='Shorthand for one plain entry: `value: "x"` is `entries: [{value: "x"}]`.',
    )
    node: str | None = strawberry.field(
        default=None, description="Path of the node the attribute comes from, if it must be named."
    )
    parent: str | None = strawberry.field(
        default=None, description="The table attribute this value is a column of."
    )

    def to_record(self, label: str) -> AttributeValue:
        if (self.entries is None) == (self.value is None):
            raise BadUserInput(
                "give either entries (an empty list clears the value) or value",
                upstream="pim",
                item=label,
            )
        entries = (
            (ValueEntry(self.value or ""),)
            if self.value is not None
            else tuple(e.to_record() for e in self.entries or ())
        )
        return AttributeValue(
            attr=self.attr,
            entries=entries,
            data_type=_text(self.data_type),
            type=_text(self.kind),
            node=self.node,
            parent=self.parent,
        )


def _values(values: list[ValueInput] | None, label: str) -> tuple[AttributeValue, ...]:
    return tuple(v.to_record(f"{label}.values[{i}]") for i, v in enumerate(values or ()))


def _meta(pim_id: int | None) -> ItemMeta | None:
    return ItemMeta(id=pim_id) if pim_id is not None else None


def _name(name: str | None) -> LocalizedText | None:
    # Products, articles and variants carry a plain <name>, as the document's samples do.
    return LocalizedText(plain=name) if name is not None else None


# --- product trees ------------------------------------------------------------------------------


@strawberry.input(description="A variant to create (give a name) or change (by tid or pimId).")
class VariantInput:
    tid: str | None = strawberry.field(default=None, description="The variant's tid.")
    pim_id: int | None = strawberry.field(default=None, description="The variant's PIM id.")
    name: str | None = strawberry.field(default=None, description="New name (needed to create).")
    values: list[ValueInput] | None = strawberry.field(default=None, description="Values to set.")

    def to_record(self, label: str) -> Variant:
        return Variant(
            tid=self.tid,
            name=_name(self.name),
            meta=_meta(self.pim_id),
            values=_values(self.values, label),
        )


@strawberry.input(description="An article to create (give a name) or change (by tid or pimId).")
class ArticleInput:
    tid: str | None = strawberry.field(default=None, description="The article's tid.")
    pim_id: int | None = strawberry.field(default=None, description="The article's PIM id.")
    name: str | None = strawberry.field(default=None, description="New name (needed to create).")
    values: list[ValueInput] | None = strawberry.field(default=None, description="Values to set.")
    variants: list[VariantInput] | None = strawberry.field(
        default=None, description="Variants to create or change under it."
    )

    def to_record(self, label: str) -> Article:
        return Article(
            tid=self.tid,
            name=_name(self.name),
            meta=_meta(self.pim_id),
            values=_values(self.values, label),
            variants=tuple(
                v.to_record(f"{label}.variants[{i}]") for i, v in enumerate(self.variants or ())
            ),
        )


@strawberry.input(
    description="A product to create (name and node; a tid, or the PIM makes one) or to change "
    "(by tid or pimId): rename it, set values, add or change articles and variants."
)
class ProductInput:
    tid: str | None = strawberry.field(default=None, description="The product's tid.")
    pim_id: int | None = strawberry.field(default=None, description="The product's PIM id.")
    name: str | None = strawberry.field(default=None, description="New name (needed to create).")
    node: str | None = strawberry.field(
        default=None, description="Path of the node it is classified under (needed to create)."
    )
    values: list[ValueInput] | None = strawberry.field(default=None, description="Values to set.")
    articles: list[ArticleInput] | None = strawberry.field(
        default=None, description="Articles to create or change under it."
    )

    def to_record(self, label: str) -> Product:
        return Product(
            tid=self.tid,
            name=_name(self.name),
            meta=_meta(self.pim_id),
            values=_values(self.values, label),
            node=self.node,
            articles=tuple(
                a.to_record(f"{label}.articles[{i}]") for i, a in enumerate(self.articles or ())
            ),
        )


@strawberry.input(
    description="A link from products to target products (one or many a side, by tids or pimIds)."
)
class ProductLinkInput:
    product_tids: list[str] | None = strawberry.field(default=None, description="Source tids.")
    product_pim_ids: list[int] | None = strawberry.field(
        default=None, description="Source PIM ids."
    )
    target_product_tids: list[str] | None = strawberry.field(
        default=None, description="Target tids."
    )
    target_product_pim_ids: list[int] | None = strawberry.field(
        default=None, description="Target PIM ids."
    )
    type: str = strawberry.field(
        default="PRODUCT_REF", description="The ref attribute holding the link."
    )

    def to_record(self) -> ProductLink:
        return ProductLink(
            product_tids=tuple(self.product_tids or ()),
            product_ids=tuple(self.product_pim_ids or ()),
            target_product_tids=tuple(self.target_product_tids or ()),
            target_product_ids=tuple(self.target_product_pim_ids or ()),
            type=self.type,
        )


# --- attribute definitions and attributes --------------------------------------------------------


@strawberry.input(description="One domain value: its key and labels.")
class DomainValueInput:
    key: str = strawberry.field(description="The domain value's key (its tid).")
    names: list[LocalizedTextInput] | None = strawberry.field(
        default=None, description="Its labels by locale."
    )

    def to_record(self) -> DomainValue:
        return DomainValue(self.key, _texts(self.names) or LocalizedText())


@strawberry.input(description="The values an attribute may take.")
class DomainValuesInput:
    values: list[DomainValueInput] = strawberry.field(description="The domain values.")
    allow_new_value: bool | None = strawberry.field(
        default=None, description="Whether values outside the list are accepted."
    )
    sort_direction: str | None = strawberry.field(default=None, description="e.g. ASC.")
    mode: str | None = strawberry.field(default=None, description="The PIM's list mode.")

    def to_record(self) -> DomainValues:
        return DomainValues(
            tuple(v.to_record() for v in self.values),
            self.allow_new_value,
            self.sort_direction,
            self.mode,
        )


@strawberry.input(description="An attribute definition to create (tid and type) or update.")
class AttributeDefinitionInput:
    tid: str | None = strawberry.field(default=None, description="The definition's tid (key).")
    pim_id: int | None = strawberry.field(default=None, description="Its PIM id (to update).")
    type: AttributeDefinitionType | None = strawberry.field(
        default=None, description="Its type (needed to create)."
    )
    name: list[LocalizedTextInput] | None = strawberry.field(
        default=None, description="Its name by locale."
    )
    multi_valued: bool | None = strawberry.field(
        default=None, description="Whether a value holds a list."
    )
    domain: DomainValuesInput | None = strawberry.field(
        default=None, description="Its domain values."
    )

    def to_record(self) -> AttributeDefinition:
        return AttributeDefinition(
            tid=self.tid,
            type=_text(self.type),
            id=self.pim_id,
            name=_texts(self.name),
            domain=self.domain.to_record() if self.domain else None,
            multi_valued=self.multi_valued,
        )


@strawberry.input(description="A default value of an attribute: a domain key or a text.")
class DefaultValueInput:
    key: str | None = strawberry.field(default=None, description="A domain value's key.")
    text: str | None = strawberry.field(default=None, description="A plain text.")

    def to_record(self) -> DefaultValue:
        return DefaultValue(self.key, self.text)


@strawberry.input(
    description="An attribute (a definition attached to a node): create on a node by "
    "nodePimId or nodePath; update by pimId, or node and key."
)
class AttributeInput:
    key: str = strawberry.field(description="The attribute definition's tid.")
    pim_id: int | None = strawberry.field(default=None, description="The attribute's PIM id.")
    node_pim_id: int | None = strawberry.field(default=None, description="The node's PIM id.")
    node_path: str | None = strawberry.field(default=None, description="The node's path.")
    level: AttributeLevel | None = strawberry.field(
        default=None, description="Product, article or variant level."
    )
    inheritance: str | None = strawberry.field(default=None, description="e.g. visible.")
    restriction: str | None = strawberry.field(default=None, description="e.g. optional.")
    localized: bool | None = strawberry.field(
        default=None, description="Whether its values are localized."
    )
    default_values: list[DefaultValueInput] | None = strawberry.field(
        default=None, description="Default values."
    )
    domain: DomainValuesInput | None = strawberry.field(
        default=None, description="Domain values on this node."
    )

    def to_record(self) -> Attribute:
        return Attribute(
            key=self.key,
            id=self.pim_id,
            node_id=self.node_pim_id,
            node_path=self.node_path,
            level=_text(self.level),
            inheritance=self.inheritance,
            restriction=self.restriction,
            localized=self.localized,
            default_values=tuple(d.to_record() for d in self.default_values or ()),
            domain=self.domain.to_record() if self.domain else None,
        )


# --- classifications and nodes ------------------------------------------------------------------


@strawberry.input(
    description="A node saved with its classification: by full path (the root, named as the "
    "classification, first; parents before children), with its attributes."
)
class ClassificationNodeInClassInput:
    path: str = strawberry.field(description="The node's full path, e.g. /Standard/Bekleidung.")
    name: list[LocalizedTextInput] | None = strawberry.field(
        default=None, description="Its name by locale."
    )
    attributes: list[AttributeInput] | None = strawberry.field(
        default=None, description="Attributes to attach (their node fields are ignored)."
    )

    def to_record(self, classification: str | None) -> ClassificationNode:
        # Inside its node an attribute names no node: the node element carries it.
        attributes = tuple(
            replace(a.to_record(), node_id=None, node_path=None) for a in self.attributes or ()
        )
        return ClassificationNode(
            path=self.path,
            name=_texts(self.name),
            classification=classification,
            attributes=attributes,
        )


@strawberry.input(description="A classification to create or update, with its nodes.")
class ClassificationInput:
    tid: str | None = strawberry.field(default=None, description="The classification's tid.")
    pim_id: int | None = strawberry.field(default=None, description="Its PIM id (to update).")
    name: list[LocalizedTextInput] | None = strawberry.field(
        default=None, description="Its name by locale."
    )
    nodes: list[ClassificationNodeInClassInput] | None = strawberry.field(
        default=None, description="Its nodes, root first, parents before children."
    )

    def to_record(self) -> Classification:
        return Classification(
            tid=self.tid,
            id=self.pim_id,
            name=_texts(self.name),
            nodes=tuple(n.to_record(self.tid) for n in self.nodes or ()),
        )


@strawberry.input(
    description="A node to create (tid, under parentPimId or parentPath; a root by "
    "classificationTid) or to update (by pimId or path)."
)
class ClassificationNodeInput:
    pim_id: int | None = strawberry.field(default=None, description="The node's PIM id (update).")
    path: str | None = strawberry.field(default=None, description="The node's path (update).")
    tid: str | None = strawberry.field(default=None, description="The new node's tid (create).")
    name: list[LocalizedTextInput] | None = strawberry.field(
        default=None, description="Its name by locale."
    )
    parent_pim_id: int | None = strawberry.field(
        default=None, description="The parent's PIM id (create)."
    )
    parent_path: str | None = strawberry.field(
        default=None, description="The parent's path (create)."
    )
    classification_tid: str | None = strawberry.field(
        default=None, description="Create the root node of this classification (named as it)."
    )

    def to_record(self) -> ClassificationNode:
        return ClassificationNode(
            id=self.pim_id,
            tid=self.tid,
            path=self.path,
            name=_texts(self.name),
            classification_tid=self.classification_tid,
            parent_id=self.parent_pim_id,
            parent_path=self.parent_path,
        )
