"""Attribute values of products, articles and variants: ``<vals><val ..>`` in and out.

| type | items |
| --- | --- |
| simple | ``<itm>v</itm>`` |
| localized | ``<itm loc="en_EN">v</itm>`` |
| multiple | ``<itm pos="0">v</itm>`` |
| multi_loc | ``<i18N loc="en_EN"><itm pos="0">v</itm></i18N>`` (``i18n`` read too) |
| domain / loc_domain / multi_domain / multi_loc_domain | as above, each ``<itm>`` with ``key=`` |
"""

from __future__ import annotations

from lxml import etree

from gateway.emulators.pim.store import Entry, Store, Value
from gateway.emulators.pim.xml import children, local, sub

__all__ = ["VALUE_TYPES", "merge_value", "parse_value", "render_values"]

VALUE_TYPES = (
    "simple",
    "localized",
    "multiple",
    "multi_loc",
    "domain",
    "loc_domain",
    "multi_domain",
    "multi_loc_domain",
)
_I18N = ("i18N", "i18n")


def parse_value(store: Store, element: etree._Element, node: str | None) -> Value | str:
    """A ``<val>`` as a Value, or the problem with it (an unregistered attribute)."""
    attr = element.get("attr", "")
    definition = store.attr_def(tid=attr)
    if definition is None:
        return f"Attribute definition: '{attr}' cannot be found"
    entries: list[Entry] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if local(child) == "itm":
            entries.append(_entry(child, child.get("loc")))
        elif local(child) in _I18N:
            entries.extend(_entry(itm, child.get("loc")) for itm in children(child, "itm"))
    kind = element.get("type") or _derive_type(
        entries, definition.multi_valued, definition.domain_vals is not None
    )
    if kind not in VALUE_TYPES:
        return f"Unknown value type '{kind}' of attribute '{attr}'"
    return Value(
        attr=attr,
        data_type=element.get("dataType") or definition.type,
        type=kind,
        node=element.get("node") or node,
        inheritance=element.get("inheritance"),
        parent=element.get("parent"),
        entries=entries,
    )


def _entry(itm: etree._Element, loc: str | None) -> Entry:
    return Entry(text=itm.text or "", loc=loc, pos=itm.get("pos"), key=itm.get("key"))


def _derive_type(entries: list[Entry], multi: bool, domain: bool) -> str:
    listed = multi or any(e.pos is not None for e in entries)
    localized = any(e.loc is not None for e in entries)
    domain = domain or any(e.key is not None for e in entries)
    name = "_".join(
        part for part, on in (("multi", listed), ("loc", localized), ("domain", domain)) if on
    )
    return {"": "simple", "loc": "localized", "multi": "multiple"}.get(name, name)


def merge_value(old: Value | None, new: Value) -> Value | None:
    """What is stored after ``new`` is sent: locales not sent keep their items; no items deletes."""
    if old is not None and "loc" in new.type:
        sent = {e.loc for e in new.entries}
        kept = [e for e in old.entries if e.loc not in sent]
        new.entries = kept + new.entries
    return new if new.entries else None


def render_values(parent: etree._Element, values: dict[str, Value]) -> None:
    if not values:
        return
    vals = sub(parent, "vals")
    for value in values.values():
        attrs = {"attr": value.attr, "dataType": value.data_type}
        for name, raw in (
            ("inheritance", value.inheritance),
            ("node", value.node),
            ("parent", value.parent),
        ):
            if raw is not None:
                attrs[name] = raw
        attrs["type"] = value.type
        element = sub(vals, "val", attrs)
        if value.type.startswith("multi_loc"):
            groups: dict[str | None, etree._Element] = {}
            for entry in value.entries:
                if entry.loc not in groups:
                    groups[entry.loc] = sub(element, "i18N", {"loc": entry.loc or ""})
                _render_entry(groups[entry.loc], entry, with_loc=False)
        else:
            for entry in value.entries:
                _render_entry(element, entry, with_loc=True)


def _render_entry(parent: etree._Element, entry: Entry, *, with_loc: bool) -> None:
    attrs = {}
    if entry.key is not None:
        attrs["key"] = entry.key
    if with_loc and entry.loc is not None:
        attrs["loc"] = entry.loc
    if entry.pos is not None:
        attrs["pos"] = entry.pos
    sub(parent, "itm", attrs, entry.text)
