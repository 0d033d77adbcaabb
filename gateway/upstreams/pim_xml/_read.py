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
    positional,
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

_META_KEYS = frozenset(
    {"id", "creationDate", "modificationDate", "valueModificationDate", "status"}
)
# Qualified names built once: the readers below run for every element of every answer.
_ITM, _ITMS, _VAL, _VALS = q("itm"), q("itms"), q("val"), q("vals")
_NAME, _META, _NODE, _LINKS = q("name"), q("meta"), q("node"), q("links")
_ARTICLES, _ARTICLE, _VARIANTS, _VARIANT = q("articles"), q("article"), q("variants"), q("variant")
_I18N = (q("i18N"), q("i18n"))
_ATTR, _DEFAULT_VAL, _DOMAIN_VALS, _DOMAIN_VAL = (
    q("attr"),
    q("defaultVal"),
    q("domainVals"),
    q("domainVal"),
)
_MULTI_VALUED = q("multiValued")


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


# Dates read, by their text: an answer repeats a few (every item's meta has three), and a
# datetime is immutable, so one instance serves every record. Bounded: cleared when full.
_DATES: dict[str, datetime] = {}
_DATES_KEPT = 4096


def _date(value: str | None, where: str) -> datetime | None:
    if value is None:
        return None
    found = _DATES.get(value)
    if found is not None:
        return found
    try:
        found = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise bad(f"{where} is not an ISO 8601 date: {value!r}") from exc
    if len(_DATES) >= _DATES_KEPT:
        _DATES.clear()
    _DATES[value] = found
    return found


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
    return {_required(itm, "key"): itm.text or "" for itm in el if itm.tag == _ITM}


_new_LocalizedText = positional(LocalizedText)


def _localized(el: Element | None) -> LocalizedText | None:
    if el is None:
        return None
    texts = {_required(itm, "loc"): itm.text or "" for itm in el if itm.tag == _ITM}
    return _new_LocalizedText(texts, None if texts else _plain(el))


def _by_tag(el: Element) -> dict[object, list[Element]]:
    """``el``'s children by tag, in document order: ``el.findall(tag)`` for every tag in one
    walk (find() and findall() compile an ElementPath in Python per call)."""
    found: dict[object, list[Element]] = {}
    for child in el:
        found.setdefault(child.tag, []).append(child)
    return found


def _first(children: dict[object, list[Element]], tag: str) -> Element | None:
    """What ``el.find(tag)`` answers, from ``_by_tag(el)``."""
    found = children.get(tag)
    return None if found is None else found[0]


def _domain(el: Element | None) -> DomainValues | None:
    if el is None:
        return None
    values = tuple(
        DomainValue(_required(dv, "tid"), _localized(dv) or LocalizedText())
        for dv in el
        if dv.tag == _DOMAIN_VAL
    )
    return DomainValues(
        values,
        allow_new_value=_bool(el.get("allowNewValue"), "domainVals allowNewValue"),
        sort_direction=el.get("sortDirection"),
        mode=el.get("mode"),
    )


# --- product trees -----------------------------------------------------------------------
# The hot path of every cold read (about 30 elements a product). Each element's children
# are walked once, in C, and told apart by their tag against names built once: lxml's
# find() compiles an ElementPath in Python per call, and iterchildren(tag) parses its tag
# per call, each costing more than the walk. Records are built positionally, by builders
# that set their slots directly (``records.positional``: half of a frozen ``__init__``).

_new_ValueEntry = positional(ValueEntry)
_new_AttributeValue = positional(AttributeValue)
_new_ItemMeta = positional(ItemMeta)
_new_Variant = positional(Variant)
_new_Article = positional(Article)
_new_Product = positional(Product)
_new_Link = positional(Link)
_new_LinkList = positional(LinkList)
_new_LinkGroup = positional(LinkGroup)


def _children(el: Element) -> dict[object, Element]:
    """``el``'s first child of each tag: what ``el.find(tag)`` answers, in one walk."""
    found: dict[object, Element] = {}
    for child in el:
        found.setdefault(child.tag, child)
    return found


def _item_meta(el: Element | None) -> ItemMeta | None:
    if el is None:
        return None
    items: dict[str, str] = {}
    for itm in el:
        if itm.tag == _ITM:
            key = itm.get("key")
            if key is None:
                raise bad("<itm> lacks its 'key' attribute")
            items[key] = itm.text or ""
    get = items.get
    return _new_ItemMeta(
        _id(get("id"), "meta id"),
        _date(get("creationDate"), "creationDate"),
        _date(get("modificationDate"), "modificationDate"),
        _date(get("valueModificationDate"), "valueModificationDate"),
        get("status"),
        {}
        if items.keys() <= _META_KEYS
        else {k: v for k, v in items.items() if k not in _META_KEYS},
    )


def _entry(itm: Element, locale: str | None = None) -> ValueEntry:
    attrib = itm.attrib
    if not attrib:  # the usual simple value: no loc, pos or key
        return _new_ValueEntry(itm.text or "", locale, None, None)
    pos = attrib.get("pos")
    return _new_ValueEntry(
        itm.text or "",
        attrib.get("loc", locale),
        None if pos is None else _int(pos, "itm pos"),
        attrib.get("key"),
    )


def _entries(val: Element) -> tuple[ValueEntry, ...]:
    # multi_loc values group their list per locale: <i18N loc=> in answers, <i18n> in the
    # persist sample; both are read, in document order with the plain items.
    found: list[ValueEntry] = []
    for child in val:
        tag = child.tag
        if tag == _ITM:
            found.append(_entry(child))
        elif tag in _I18N:
            locale = _required(child, "loc")
            found.extend([_entry(itm, locale) for itm in child if itm.tag == _ITM])
    return tuple(found)


def _value(val: Element) -> AttributeValue:
    get = dict(val.items()).get  # one C call for every attribute, then plain dict lookups
    attr = get("attr")
    if attr is None:
        raise bad("<val> lacks its 'attr' attribute")
    return _new_AttributeValue(
        attr,
        _entries(val),
        get("dataType"),
        get("type"),
        get("node"),
        get("inheritance"),
        get("parent"),
    )


def _values(vals: Element | None) -> tuple[AttributeValue, ...]:
    return () if vals is None else tuple([_value(v) for v in vals if v.tag == _VAL])


def _link_list(el: Element) -> LinkList:
    links = tuple([_new_Link(itm.get("key"), itm.text or "") for itm in el if itm.tag == _ITM])
    return _new_LinkList(el.get("attr"), el.get("mode"), links)


# The usual empty group (``<itms mode="delta" type="assets"/>``, three per product): records
# are immutable, so one per (type, mode) serves every product. Bounded: cleared when full.
_EMPTY_GROUPS: dict[tuple[str, str | None], LinkGroup] = {}
_EMPTY_GROUPS_KEPT = 64


def _link_group(group: Element) -> LinkGroup:
    kind = _required(group, "type")
    if not len(group):
        key = (kind, group.get("mode"))
        found = _EMPTY_GROUPS.get(key)
        if found is None:
            if len(_EMPTY_GROUPS) >= _EMPTY_GROUPS_KEPT:
                _EMPTY_GROUPS.clear()
            found = _EMPTY_GROUPS[key] = _new_LinkGroup(kind, key[1], (), ())
        return found
    return _new_LinkGroup(
        kind,
        group.get("mode"),
        tuple([_link_list(inner) for inner in group if inner.tag == _ITMS]),
        _link_list(group).links,
    )


def _links(el: Element | None) -> tuple[LinkGroup, ...] | None:
    if el is None:
        return None
    return tuple([_link_group(group) for group in el if group.tag == _ITMS])


def _variant(el: Element) -> Variant:
    parts = _children(el).get
    return _new_Variant(
        el.get("tid"),
        _localized(parts(_NAME)),
        _item_meta(parts(_META)),
        _values(parts(_VALS)),
    )


def _article(el: Element) -> Article:
    parts = _children(el).get
    # Its variants are read first, as before: a bad answer names the same fault.
    variants = parts(_VARIANTS)
    found = () if variants is None else tuple([_variant(v) for v in variants if v.tag == _VARIANT])
    return _new_Article(
        el.get("tid"),
        _localized(parts(_NAME)),
        _item_meta(parts(_META)),
        _values(parts(_VALS)),
        found,
    )


def _product(el: Element) -> Product:
    parts = _children(el).get
    articles = parts(_ARTICLES)
    node = parts(_NODE)
    return _new_Product(
        el.get("tid"),
        _localized(parts(_NAME)),
        _item_meta(parts(_META)),
        _values(parts(_VALS)),
        None if node is None else node.text or "",
        () if articles is None else tuple([_article(a) for a in articles if a.tag == _ARTICLE]),
        _links(parts(_LINKS)),
    )


# --- classifications, nodes, attributes --------------------------------------------------


def _attribute(el: Element) -> Attribute:
    children = _by_tag(el)
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
            DefaultValue(d.get("tid"), _plain(d)) for d in children.get(_DEFAULT_VAL, ())
        ),
        domain=_domain(_first(children, _DOMAIN_VALS)),
    )


def _attribute_definition(el: Element) -> AttributeDefinition:
    children = _by_tag(el)
    multi = _first(children, _MULTI_VALUED)
    return AttributeDefinition(
        tid=el.get("tid"),
        type=el.get("type"),
        id=_id(el.get("id"), "attrDef id"),
        name=_localized(_first(children, _NAME)),
        domain=_domain(_first(children, _DOMAIN_VALS)),
        multi_valued=None if multi is None else _bool(multi.text or "", "multiValued"),
    )


def _node_tree(el: Element) -> Iterable[ClassificationNode]:
    """A node and, depth first, the nodes nested in it (tree answers), all flat."""
    children = _by_tag(el)
    yield ClassificationNode(
        id=_id(el.get("id"), "node id"),
        tid=el.get("tid"),
        path=el.get("path"),
        name=_localized(_first(children, _NAME)),
        classification=el.get("class"),
        classification_tid=el.get("classificationTid"),
        parent_id=_id(el.get("parentId"), "node parentId"),
        parent_path=el.get("parentPath"),
        attributes=tuple(map(_attribute, children.get(_ATTR, ()))),
    )
    for child in children.get(_NODE, ()):
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


# A document's sections and the element each holds: (section, item) qualified names.
_SECTIONS = {
    name: (q(name), q(item))
    for name, item in (
        ("nodes", "node"),
        ("classes", "class"),
        ("attrDefs", "attrDef"),
        ("attrs", "attr"),
        ("products", "product"),
        ("responses", "response"),
    )
}


def parse_document(body: bytes | str) -> PimDocument:
    """Every section of a ``<pim>`` answer, as records (see the ``parse_*`` shortcuts)."""
    root = parse_root(body)
    # The root's children in one walk, not eight find()s (each compiles an ElementPath).
    parts = _children(root).get

    def section(name: str) -> list[Element]:
        tag, item = _SECTIONS[name]
        found = parts(tag)
        return [] if found is None else [el for el in found if el.tag == item]

    nodes = _nodes(section("nodes"))
    return PimDocument(
        schema_version=root.get("schemaVersion"),
        meta=_items(parts(_META)),
        classifications=tuple(_classification(c, nodes) for c in section("classes")),
        nodes=nodes,
        attribute_definitions=tuple(map(_attribute_definition, section("attrDefs"))),
        attributes=tuple(map(_attribute, section("attrs"))),
        products=tuple(map(_product, section("products"))),
        responses=tuple(map(_response, section("responses"))),
        links=_root_links(parts(_LINKS)),
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
