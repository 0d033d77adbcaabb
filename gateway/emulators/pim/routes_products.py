"""``/pim/products``: retrieve trees, query tids, persist P > A > V with values, perform delete/copy."""

from __future__ import annotations

import copy
import uuid

from lxml import etree
from starlette.responses import Response

from gateway.emulators.pim.clock import format_time, parse_time
from gateway.emulators.pim.http import json_list, json_response, read_json, xml_response
from gateway.emulators.pim.store import Item, Store, path_segments
from gateway.emulators.pim.values import merge_value, parse_value, render_values
from gateway.emulators.pim.xml import (
    InvalidInput,
    add_response,
    children,
    first,
    parse_pim,
    pim_document,
    sub,
    to_int,
)

__all__ = ["HANDLERS", "render_item"]

_CHILDREN = {"product": ("articles", "article"), "article": ("variants", "variant")}
_DUPLICATE = "Unable to create or update product. Product name is duplicated."
SEARCH_STRATEGIES = ("defaultSearchStrategy",)


# --- reading --------------------------------------------------------------------------------
def retrieve(body: bytes, store: Store) -> Response:
    data = read_json(body)
    tids, ids = json_list(data, "tids"), json_list(data, "ids", int)
    if not tids and not ids:
        raise InvalidInput("ids or tids should be provided to get products")
    found = (
        [store.item("product", tid=t) for t in tids]
        if tids
        else [store.item("product", id=i) for i in ids]
    )
    root = pim_document("product")
    listing = sub(root, "products")
    for product in found:
        if product is not None:
            render_item(listing, store, product)
    return xml_response(root)


def render_item(parent: etree._Element, store: Store, item: Item) -> etree._Element:
    """One P, A or V, its children in the samples' (alphabetical) order: articles first, variants last."""
    element = sub(parent, item.kind, {"tid": item.tid})
    group = _CHILDREN.get(item.kind, ("", ""))[0]
    if group == "articles" and item.children:
        _render_children(element, store, item, group)
    if item.kind == "product":
        _render_links(element, store, item)
    meta = sub(element, "meta")
    sub(meta, "itm", {"key": "id"}, str(item.id))
    sub(meta, "itm", {"key": "creationDate"}, format_time(item.created))
    sub(meta, "itm", {"key": "modificationDate"}, format_time(item.modified))
    sub(meta, "itm", {"key": "valueModificationDate"}, format_time(item.value_modified))
    sub(meta, "itm", {"key": "status"}, item.status)
    sub(element, "name", text=item.name)
    if item.node is not None:
        sub(element, "node", text=item.node)
    render_values(element, item.vals)
    if group == "variants" and item.children:
        _render_children(element, store, item, group)
    return element


def _render_children(element: etree._Element, store: Store, item: Item, group: str) -> None:
    listing = sub(element, group)
    for child in item.children:
        render_item(listing, store, child)


def _render_links(parent: etree._Element, store: Store, product: Item) -> None:
    links = sub(parent, "links")
    sub(links, "itms", {"mode": "delta", "type": "channels"})
    assets = sub(links, "itms", {"mode": "delta", "type": "assets"})
    groups: dict[str, etree._Element] = {}
    for attr, key, path in product.asset_links:
        if attr not in groups:
            groups[attr] = sub(assets, "itms", {"attr": attr, "mode": "delta"})
        sub(groups[attr], "itm", {"key": key}, path)
    products = sub(links, "itms", {"mode": "delta", "type": "products"})
    for attr, targets in product.product_links.items():
        if targets:
            group = sub(products, "itms", {"attr": attr, "mode": "delta"})
            for target in (store.items[t] for t in targets if t in store.items):
                sub(group, "itm", {"key": target.tid}, str(target.id))


def query(body: bytes, store: Store) -> Response:
    """Product tids matching every criterion given (AND), by id."""
    data = read_json(body)
    try:
        since = parse_time(data["modifiedFrom"]) if data.get("modifiedFrom") else None
        until = parse_time(data["modifiedUntil"]) if data.get("modifiedUntil") else None
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"modifiedFrom and modifiedUntil must be ISO dates: {exc}") from exc
    strategy = data.get("searchStrategy")
    if strategy is not None and strategy not in SEARCH_STRATEGIES:
        raise InvalidInput(f"Unknown search strategy '{strategy}'")
    paths = json_list(data, "nodePaths")
    classified = {p.id for path in paths for p in store.products_under(path)}
    found = []
    for product in store.products():
        modified = product.last_modified()
        if (since and modified < since) or (until and modified > until):
            continue
        if paths and product.id not in classified:
            continue
        found.append(product.tid)
    return json_response({"tids": found})


# --- writing --------------------------------------------------------------------------------
def persist(body: bytes, store: Store) -> Response:
    request = parse_pim(body)
    root = pim_document("product")
    responses = sub(root, "responses")
    for element in children(first(request, "products"), "product"):
        _persist_item(store, "product", element, None, responses)
    return xml_response(root)


def _noun(kind: str, action: str) -> str:
    # The document writes "variation" in create errors and "variant" in update errors.
    return "variation" if kind == "variant" and action == "create" else kind


def _persist_item(
    store: Store, kind: str, element: etree._Element, parent: Item | None, responses: etree._Element
) -> None:
    meta_id = next(
        (to_int(i.text) for i in children(first(element, "meta"), "itm") if i.get("key") == "id"),
        None,
    )
    tid = element.get("tid")
    item = (
        store.item(kind, id=meta_id)
        if meta_id is not None
        else store.item(kind, tid=tid)
        if tid
        else None
    )
    name_el, node_el, vals_el = (
        first(element, "name"),
        first(element, "node"),
        first(element, "vals"),
    )
    name = (name_el.text or "").strip() if name_el is not None else None
    node = (node_el.text or "").strip() if node_el is not None else None
    action = "update" if item is not None or meta_id is not None else "create"
    attrs: dict[str, str | None] = {"dataType": kind, "tid": tid, "action": action}
    if item is None and meta_id is not None:
        add_response(
            responses,
            status="ERROR",
            description=f"There is no {kind} with the given tid or id",
            attrs=attrs,
        )
        return
    problem = _check(store, kind, item, parent, name, node)
    if problem:
        if not problem.startswith("An error while product classification"):
            problem = f"An error while doing action '{action}' with the {_noun(kind, action)}, tid: '{tid or ''}', caused by: {problem}"
        add_response(responses, status="ERROR", description=problem, attrs=attrs)
        return
    now = store.clock()
    if item is None:
        assert name is not None
        item = Item(kind, store.next_id(), tid or str(uuid.uuid4()), name, now, now, now, node=node)
        store.add_item(item, parent)
    elif (name is not None and name != item.name) or (node is not None and node != item.node):
        item.name, item.node, item.modified = name or item.name, node or item.node, now
    warnings = _set_values(store, item, vals_el, now)
    if action == "create" or name_el is not None or node_el is not None or vals_el is not None:
        attrs["tid"] = item.tid
        done = f"The {kind} has been saved successfully"
        status = "WARNING" if warnings else "SUCCESS"
        add_response(responses, status=status, description="|".join([done, *warnings]), attrs=attrs)
    if kind in _CHILDREN:
        group, child_kind = _CHILDREN[kind]
        for child in children(first(element, group), child_kind):
            _persist_item(store, child_kind, child, item, responses)


def _check(
    store: Store,
    kind: str,
    item: Item | None,
    parent: Item | None,
    name: str | None,
    node: str | None,
) -> str | None:
    if item is None and not name:
        return "Unable to create or update product. Product name is missing."
    if kind == "product" and item is None and not node:
        return "Unable to create or update product. Product node is missing."
    if node and store.node_by_path(node) is None:
        return f"An error while product classification, caused by: 'Node with path '{path_segments(node)}' does not exist."
    if name and (item is None or name != item.name):
        siblings = (
            parent.children
            if parent
            else [p for p in store.products() if p.node == (node or (item.node if item else None))]
        )
        if any(s.name == name and s is not item for s in siblings):
            return _DUPLICATE
    return None


def _set_values(store: Store, item: Item, vals: etree._Element | None, now: object) -> list[str]:
    """Only the values sent change; unregistered attributes are skipped with a warning."""
    warnings: list[str] = []
    product = item
    while product.parent_id is not None:
        product = store.items[product.parent_id]
    for element in children(vals, "val"):
        value = parse_value(store, element, product.node)
        if isinstance(value, str):
            warnings.append(value)
            continue
        merged = merge_value(item.vals.get(value.attr), value)
        if merged is None:
            item.vals.pop(value.attr, None)
        else:
            item.vals[value.attr] = merged
        item.value_modified = store.clock()
    return warnings


def perform(body: bytes, store: Store) -> Response:
    request = parse_pim(body)
    root = pim_document()
    responses = sub(root, "responses")
    for action in children(first(request, "actions"), "action"):
        tid, raw_id, kind = action.get("tid"), action.get("id"), action.get("type")
        attrs = {"dataType": "product", "action": kind}
        attrs.update({"tid": tid} if tid else {"id": raw_id} if raw_id else {})
        response = add_response(responses, status="ERROR", description="", attrs=attrs)
        status, text, new_id = _perform_one(store, action)
        response[0].text, response[1].text = status, text
        if new_id is not None:
            details = sub(response, "details")
            sub(details, "itm", {"key": "productId"}, str(new_id))
    return xml_response(root)


def _perform_one(store: Store, action: etree._Element) -> tuple[str, str, int | None]:
    tid, raw_id, kind = action.get("tid"), action.get("id"), action.get("type")
    if action.get("dataType") != "product":
        return "ERROR", "The data type of the passed item is wrong. It must be 'product'", None
    if kind not in ("delete", "copy"):
        return "ERROR", f"Unsupported action type '{kind}'", None
    product = store.item("product", tid=tid) if tid else store.item("product", id=to_int(raw_id))
    if product is None:
        return "ERROR", "There is no product with the given tid or id", None
    if kind == "delete":
        store.remove_item(product)
        return "SUCCESS", "The product has been deleted successfully", None
    meta = {i.get("key"): (i.text or "").strip() for i in children(first(action, "meta"), "itm")}
    new_name = meta.get("newProductName") or f"{product.name} - Copy"
    new_tid = meta.get("newProductTid") or str(uuid.uuid4())
    reason = None
    if store.item("product", tid=new_tid) is not None:
        reason = f"A product with tid '{new_tid}' already exists"
    elif any(p.name == new_name and p.node == product.node for p in store.products()):
        reason = _DUPLICATE
    if reason:
        return "ERROR", f"The product could not be copied. Reason: {reason}", None
    twin = _copy_tree(store, product, None)
    twin.tid, twin.name = new_tid, new_name
    return "SUCCESS", "The product has been copied successfully", twin.id


def _copy_tree(store: Store, item: Item, parent: Item | None) -> Item:
    """A deep copy with fresh ids and (below the product) fresh tids, in the same node."""
    now = store.clock()
    twin = Item(
        item.kind,
        store.next_id(),
        str(uuid.uuid4()),
        item.name,
        now,
        now,
        now,
        node=item.node,
        status=item.status,
        vals=copy.deepcopy(item.vals),
        product_links={k: list(v) for k, v in item.product_links.items()},
        asset_links=list(item.asset_links),
    )
    store.add_item(twin, parent)
    for child in item.children:
        _copy_tree(store, child, twin)
    return twin


HANDLERS = {
    ("POST", "/pim/products/retrieve"): retrieve,
    ("POST", "/pim/products/query"): query,
    ("POST", "/pim/products/persist"): persist,
    ("POST", "/pim/products/perform"): perform,
}
