"""Writers: records into PIM request bodies, with lxml's element API only.

Children are written in the order the PIM itself answers them (alphabetical for products,
articles, variants, attribute definitions and attributes), which is also the order of the
document's request samples, so a record read from an answer writes back the same tree.

Every text and attribute value passes ``_carried`` first: a character XML 1.0 cannot carry
(C0 controls but tab, LF and CR, NUL, lone surrogates, U+FFFE/U+FFFF) is refused as
``BadUserInput`` naming the field, before the body exists and so before any call. lxml
would refuse it too, but with a bare ``ValueError`` that reads as an internal error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from lxml import etree

from gateway.errors import BadUserInput
from gateway.upstreams.records import (
    Action,
    Article,
    Attribute,
    AttributeDefinition,
    AttributeValue,
    Classification,
    ClassificationNode,
    DomainValues,
    ItemMeta,
    LinkGroup,
    LocalizedText,
    Product,
    ProductLink,
    Variant,
)

from ._safe import NS, q

__all__ = [
    "SCHEMA_VERSION",
    "build_actions",
    "build_attribute_definitions_persist",
    "build_attributes_persist",
    "build_classes_persist",
    "build_links_persist",
    "build_nodes_persist",
    "build_products_persist",
    "format_date",
]

SCHEMA_VERSION = "5.6.0"

Element = etree._Element
_R = TypeVar("_R")
Attrs = Mapping[str, "str | int | bool | None"]

# multi_loc values nest one list per locale. Answers spell the group <i18N>, the one request
# sample (products persist) <i18n>: requests follow the request sample.
_I18N = "i18n"
_GROUPED_TYPES = ("multi_loc", "multi_loc_domain")

# Outside XML 1.0's Char production: what lxml refuses to write.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# --- primitives --------------------------------------------------------------------------


def _str(value: str | int | bool) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _carried(value: str, field: str) -> str:
    """``value`` when XML can carry it, else ``BadUserInput`` naming ``field`` and the character."""
    found = _NOT_XML.search(value)
    if found is None:
        return value
    raise BadUserInput(
        f"{field} {value[:40]!r} contains U+{ord(found.group()):04X}, a character XML cannot "
        "carry (control characters but tab, LF and CR, and NUL are refused)",
        item=field,
        upstream="pim",
    )


def _sub(parent: Element, tag: str, attrs: Attrs | None = None, text: str | None = None) -> Element:
    """A child in the PIM namespace; ``None`` attributes are left out."""
    el = etree.SubElement(parent, q(tag))
    for key, value in (attrs or {}).items():
        if value is not None:
            el.set(key, _carried(_str(value), key))
    if text is not None:
        # An <itm key="newProductTid"> holds that field's value: name it, not "itm".
        el.text = _carried(text, str((attrs or {}).get("key") or tag))
    return el


def _document(meta: Mapping[str, str] | None, schema_version: str) -> Element:
    root = etree.Element(q("pim"), nsmap={None: NS})
    root.set("schemaVersion", schema_version)
    if meta is not None:
        _items(root, "meta", meta)
    return root


def _finish(root: Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _items(parent: Element, tag: str, items: Mapping[str, str]) -> Element:
    """``<meta><itm key="k">v</itm></meta>``."""
    el = _sub(parent, tag)
    for key, value in items.items():
        _sub(el, "itm", {"key": key}, value)
    return el


def format_date(value: datetime) -> str:
    """PIM dates: ``2022-12-28T16:25:10.451Z`` (UTC, milliseconds)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _texts(el: Element, text: LocalizedText) -> Element:
    if text.plain is not None:
        el.text = _carried(text.plain, etree.QName(el).localname)
    for locale, value in text.texts.items():
        _sub(el, "itm", {"loc": locale}, value)
    return el


def _localized(parent: Element, tag: str, text: LocalizedText | None) -> None:
    if text is not None:
        _texts(_sub(parent, tag), text)


def _domain(parent: Element, domain: DomainValues | None) -> None:
    if domain is None:
        return
    attrs = {
        "allowNewValue": domain.allow_new_value,
        "mode": domain.mode,
        "sortDirection": domain.sort_direction,
    }
    el = _sub(parent, "domainVals", attrs)
    for value in domain.values:
        _texts(_sub(el, "domainVal", {"tid": value.tid}), value.names)


# --- product trees -----------------------------------------------------------------------


def _item_meta(parent: Element, meta: ItemMeta | None) -> None:
    if meta is None:
        return
    items: dict[str, str] = {}
    for key, value in (
        ("id", meta.id),
        ("creationDate", meta.creation_date),
        ("modificationDate", meta.modification_date),
        ("valueModificationDate", meta.value_modification_date),
        ("status", meta.status),
    ):
        if value is not None:
            items[key] = format_date(value) if isinstance(value, datetime) else str(value)
    _items(parent, "meta", {**items, **meta.extra})


def _value(parent: Element, value: AttributeValue) -> None:
    attrs = {
        "attr": value.attr,
        "dataType": value.data_type,
        "inheritance": value.inheritance,
        "node": value.node,
        "parent": value.parent,
        "type": value.type,
    }
    val = _sub(parent, "val", attrs)
    groups: dict[str | None, Element] = {}
    for entry in value.entries:
        if value.type in _GROUPED_TYPES and entry.locale is not None:
            if entry.locale not in groups:
                groups[entry.locale] = _sub(val, _I18N, {"loc": entry.locale})
            _sub(
                groups[entry.locale], "itm", {"key": entry.key, "pos": entry.position}, entry.value
            )
        else:
            itm_attrs = {"key": entry.key, "loc": entry.locale, "pos": entry.position}
            _sub(val, "itm", itm_attrs, entry.value)


def _links(parent: Element, groups: Sequence[LinkGroup] | None) -> None:
    if groups is None:
        return
    links = _sub(parent, "links")
    for group in groups:
        outer = _sub(links, "itms", {"mode": group.mode, "type": group.type})
        for inner in group.lists:
            el = _sub(outer, "itms", {"attr": inner.attr, "mode": inner.mode})
            for link in inner.links:
                _sub(el, "itm", {"key": link.key}, link.value)
        for link in group.links:
            _sub(outer, "itm", {"key": link.key}, link.value)


def _item(parent: Element, tag: str, item: Product | Article | Variant) -> Element:
    """The part P, A and V share; the caller adds what is its own, in alphabetical place."""
    el = _sub(parent, tag, {"tid": item.tid})
    _item_meta(el, item.meta)
    _localized(el, "name", item.name)
    return el


def _values(el: Element, values: Sequence[AttributeValue]) -> None:
    if values:
        vals = _sub(el, "vals")
        for value in values:
            _value(vals, value)


def _variant(parent: Element, variant: Variant) -> None:
    _values(_item(parent, "variant", variant), variant.values)


def _article(parent: Element, article: Article) -> None:
    el = _item(parent, "article", article)
    _values(el, article.values)
    if article.variants:
        variants = _sub(el, "variants")
        for variant in article.variants:
            _variant(variants, variant)


def _product(parent: Element, product: Product) -> None:
    el = _sub(parent, "product", {"tid": product.tid})
    if product.articles:
        articles = _sub(el, "articles")
        for article in product.articles:
            _article(articles, article)
    _links(el, product.links)
    _item_meta(el, product.meta)
    _localized(el, "name", product.name)
    if product.node is not None:
        _sub(el, "node", text=product.node)
    _values(el, product.values)


# --- classifications, nodes, attributes --------------------------------------------------


def _attribute(parent: Element, attr: Attribute) -> None:
    attrs = {
        "id": attr.id,
        "nodeId": attr.node_id,
        "nodePath": attr.node_path,
        "key": attr.key,
        "level": attr.level,
        "inheritance": attr.inheritance,
        "restriction": attr.restriction,
        "localized": attr.localized,
    }
    el = _sub(parent, "attr", attrs)
    for default in attr.default_values:
        _sub(el, "defaultVal", {"tid": default.tid}, default.text)
    _domain(el, attr.domain)


def _attribute_definition(parent: Element, definition: AttributeDefinition) -> None:
    attrs = {"id": definition.id, "tid": definition.tid, "type": definition.type}
    el = _sub(parent, "attrDef", attrs)
    _domain(el, definition.domain)
    if definition.multi_valued is not None:
        _sub(el, "multiValued", text=_str(definition.multi_valued))
    _localized(el, "name", definition.name)


def _node(parent: Element, node: ClassificationNode) -> None:
    attrs = {
        "class": node.classification,
        "classificationTid": node.classification_tid,
        "id": node.id,
        "tid": node.tid,
        "parentId": node.parent_id,
        "parentPath": node.parent_path,
        "path": node.path,
    }
    el = _sub(parent, "node", attrs)
    _localized(el, "name", node.name)
    for attr in node.attributes:
        _attribute(el, attr)


def _classification(parent: Element, classification: Classification) -> None:
    el = _sub(parent, "class", {"id": classification.id, "tid": classification.tid})
    _localized(el, "name", classification.name)
    if classification.meta is not None:
        _items(el, "meta", classification.meta)


# --- links and actions -------------------------------------------------------------------


def _side(parent: Element, key: str, values: Sequence[str | int]) -> None:
    """One value: ``<itm key="productTid">``; several: ``<itms type="productTid"><itm>``."""
    if len(values) == 1:
        _sub(parent, "itm", {"key": key}, str(values[0]))
    elif values:
        many = _sub(parent, "itms", {"type": key})
        for value in values:
            _sub(many, "itm", text=str(value))


def _product_link(parent: Element, link: ProductLink) -> None:
    if not (link.product_tids or link.product_ids):
        raise BadUserInput("a product link needs products (tids or ids)", upstream="pim")
    if not (link.target_product_tids or link.target_product_ids):
        raise BadUserInput("a product link needs target products (tids or ids)", upstream="pim")
    el = _sub(parent, "itms", {"type": link.type})
    _side(el, "productTid", link.product_tids)
    _side(el, "productId", link.product_ids)
    _side(el, "targetProductTid", link.target_product_tids)
    _side(el, "targetProductId", link.target_product_ids)


def _action(parent: Element, action: Action) -> None:
    if action.type == "delete" and action.id is None and not action.tid and not action.path:
        raise BadUserInput(
            f"deleting a {action.data_type} needs its tid, id or path", upstream="pim"
        )
    attrs = {
        "dataType": str(action.data_type),
        "id": action.id,
        "path": action.path,
        "tid": action.tid,
        "type": action.type,
    }
    el = _sub(parent, "action", attrs)
    if action.meta:
        _items(el, "meta", action.meta)


# --- public ------------------------------------------------------------------------------


def _build(
    section: str,
    writer: Callable[[Element, _R], None],
    records: Iterable[_R],
    meta: Mapping[str, str] | None,
    schema_version: str,
) -> bytes:
    root = _document(meta, schema_version)
    el = _sub(root, section)
    for record in records:
        writer(el, record)
    return _finish(root)


def build_classes_persist(
    classes: Sequence[Classification],
    *,
    meta: Mapping[str, str] | None = None,
    schema_version: str = SCHEMA_VERSION,
) -> bytes:
    """``/pim/classes/persist``: the classes, then every class's ``nodes`` (root first, in order).

    The PIM creates nodes strictly in request order, and a root node (named as its class)
    must come before the rest: keep ``Classification.nodes`` in that order.
    """
    root = _document(meta, schema_version)
    el = _sub(root, "classes")
    for classification in classes:
        _classification(el, classification)
    nodes = [node for classification in classes for node in classification.nodes]
    if nodes:
        section = _sub(root, "nodes")
        for node in nodes:
            _node(section, node)
    return _finish(root)


def build_nodes_persist(
    nodes: Sequence[ClassificationNode],
    *,
    meta: Mapping[str, str] | None = None,
    schema_version: str = SCHEMA_VERSION,
) -> bytes:
    """``/pim/nodes/persist``: create under ``parent_id``/``parent_path`` (a root by
    ``classification_tid``), update by ``path`` or ``id``."""
    return _build("nodes", _node, nodes, meta, schema_version)


def build_attribute_definitions_persist(
    definitions: Sequence[AttributeDefinition],
    *,
    meta: Mapping[str, str] | None = None,
    schema_version: str = SCHEMA_VERSION,
) -> bytes:
    """``/pim/attribute-definitions/persist``: create or update by ``tid``."""
    return _build("attrDefs", _attribute_definition, definitions, meta, schema_version)


def build_attributes_persist(
    attributes: Sequence[Attribute],
    *,
    meta: Mapping[str, str] | None = None,
    schema_version: str = SCHEMA_VERSION,
) -> bytes:
    """``/pim/attributes/persist``: create with ``node_id`` or ``node_path``; update by ``id``,
    or by node and ``key``."""
    return _build("attrs", _attribute, attributes, meta, schema_version)


def build_products_persist(
    products: Sequence[Product],
    *,
    meta: Mapping[str, str] | None = None,
    schema_version: str = SCHEMA_VERSION,
) -> bytes:
    """``/pim/products/persist``: create or rename P, A, V and set values.

    | to | write |
    | --- | --- |
    | create a product | ``Product(name=LocalizedText(plain="P1"), node="/Root/Node")`` |
    | rename by id | ``Product(meta=ItemMeta(id=26594), name=LocalizedText(plain="P2"))`` |
    | add an article | ``Product(tid="P", articles=(Article(name=LocalizedText(plain="A")),))`` |
    | set values | ``Product(tid="P", values=(AttributeValue("color", (ValueEntry("x"),)),))`` |

    Only the values sent change; every field set on a record is written, so send records
    that hold only what should change.
    """
    return _build("products", _product, products, meta, schema_version)


def build_links_persist(
    links: Sequence[ProductLink],
    *,
    meta: Mapping[str, str] | None = None,
    schema_version: str = SCHEMA_VERSION,
) -> bytes:
    """``/pim/products/links/persist``: link products to target products, by tid or id."""
    root = _document(meta, schema_version)
    group = _sub(_sub(root, "links"), "itms", {"type": "productToProduct"})
    for link in links:
        _product_link(group, link)
    return _finish(root)


def build_actions(
    actions: Sequence[Action],
    *,
    meta: Mapping[str, str] | None = None,
    schema_version: str = SCHEMA_VERSION,
) -> bytes:
    """Every ``.../perform`` body: delete (classes, attribute definitions, attributes, nodes,
    products), copy (products), unlink (product links). See ``Action``'s constructors."""
    return _build("actions", _action, actions, meta, schema_version)
