"""``/pim/classes``: list, retrieve (with nodes flat or nested), persist, perform (delete)."""

from __future__ import annotations

import re

from lxml import etree
from starlette.responses import Response

from gateway.emulators.pim.http import json_list, read_json, xml_response
from gateway.emulators.pim.render import render_class, render_class_node
from gateway.emulators.pim.store import Classification, Node, Store, normalize_path, path_segments
from gateway.emulators.pim.xml import (
    add_response,
    children,
    first,
    parse_pim,
    pim_document,
    read_localized,
    sub,
    to_int,
)

__all__ = ["HANDLERS", "node_from_element", "unknown_locales"]

_LOCALE = re.compile(r"^[a-z]{2}_[A-Z]{2}$")
_INFO = "classification"


def unknown_locales(texts: dict[str, str]) -> list[str]:
    """Locales the PIM would not know (it answers ``Cannot find language id with code ..``)."""
    return [loc for loc in texts if not _LOCALE.match(loc)]


def list_classes(body: bytes, store: Store) -> Response:
    return _answer(store, sorted(store.classifications.values(), key=lambda c: c.id), False, True)


def retrieve(body: bytes, store: Store) -> Response:
    data = read_json(body)
    tids, ids = json_list(data, "tids"), json_list(data, "ids", int)
    found: list[Classification | None]
    if tids:
        found = [store.classification(tid=t) for t in tids]
    elif ids:
        found = [store.classification(id=i) for i in ids]
    else:
        ordered = sorted(store.classifications.values(), key=lambda c: c.id)
        found = list(ordered)
    classes = [c for c in found if c is not None]
    return _answer(
        store, classes, bool(data.get("withNodes")), data.get("flatNodes", True) is not False
    )


def _answer(store: Store, classes: list[Classification], with_nodes: bool, flat: bool) -> Response:
    root = pim_document(_INFO)
    listing = sub(root, "classes")
    nodes = sub(root, "nodes") if with_nodes and flat else None
    for cls in classes:
        element = render_class(listing, cls)
        top = store.root_of(cls.tid)
        if not with_nodes or top is None:
            continue
        if nodes is None:
            render_class_node(element, store, top, nested=True)
        else:
            for node in [top, *store.descendants(top)]:
                render_class_node(nodes, store, node, nested=False)
    return xml_response(root)


def persist(body: bytes, store: Store) -> Response:
    request = parse_pim(body)
    root = pim_document(_INFO)
    responses = sub(root, "responses")
    all_nodes = children(first(request, "nodes"), "node")
    handled: set[int] = set()
    for element in children(first(request, "classes"), "class"):
        mine = [n for n in all_nodes if n.get("class") == element.get("tid")]
        handled.update(id(n) for n in mine)
        _persist_class(store, element, mine, responses)
    for node in all_nodes:
        if id(node) not in handled:
            # Nodes of a classification the request does not list answer one by one.
            existed = store.node_by_path(node.get("path", "")) is not None
            problem = node_from_element(store, node)
            add_response(
                responses,
                status="ERROR" if problem else "SUCCESS",
                description=problem or "Node has been saved",
                attrs={
                    "action": "update" if existed else "create",
                    "dataType": "classNode",
                    "path": node.get("path"),
                },
            )
    return xml_response(root)


def _persist_class(
    store: Store, element: etree._Element, nodes: list[etree._Element], responses: etree._Element
) -> None:
    tid, raw_id = element.get("tid"), element.get("id")
    attrs: dict[str, str | None] = {"dataType": "classification", "action": "create", "tid": tid}
    if tid is None and raw_id is None:
        add_response(
            responses,
            status="ERROR",
            description="Classification attributes missing: 'tid' or 'id' attribute must be",
            attrs=attrs,
        )
        return
    cls = store.classification(tid=tid) if tid else store.classification(id=to_int(raw_id))
    if cls is None and tid is None:
        # The document's sample answers action "create" for an unknown id: kept verbatim.
        add_response(
            responses,
            status="ERROR",
            description=f"There is no classification with the given identity '{raw_id}'",
            attrs=attrs,
        )
        return
    warnings: list[str] = []
    if cls is None:
        assert tid is not None
        cls = Classification(store.next_id(), tid)
        store.classifications[cls.id] = cls
        done = "The classification has been created successfully"
    else:
        attrs.update(action="update", tid=cls.tid)
        done = "The classification has been saved successfully"
    warnings += _set_names(store, cls, read_localized(first(element, "name")))
    for node in nodes:
        problem = node_from_element(store, node)
        if problem and problem.startswith("Unable to create the root node"):
            add_response(responses, status="ERROR", description=problem, attrs=attrs)
            return
        if problem:
            warnings.append(problem)
    if warnings:
        add_response(
            responses,
            status="WARNING",
            description="|".join(["The classification has been saved successfully", *warnings]),
            attrs=attrs,
        )
    else:
        add_response(responses, status="SUCCESS", description=done, attrs=attrs)


def _set_names(store: Store, cls: Classification, names: dict[str, str]) -> list[str]:
    warnings = [f"Cannot find language id with code '{loc}'." for loc in unknown_locales(names)]
    for loc, text in names.items():
        if loc in unknown_locales(names):
            continue
        if any(
            text in other.name.values()
            for other in store.classifications.values()
            if other is not cls
        ):
            warnings.append(
                f"Unable to create new classification. Classification with name {text} already exist."
            )
            continue
        cls.name[loc] = text
    return warnings


def node_from_element(store: Store, element: etree._Element) -> str | None:
    """Create or update one ``<node path=..>`` of a classes/persist request; a problem or None.

    Nodes are handled strictly in request order, so a parent must come before its children
    and the root (named as the classification) before everything else.
    """
    from gateway.emulators.pim.routes_attributes import upsert_node_attribute

    path = normalize_path(element.get("path", ""))
    cls_tid = element.get("class") or path.split("/")[1]
    node = store.node_by_path(path)
    if node is None:
        segments = [p for p in path.split("/") if p]
        if len(segments) == 1:
            if segments[0] != cls_tid:
                return (
                    "Unable to create the root node, identifier should match the classification "
                    f"name, classification: {cls_tid}, root node: {segments[0]}"
                )
            parent: Node | None = None
        else:
            parent_path = "/" + "/".join(segments[:-1])
            parent = store.node_by_path(parent_path)
            if parent is None:
                return (
                    f"An error occurred while node creation. Parent node path: {parent_path}, "
                    f"or id: null, node: {segments[-1]}, the reason: Node with path "
                    f"'{path_segments(parent_path)}' does not exist."
                )
        node = store.add_node(segments[-1], cls_tid, parent)
    names = read_localized(first(element, "name"))
    if names:
        node.name = names
    problems = [upsert_node_attribute(store, node, attr) for attr in children(element, "attr")]
    return "|".join(p for p in problems if p) or None


def perform(body: bytes, store: Store) -> Response:
    request = parse_pim(body)
    root = pim_document()
    responses = sub(root, "responses")
    for action in children(first(request, "actions"), "action"):
        tid, raw_id = action.get("tid"), action.get("id")
        attrs = {"action": action.get("type", "delete"), "dataType": "classification"}
        attrs.update({"tid": tid} if tid else {"id": raw_id} if raw_id else {})
        status, text = "ERROR", _delete_class(store, action)
        if text is None:
            status, text = "SUCCESS", "The classification has been deleted successfully"
        add_response(responses, status=status, description=text, attrs=attrs)
    return xml_response(root)


def _delete_class(store: Store, action: etree._Element) -> str | None:
    tid, raw_id = action.get("tid"), action.get("id")
    if action.get("dataType") != "classification":
        return "The data type of the passed item is wrong. It must be 'classification'"
    if action.get("type") != "delete":
        return f"Unsupported action type '{action.get('type')}'"
    if tid is None and raw_id is None:
        return "Classification attributes missing: 'tid' or 'id' attribute must be"
    cls = store.classification(tid=tid) if tid else store.classification(id=to_int(raw_id))
    if cls is None:
        return (
            f"The classification not found by given tid: '{tid}'"
            if tid
            else f"The classification not found by given id: '{raw_id}'"
        )
    top = store.root_of(cls.tid)
    if top is not None:
        store.remove_node(top)
    del store.classifications[cls.id]
    return None


HANDLERS = {
    ("GET", "/pim/classes"): list_classes,
    ("POST", "/pim/classes/retrieve"): retrieve,
    ("POST", "/pim/classes/persist"): persist,
    ("POST", "/pim/classes/perform"): perform,
}
