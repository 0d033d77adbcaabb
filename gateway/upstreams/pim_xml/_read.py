"""Readers: PIM answer elements into records. Nothing an answer holds is dropped.

Pretty-printing whitespace and stray text between elements (the document's samples elide
with ``...``) are ignored; unknown elements are skipped; a missing required attribute, an
id that is not a number, a date that is not ISO 8601 or an unknown status is
UpstreamBadResponse.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime

from lxml import etree

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
    Link,
    LinkGroup,
    LinkList,
    LocalizedText,
    PimDocument,
    PimId,
    PimIssue,
    PimItemResponse,
    Product,
    ProductLink,
    ValueEntry,
    Variant,
    WriteStatus,
)

from ._safe import bad, parse_root, q

__all__ = [
    "parse_attribute_definitions",
    "parse_attributes",
    "parse_classifications",
    "parse_document",
    "parse_issue",
    "parse_nodes",
    "parse_products",
    "parse_responses",
]

Element = etree._Element

_META_KEYS = {"id", "creationDate", "modificationDate", "valueModificationDate", "status"}


# --- scalars -----------------------------------------------------------------------------


def _name(el: Element) -> str:
    return etree.QName(el).localname


def _required(el: Element, attr: str) -> str:
    value = el.get(attr)
    if value is None:
        raise bad(f"<{_name(el)}> lacks its {attr!r} attribute")
    return value


def _int(value: str | None, where: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError as exc:
        raise bad(f"{where} is not a number: {value!r}") from exc


def _id(value: str | None, where: str) -> PimId | None:
    return _int(value, where)


def _bool(value: str | None, where: str) -> bool | None:
    if value is None:
        return None
    text = value.strip().lower()
    if text not in ("true", "false"):
        raise bad(f"{where} is not true or false: {value!r}")
    return text == "true"


def _date(value: str | None, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise bad(f"{where} is not an ISO 8601 date: {value!r}") from exc


def _status(el: Element) -> WriteStatus:
    found = el.find(q("status"))
    if found is None:
        raise bad(f"<{_name(el)}> lacks its <status>")
    text = (found.text or "").strip()
    try:
        return WriteStatus(text)
    except ValueError as exc:
        raise bad(f"unknown status {text!r}") from exc


def _plain(el: Element) -> str | None:
    """An element's own text, ``None`` when it is only pretty-printing (or ``...``)."""
    text = (el.text or "").strip()
    return None if not text or text == "..." else el.text


# --- shared shapes -----------------------------------------------------------------------


def _items(el: Element | None) -> dict[str, str]:
    """``<meta>`` / ``<details>``: ``<itm key="k">v</itm>`` into ``{"k": "v"}``, in order."""
    if el is None:
        return {}
    return {_required(itm, "key"): itm.text or "" for itm in el.findall(q("itm"))}


def _localized(el: Element | None) -> LocalizedText | None:
    if el is None:
        return None
    texts = {_required(itm, "loc"): itm.text or "" for itm in el.findall(q("itm"))}
    return LocalizedText(texts, None if texts else _plain(el))


def _domain(el: Element | None) -> DomainValues | None:
    if el is None:
        return None
    values = tuple(
        DomainValue(_required(dv, "tid"), _localized(dv) or LocalizedText())
        for dv in el.findall(q("domainVal"))
    )
    return DomainValues(
        values,
        allow_new_value=_bool(el.get("allowNewValue"), "domainVals allowNewValue"),
        sort_direction=el.get("sortDirection"),
        mode=el.get("mode"),
    )


# --- product trees -----------------------------------------------------------------------


def _item_meta(el: Element | None) -> ItemMeta | None:
    if el is None:
        return None
    items = _items(el)
    return ItemMeta(
        id=_id(items.get("id"), "meta id"),
        creation_date=_date(items.get("creationDate"), "creationDate"),
        modification_date=_date(items.get("modificationDate"), "modificationDate"),
        value_modification_date=_date(items.get("valueModificationDate"), "valueModificationDate"),
        status=items.get("status"),
        extra={k: v for k, v in items.items() if k not in _META_KEYS},
    )


def _entry(itm: Element, locale: str | None = None) -> ValueEntry:
    return ValueEntry(
        value=itm.text or "",
        locale=itm.get("loc", locale),
        position=_int(itm.get("pos"), "itm pos"),
        key=itm.get("key"),
    )


def _entries(val: Element) -> Iterable[ValueEntry]:
    # multi_loc values group their list per locale: <i18N loc=> in answers, <i18n> in the
    # persist sample; both are read.
    for child in val:
        if not isinstance(child.tag, str):
            continue
        if child.tag == q("itm"):
            yield _entry(child)
        elif child.tag in (q("i18N"), q("i18n")):
            locale = _required(child, "loc")
            yield from (_entry(itm, locale) for itm in child.findall(q("itm")))


def _value(val: Element) -> AttributeValue:
    return AttributeValue(
        attr=_required(val, "attr"),
        entries=tuple(_entries(val)),
        data_type=val.get("dataType"),
        type=val.get("type"),
        node=val.get("node"),
        inheritance=val.get("inheritance"),
        parent=val.get("parent"),
    )


def _values(el: Element) -> tuple[AttributeValue, ...]:
    vals = el.find(q("vals"))
    return () if vals is None else tuple(_value(v) for v in vals.findall(q("val")))


def _link_list(el: Element) -> LinkList:
    links = tuple(Link(itm.get("key"), itm.text or "") for itm in el.findall(q("itm")))
    return LinkList(attr=el.get("attr"), mode=el.get("mode"), links=links)


def _links(el: Element | None) -> tuple[LinkGroup, ...] | None:
    if el is None:
        return None
    return tuple(
        LinkGroup(
            type=_required(group, "type"),
            mode=group.get("mode"),
            lists=tuple(_link_list(inner) for inner in group.findall(q("itms"))),
            links=_link_list(group).links,
        )
        for group in el.findall(q("itms"))
    )


def _variant(el: Element) -> Variant:
    return Variant(
        tid=el.get("tid"),
        name=_localized(el.find(q("name"))),
        meta=_item_meta(el.find(q("meta"))),
        values=_values(el),
    )


def _article(el: Element) -> Article:
    # An article is a variant's fields plus its variants: read those, then add.
    variants = el.find(q("variants"))
    found = () if variants is None else tuple(map(_variant, variants.findall(q("variant"))))
    base = _variant(el)
    return Article(base.tid, base.name, base.meta, base.values, variants=found)


def _product(el: Element) -> Product:
    base = _variant(el)
    articles = el.find(q("articles"))
    node = el.find(q("node"))
    return Product(
        base.tid,
        base.name,
        base.meta,
        base.values,
        node=None if node is None else node.text or "",
        articles=() if articles is None else tuple(map(_article, articles.findall(q("article")))),
        links=_links(el.find(q("links"))),
    )


# --- classifications, nodes, attributes --------------------------------------------------


def _attribute(el: Element) -> Attribute:
    return Attribute(
        key=_required(el, "key"),
        id=_id(el.get("id"), "attr id"),
        node_id=_id(el.get("nodeId"), "attr nodeId"),
        node_path=el.get("nodePath"),
        level=el.get("level"),
        inheritance=el.get("inheritance"),
        restriction=el.get("restriction"),
        localized=_bool(el.get("localized"), "attr localized"),
        default_values=tuple(
            DefaultValue(d.get("tid"), _plain(d)) for d in el.findall(q("defaultVal"))
        ),
        domain=_domain(el.find(q("domainVals"))),
    )


def _attribute_definition(el: Element) -> AttributeDefinition:
    multi = el.find(q("multiValued"))
    return AttributeDefinition(
        tid=el.get("tid"),
        type=el.get("type"),
        id=_id(el.get("id"), "attrDef id"),
        name=_localized(el.find(q("name"))),
        domain=_domain(el.find(q("domainVals"))),
        multi_valued=None if multi is None else _bool(multi.text or "", "multiValued"),
    )


def _node_tree(el: Element) -> Iterable[ClassificationNode]:
    """A node and, depth first, the nodes nested in it (tree answers), all flat."""
    yield ClassificationNode(
        id=_id(el.get("id"), "node id"),
        tid=el.get("tid"),
        path=el.get("path"),
        name=_localized(el.find(q("name"))),
        classification=el.get("class"),
        classification_tid=el.get("classificationTid"),
        parent_id=_id(el.get("parentId"), "node parentId"),
        parent_path=el.get("parentPath"),
        attributes=tuple(map(_attribute, el.findall(q("attr")))),
    )
    for child in el.findall(q("node")):
        yield from _node_tree(child)


def _with_children(nodes: list[ClassificationNode]) -> tuple[ClassificationNode, ...]:
    """Fill each node's ``children`` with the ids of the nodes naming it as parent."""
    kids: dict[PimId, list[PimId]] = {}
    for node in nodes:
        if node.parent_id is not None and node.id is not None:
            kids.setdefault(node.parent_id, []).append(node.id)
    return tuple(
        dataclasses.replace(n, children=tuple(kids.get(n.id, ()))) if n.id in kids else n
        for n in nodes
    )


def _nodes(elements: Iterable[Element]) -> tuple[ClassificationNode, ...]:
    return _with_children([n for el in elements for n in _node_tree(el)])


def _classification(el: Element, flat: tuple[ClassificationNode, ...]) -> Classification:
    tid = el.get("tid")
    nested = _nodes(el.findall(q("node")))
    meta = el.find(q("meta"))
    return Classification(
        tid=tid,
        id=_id(el.get("id"), "class id"),
        name=_localized(el.find(q("name"))),
        meta=None if meta is None else _items(meta),
        nodes=nested + tuple(n for n in flat if tid is not None and n.classification == tid),
    )


# --- responses ---------------------------------------------------------------------------


def _product_link(el: Element) -> ProductLink:
    found: dict[str, list[str]] = {}
    for child in el:
        if child.tag == q("itm"):
            found.setdefault(_required(child, "key"), []).append(child.text or "")
        elif child.tag == q("itms"):
            texts = [itm.text or "" for itm in child.findall(q("itm"))]
            found.setdefault(_required(child, "type"), []).extend(texts)

    def ids(key: str) -> tuple[PimId, ...]:
        return tuple(int(x) for x in (_id(v, key) for v in found.get(key, ())) if x is not None)

    return ProductLink(
        product_tids=tuple(found.get("productTid", ())),
        product_ids=ids("productId"),
        target_product_tids=tuple(found.get("targetProductTid", ())),
        target_product_ids=ids("targetProductId"),
        type=_required(el, "type"),
    )


def _root_links(el: Element | None) -> tuple[ProductLink, ...]:
    if el is None:
        return ()
    return tuple(
        _product_link(inner)
        for group in el.findall(q("itms"))
        for inner in group.findall(q("itms"))
    )


def _response(el: Element) -> PimItemResponse:
    details = el.find(q("details"))
    description = el.find(q("description"))
    return PimItemResponse(
        status=_status(el),
        data_type=el.get("dataType"),
        action=el.get("action"),
        description=None if description is None else description.text or "",
        ids={str(k): str(v) for k, v in el.attrib.items() if k not in ("dataType", "action")},
        details=_items(details),
        links=() if details is None else tuple(map(_product_link, details.findall(q("itms")))),
    )


# --- public ------------------------------------------------------------------------------


def _section(root: Element, tag: str, item: str) -> list[Element]:
    section = root.find(q(tag))
    return [] if section is None else section.findall(q(item))


def parse_document(body: bytes | str) -> PimDocument:
    """Every section of a ``<pim>`` answer, as records (see the ``parse_*`` shortcuts)."""
    root = parse_root(body)
    nodes = _nodes(_section(root, "nodes", "node"))
    return PimDocument(
        schema_version=root.get("schemaVersion"),
        meta=_items(root.find(q("meta"))),
        classifications=tuple(
            _classification(c, nodes) for c in _section(root, "classes", "class")
        ),
        nodes=nodes,
        attribute_definitions=tuple(
            map(_attribute_definition, _section(root, "attrDefs", "attrDef"))
        ),
        attributes=tuple(map(_attribute, _section(root, "attrs", "attr"))),
        products=tuple(map(_product, _section(root, "products", "product"))),
        responses=tuple(map(_response, _section(root, "responses", "response"))),
        links=_root_links(root.find(q("links"))),
    )


def parse_classifications(body: bytes | str) -> tuple[Classification, ...]:
    """``/pim/classes``, ``/pim/classes/retrieve``: with their nodes, flat or tree answers."""
    return parse_document(body).classifications


def parse_nodes(body: bytes | str) -> tuple[ClassificationNode, ...]:
    """``/pim/nodes/retrieve``."""
    return parse_document(body).nodes


def parse_attribute_definitions(body: bytes | str) -> tuple[AttributeDefinition, ...]:
    """``/pim/attribute-definitions`` and ``.../retrieve``."""
    return parse_document(body).attribute_definitions


def parse_attributes(body: bytes | str) -> tuple[Attribute, ...]:
    """``/pim/attributes/retrieve``."""
    return parse_document(body).attributes


def parse_products(body: bytes | str) -> tuple[Product, ...]:
    """``/pim/products/retrieve``: product trees with meta, values, articles, variants, links."""
    return parse_document(body).products


def parse_responses(body: bytes | str) -> tuple[PimItemResponse, ...]:
    """Every persist / perform answer: one ``<response>`` per item, in answer order."""
    root = parse_root(body)
    if root.find(q("responses")) is None:
        raise bad("a write answer lacks <responses>")
    return tuple(map(_response, _section(root, "responses", "response")))


def parse_issue(body: bytes | str) -> PimIssue:
    """A request-level error answer: ``<response xmlns=...><issues>...</issues></response>``."""
    root = parse_root(body, "response")
    issues = root.find(q("issues"))
    if issues is None:
        raise bad("an error answer lacks <issues>")
    items = _items(issues)
    if "code" not in items:
        raise bad("an error answer's <issues> lacks its code")
    details = issues.find(q("itms"))
    return PimIssue(
        code=items["code"],
        description=items.get("description"),
        details=_items(details),
        status=_status(root),
        response_details=_items(root.find(q("details"))),
    )
