"""``/pim/products/links``: link products to products (persist) and unlink them (perform).

A link lives on the source product (``productTid``/``productId``) under the reference
attribute it is typed with (e.g. ``PRODUCT_REF``), pointing at each target, and shows in the
source's ``<links><itms type="products">``.
"""

from __future__ import annotations

import copy

from lxml import etree
from starlette.responses import Response

from gateway.emulators.pim.http import xml_response
from gateway.emulators.pim.store import Item, Store
from gateway.emulators.pim.xml import (
    add_response,
    children,
    first,
    parse_pim,
    pim_document,
    sub,
    to_int,
)

__all__ = ["HANDLERS"]

_INFO = "link"
_DATA_TYPE = "productToProductLink"


def _identifiers(group: etree._Element, side: str) -> list[tuple[str, str]]:
    """(kind, value) pairs for ``side`` ("product" or "targetProduct"), single or listed."""
    found: list[tuple[str, str]] = []
    for suffix in ("Tid", "Id"):
        key = f"{side}{suffix}"
        found += [
            (suffix, (i.text or "").strip()) for i in children(group, "itm") if i.get("key") == key
        ]
        for listed in (i for i in children(group, "itms") if i.get("type") == key):
            found += [(suffix, (i.text or "").strip()) for i in children(listed, "itm")]
    return found


def _resolve(store: Store, pairs: list[tuple[str, str]]) -> tuple[list[Item], list[str]]:
    found, missing = [], []
    for kind, raw in pairs:
        item = (
            store.item("product", tid=raw)
            if kind == "Tid"
            else store.item("product", id=to_int(raw))
        )
        if item is None:
            missing.append(raw)
        else:
            found.append(item)
    return found, missing


def _problem(
    store: Store,
    link_type: str,
    sources: list[Item],
    targets: list[Item],
    missing: list[str],
    verb: str,
) -> str | None:
    definition = store.attr_def(tid=link_type)
    if definition is None or definition.type != "ref":
        return f"There is no target attribute definition with the given identifier: {link_type}"
    if missing or not sources or not targets:
        return f"There is no target products with the given tid or id to perform {verb}: {', '.join(missing)}"
    return None


def persist(body: bytes, store: Store) -> Response:
    request = parse_pim(body)
    root = pim_document(_INFO)
    responses = sub(root, "responses")
    for outer in children(first(request, "links"), "itms"):
        for group in children(outer, "itms"):
            link_type = group.get("type", "")
            sources, missing = _resolve(store, _identifiers(group, "product"))
            targets, missing_targets = _resolve(store, _identifiers(group, "targetProduct"))
            problem = _problem(
                store, link_type, sources, targets, missing + missing_targets, "link"
            )
            if outer.get("type") != "productToProduct":
                problem = f"Unsupported link type '{outer.get('type')}'"
            attrs = {"dataType": _DATA_TYPE, "action": "link"}
            if problem:
                add_response(responses, status="ERROR", description=problem, attrs=attrs)
                continue
            for source in sources:
                linked = source.product_links.setdefault(link_type, [])
                linked += [t.id for t in targets if t.id not in linked]
                source.modified = store.clock()
            response = add_response(
                responses,
                status="SUCCESS",
                description="The products has been linked successfully",
                attrs=attrs,
            )
            sub(response, "details").append(copy.deepcopy(group))
    return xml_response(root)


def perform(body: bytes, store: Store) -> Response:
    request = parse_pim(body)
    root = pim_document(_INFO)
    responses = sub(root, "responses")
    for action in children(first(request, "actions"), "action"):
        meta = {
            i.get("key"): (i.text or "").strip() for i in children(first(action, "meta"), "itm")
        }
        pairs = {
            side: [(s, meta[f"{side}{s}"]) for s in ("Tid", "Id") if meta.get(f"{side}{s}")]
            for side in ("product", "targetProduct")
        }
        sources, missing = _resolve(store, pairs["product"])
        targets, missing_targets = _resolve(store, pairs["targetProduct"])
        link_type = meta.get("type") or "PRODUCT_REF"
        problem = _problem(store, link_type, sources, targets, missing + missing_targets, "unlink")
        if action.get("type") != "unlink" or action.get("dataType") != _DATA_TYPE:
            problem = (
                "Unlink could not be performed. Reason: the action must be type 'unlink' "
                f"with dataType '{_DATA_TYPE}'"
            )
        attrs = {"dataType": _DATA_TYPE, "action": "unlink"}
        if problem:
            add_response(responses, status="ERROR", description=problem, attrs=attrs)
            continue
        for source in sources:
            linked = source.product_links.get(link_type, [])
            source.product_links[link_type] = [
                t for t in linked if t not in {x.id for x in targets}
            ]
            source.modified = store.clock()
        add_response(
            responses,
            status="SUCCESS",
            description="The product has been unlinked successfully",
            attrs=attrs,
        )
    return xml_response(root)


HANDLERS = {
    ("POST", "/pim/products/links/persist"): persist,
    ("POST", "/pim/products/links/perform"): perform,
}
