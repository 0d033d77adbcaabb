"""``/pim/nodes``: classification nodes. Query, retrieve, persist, perform (delete).

All four are admin-only in the PIM; the emulator enforces that only while
``store.nodes_admin_only`` is on (``POST /__emulator__/admin-only``), so the demo works.
"""

from __future__ import annotations

from lxml import etree
from starlette.responses import Response

from gateway.emulators.pim.http import json_list, json_response, read_json, xml_response
from gateway.emulators.pim.render import render_node
from gateway.emulators.pim.store import Node, Store, normalize_path, path_segments
from gateway.emulators.pim.xml import (
    InvalidInput,
    add_response,
    children,
    first,
    parse_pim,
    pim_document,
    read_localized,
    sub,
    to_int,
)

__all__ = ["HANDLERS"]

_SAVED = "Node has been saved"


def query(body: bytes, store: Store) -> Response:
    """Node ids by product, attribute or attribute definition; answered as a NodesRequest."""
    data = read_json(body)
    if data.get("productId") is not None or data.get("productTid") is not None:
        product = (
            store.item("product", id=to_int(str(data["productId"])))
            if data.get("productId") is not None
            else store.item("product", tid=str(data["productTid"]))
        )
        node = store.node_by_path(product.node) if product and product.node else None
        ids = [node.id] if node else []
    elif data.get("attributeId") is not None:
        attr = store.attributes.get(to_int(str(data["attributeId"])) or -1)
        ids = [attr.node_id] if attr else []
    elif (
        data.get("attributeDefinitionId") is not None
        or data.get("attributeDefinitionTid") is not None
    ):
        definition = (
            store.attr_def(id=to_int(str(data["attributeDefinitionId"])))
            if data.get("attributeDefinitionId") is not None
            else store.attr_def(tid=str(data["attributeDefinitionTid"]))
        )
        key = definition.tid if definition else None
        ids = sorted({a.node_id for a in store.attributes.values() if a.key == key})
    else:
        raise InvalidInput(
            "productId, productTid, attributeId, attributeDefinitionId or "
            "attributeDefinitionTid should be provided to query nodes"
        )
    return json_response({"ids": ids, "level": 1})


def retrieve(body: bytes, store: Store) -> Response:
    data = read_json(body)
    if data.get("classificationId") is not None or data.get("classificationTid") is not None:
        cls = (
            store.classification(tid=str(data["classificationTid"]))
            if data.get("classificationTid") is not None
            else store.classification(id=to_int(str(data["classificationId"])))
        )
        top = store.root_of(cls.tid) if cls else None
        found = [top] if top else []
    elif data.get("path") is not None:
        level = data.get("level", 1)
        if not isinstance(level, int) or isinstance(level, bool):
            raise InvalidInput("The level should be a number")
        if level == 0:
            raise InvalidInput("The level should not be 0")
        node = store.node_by_path(str(data["path"]))
        found = store.descendants(node, level) if node else []
    elif data.get("ids"):
        found = [store.nodes[i] for i in json_list(data, "ids", int) if i in store.nodes]
    else:
        raise InvalidInput("Path or ids array or classificationId should be provided to get nodes")
    root = pim_document("node")
    listing = sub(root, "nodes")
    for node in found:
        render_node(listing, node)
    return xml_response(root)


def persist(body: bytes, store: Store) -> Response:
    request = parse_pim(body)
    root = pim_document()
    responses = sub(root, "responses")
    # Strictly in request order: a node may be the parent of the next one.
    for element in children(first(request, "nodes"), "node"):
        if element.get("id") is not None or element.get("path") is not None:
            _update(store, element, responses)
        else:
            _create(store, element, responses)
    return xml_response(root)


def _create(store: Store, element: etree._Element, responses: etree._Element) -> None:
    tid = element.get("tid", "")
    parent_id, parent_path = element.get("parentId"), element.get("parentPath")
    cls_tid = element.get("classificationTid")
    attrs: dict[str, str | None] = {"action": "create", "dataType": "classNode", "tid": tid}
    reason, parent = _find_parent(store, parent_id, parent_path, cls_tid, tid)
    if reason is None and parent is not None:
        path = f"{parent.path}/{tid}"
        if store.node_by_path(path) is not None:
            reason = f"Node with path '{path_segments(path)}' already exists."
    if reason is not None:
        text = (
            f"An error occurred while node creation. Parent node path: {parent_path or 'null'}, "
            f"or id: {parent_id or 'null'}, node: {tid}, the reason: {reason}"
        )
        add_response(responses, status="ERROR", description=text, attrs=attrs)
        return
    cls = parent.classification if parent else str(cls_tid)
    node = store.add_node(tid, cls, parent)
    node.name = read_localized(first(element, "name"))
    attrs.update(id=str(node.id), path=node.path)
    add_response(responses, status="SUCCESS", description=_SAVED, attrs=attrs)


def _find_parent(
    store: Store, parent_id: str | None, parent_path: str | None, cls_tid: str | None, tid: str
) -> tuple[str | None, Node | None]:
    """(problem, parent); a root node (no parent) is named by ``classificationTid``."""
    if parent_id is not None:
        parent = store.nodes.get(to_int(parent_id) or -1)
        return (None, parent) if parent else (f"Node with id {parent_id} does not exist.", None)
    if parent_path is not None:
        parent = store.node_by_path(parent_path)
        if parent is None:
            return f"Node with path '{path_segments(parent_path)}' does not exist.", None
        return None, parent
    cls = store.classification(tid=cls_tid) if cls_tid else None
    if cls is None:
        return f"No classification by name: {cls_tid}", None
    if store.root_of(cls.tid) is not None:
        return f"The classification {cls.tid} already has a root node", None
    if tid != cls.tid:
        return (
            "Unable to create the root node, identifier should match the classification name, "
            f"classification: {cls.tid}, root node: {tid}"
        ), None
    return None, None


def _update(store: Store, element: etree._Element, responses: etree._Element) -> None:
    raw_id, path, tid = element.get("id"), element.get("path"), element.get("tid")
    attrs: dict[str, str | None] = {
        "action": "update",
        "dataType": "classNode",
        "id": raw_id,
        "path": path,
        "tid": tid,
    }
    if raw_id is not None:
        node = store.nodes.get(to_int(raw_id) or -1)
        missing = f"Node with id {raw_id} does not exist."
    else:
        node = store.node_by_path(path or "")
        missing = f"Node with path '{path_segments(normalize_path(path or ''))}' does not exist."
    if node is None:
        add_response(responses, status="ERROR", description=missing, attrs=attrs)
        return
    # Renaming (a changed tid) would move every path below; the emulator updates names only.
    names = read_localized(first(element, "name"))
    if names:
        node.name = names
    attrs.update(id=str(node.id), path=node.path, tid=node.tid)
    add_response(responses, status="SUCCESS", description=_SAVED, attrs=attrs)


def perform(body: bytes, store: Store) -> Response:
    request = parse_pim(body)
    root = pim_document()
    responses = sub(root, "responses")
    if store.nodes_admin_only:
        # The document answers a restricted delete inside a 200, unlike the other node calls.
        add_response(
            responses,
            status="ERROR",
            description="Nodes delete API is restricted for the user",
            attrs={"dataType": "classNode"},
        )
        return xml_response(root)
    for action in children(first(request, "actions"), "action"):
        raw_id, path = action.get("id"), action.get("path")
        attrs = {
            "dataType": "classNode",
            "id": raw_id,
            "path": None if raw_id else path,
            "action": "delete",
        }
        node = (
            store.nodes.get(to_int(raw_id) or -1)
            if raw_id is not None
            else store.node_by_path(path)
            if path
            else None
        )
        if node is None:
            status, text = "ERROR", "There is no node with the given path or id"
        elif store.products_under(node.path):
            status = "ERROR"
            text = (
                f"The node could not be deleted. Reason: products are classified under {node.path}"
            )
        else:
            store.remove_node(node)
            status, text = "SUCCESS", "The node has been deleted successfully"
        add_response(responses, status=status, description=text, attrs=attrs)
    return xml_response(root)


HANDLERS = {
    ("POST", "/pim/nodes/query"): query,
    ("POST", "/pim/nodes/retrieve"): retrieve,
    ("POST", "/pim/nodes/persist"): persist,
    ("POST", "/pim/nodes/perform"): perform,
}
RESTRICTED = {
    "/pim/nodes/query": "query",
    "/pim/nodes/retrieve": "retrieve",
    "/pim/nodes/persist": "persist",
}
