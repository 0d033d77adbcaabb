"""``/pim/attributes``: definitions attached to nodes. Query, retrieve, persist, perform (delete)."""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree
from starlette.responses import Response

from gateway.emulators.pim.http import json_list, json_response, read_json, xml_response
from gateway.emulators.pim.render import render_attr
from gateway.emulators.pim.store import Attribute, Item, Node, Store
from gateway.emulators.pim.xml import (
    InvalidInput,
    add_meta,
    add_response,
    children,
    first,
    parse_pim,
    pim_document,
    sub,
    to_int,
)

__all__ = ["HANDLERS", "upsert_node_attribute"]

_SETTINGS = ("level", "inheritance", "restriction", "localized")


def _product_node(store: Store, product: Item | None) -> list[Node]:
    node = store.node_by_path(product.node) if product and product.node else None
    return [node] if node else []


def _select(store: Store, data: dict[str, Any], keys: dict[str, str]) -> list[Attribute]:
    """Attributes for exactly one selector of ``data``; products always include inherited ones."""
    given = [k for k in keys.values() if data.get(k) not in (None, [])]
    if len(given) != 1:
        names = ", ".join(keys.values())
        raise InvalidInput(f"Exactly one of {names} should be provided")
    key = given[0]
    inherited = bool(data.get("includeParentAttributes"))
    if key == keys.get("ids"):
        return [store.attributes[i] for i in json_list(data, key, int) if i in store.attributes]
    if key == keys["productIds"]:
        nodes = [
            n
            for i in json_list(data, key, int)
            for n in _product_node(store, store.item("product", id=i))
        ]
        inherited = True
    elif key == keys["productTids"]:
        nodes = [
            n
            for t in json_list(data, key)
            for n in _product_node(store, store.item("product", tid=t))
        ]
        inherited = True
    elif key == keys["nodeIds"]:
        nodes = [store.nodes[i] for i in json_list(data, key, int) if i in store.nodes]
    else:
        nodes = [n for p in json_list(data, key) if (n := store.node_by_path(p)) is not None]
    found: dict[int, Attribute] = {}
    for node in nodes:
        for attr in store.node_attributes(node, inherited=inherited):
            found.setdefault(attr.id, attr)
    return list(found.values())


_QUERY_KEYS = {
    "productIds": "productId",
    "productTids": "productTid",
    "nodeIds": "nodeId",
    "nodePaths": "nodePath",
}
_RETRIEVE_KEYS = {
    "ids": "ids",
    "productIds": "productIds",
    "productTids": "productTids",
    "nodeIds": "nodeIds",
    "nodePaths": "nodePaths",
}


def query(body: bytes, store: Store) -> Response:
    return json_response({"ids": [a.id for a in _select(store, read_json(body), _QUERY_KEYS)]})


def retrieve(body: bytes, store: Store) -> Response:
    data = read_json(body)
    found = _select(store, data, _RETRIEVE_KEYS)
    root = pim_document(with_meta=False)  # the samples put <attrs> before <meta>
    listing = sub(root, "attrs")
    for attr in found:
        render_attr(
            listing,
            attr,
            with_id=True,
            domain=bool(data.get("withDomainValues")),
            default=bool(data.get("withDefaultValues")),
        )
    add_meta(root, None)
    return xml_response(root)


def upsert_node_attribute(store: Store, node: Node, element: etree._Element) -> str | None:
    """Attach (or update) ``<attr key=..>`` on ``node``; a problem message or None."""
    key = element.get("key", "")
    if store.attr_def(tid=key) is None:
        return f"Attribute definition: '{key}' cannot be found"
    attr = next((a for a in store.node_attributes(node, inherited=False) if a.key == key), None)
    if attr is None:
        attr = Attribute(store.next_id(), node.id, key)
        store.attributes[attr.id] = attr
    _apply(attr, element)
    return None


def _apply(attr: Attribute, element: etree._Element) -> None:
    for name in _SETTINGS:
        if element.get(name) is not None:
            setattr(attr, name, element.get(name))
    domain, default = first(element, "domainVals"), first(element, "defaultVal")
    if domain is not None:
        attr.domain_vals = copy.deepcopy(domain)
    if default is not None:
        attr.default_val = copy.deepcopy(default)


def persist(body: bytes, store: Store) -> Response:
    request = parse_pim(body)
    root = pim_document("attribute")
    responses = sub(root, "responses")
    for element in children(first(request, "attrs"), "attr"):
        status, text, attrs = _persist_one(store, element)
        add_response(responses, status=status, description=text, attrs=attrs)
    return xml_response(root)


def _persist_one(store: Store, element: etree._Element) -> tuple[str, str, dict[str, str | None]]:
    """Update by id, or by node (id or path) and key; create on a node when the key is new."""
    key, raw_id = element.get("key"), element.get("id")
    node_id, node_path = element.get("nodeId"), element.get("nodePath")
    base: dict[str, str | None] = {"dataType": "attribute"}
    if raw_id is not None:
        attr = store.attributes.get(to_int(raw_id) or -1)
        if attr is None:
            return (
                "ERROR",
                f"Attribute with id {raw_id} was not found.",
                {**base, "action": "update", "key": key},
            )
        _apply(attr, element)
        return (
            "SUCCESS",
            "The attribute has been saved successfully",
            {**base, "action": "update", "id": raw_id},
        )
    where = {"nodeId": node_id} if node_id is not None else {"nodePath": node_path}
    if node_id is None and node_path is None:
        return (
            "ERROR",
            "Attribute 'nodeId' or 'nodePath' is required",
            {**base, "action": "create", "key": key},
        )
    if store.attr_def(tid=key or "") is None:
        return (
            "ERROR",
            f"Attribute definition: '{key}' cannot be found",
            {**base, "action": "create", "key": key, **where},
        )
    node = (
        store.nodes.get(to_int(node_id) or -1)
        if node_id is not None
        else store.node_by_path(node_path or "")
    )
    if node is None:
        text = (
            f"Node with id {node_id} not found"
            if node_id is not None
            else f"Node with path {node_path} not found"
        )
        return "ERROR", text, {**base, "action": "create", "key": key, **where}
    existing = next((a for a in store.node_attributes(node, inherited=False) if a.key == key), None)
    upsert_node_attribute(store, node, element)
    if existing is not None:
        return (
            "SUCCESS",
            "The attribute has been saved successfully",
            {**base, "action": "update", **where, "key": key},
        )
    created = next(a for a in store.node_attributes(node, inherited=False) if a.key == key)
    return (
        "SUCCESS",
        "The attribute has been created successfully",
        {**base, "action": "create", "id": str(created.id), **where},
    )


def perform(body: bytes, store: Store) -> Response:
    request = parse_pim(body)
    root = pim_document()
    responses = sub(root, "responses")
    for action in children(first(request, "actions"), "action"):
        raw_id = action.get("id")
        attrs = {"action": action.get("type", "delete"), "dataType": "attribute", "id": raw_id}
        if raw_id is None:
            # The document's description carries the double quotes: kept verbatim.
            status, text = "ERROR", "\"Attribute 'id' is required to process attribute deletion\""
        elif store.attributes.pop(to_int(raw_id) or -1, None) is None:
            status, text = "ERROR", "Attribute not found with given id"
        else:
            status, text = "SUCCESS", "Attribute definition has been deleted successfully"
        add_response(responses, status=status, description=text, attrs=attrs)
    return xml_response(root)


HANDLERS = {
    ("POST", "/pim/attributes/query"): query,
    ("POST", "/pim/attributes/retrieve"): retrieve,
    ("POST", "/pim/attributes/persist"): persist,
    ("POST", "/pim/attributes/perform"): perform,
}
