"""``/pim/attribute-definitions``: list, query (ids by type), retrieve, persist, perform."""

from __future__ import annotations

import copy

from lxml import etree
from starlette.responses import Response

from gateway.emulators.pim.http import json_list, json_response, read_json, xml_response
from gateway.emulators.pim.render import render_attr_def
from gateway.emulators.pim.store import AttrDef, Store
from gateway.emulators.pim.xml import (
    add_meta,
    add_response,
    children,
    first,
    parse_pim,
    pim_document,
    read_localized,
    sub,
    to_int,
)

__all__ = ["DATA_TYPES", "HANDLERS"]

DATA_TYPES = ("text", "number", "date", "boolean", "ref", "table")
_INFO = "attrDefinition"


def _answer(definitions: list[AttrDef]) -> Response:
    # The samples put <attrDefs> before <meta> here.
    root = pim_document(with_meta=False)
    listing = sub(root, "attrDefs")
    for definition in definitions:
        render_attr_def(listing, definition)
    add_meta(root, _INFO)
    return xml_response(root)


def _all(store: Store) -> list[AttrDef]:
    return sorted(store.attr_defs.values(), key=lambda d: d.id)


def list_defs(body: bytes, store: Store) -> Response:
    return _answer(_all(store))


def query(body: bytes, store: Store) -> Response:
    types = json_list(read_json(body), "types")
    if not types:
        return json_response({"all": False})  # the documented answer for an empty list
    return json_response({"ids": [d.id for d in _all(store) if d.type in types], "all": False})


def retrieve(body: bytes, store: Store) -> Response:
    data = read_json(body)
    if data.get("all") is True:
        return _answer(_all(store))
    tids, ids = json_list(data, "tids"), json_list(data, "ids", int)
    found = [store.attr_def(tid=t) for t in tids] if tids else [store.attr_def(id=i) for i in ids]
    return _answer([d for d in found if d is not None])


def persist(body: bytes, store: Store) -> Response:
    request = parse_pim(body)
    root = pim_document(_INFO)
    responses = sub(root, "responses")
    for element in children(first(request, "attrDefs"), "attrDef"):
        _persist_one(store, element, responses)
    return xml_response(root)


def _persist_one(store: Store, element: etree._Element, responses: etree._Element) -> None:
    tid, raw_id = element.get("tid"), element.get("id")
    attrs: dict[str, str | None] = {"dataType": "attrDefinition", "id": raw_id, "tid": tid}
    if raw_id is not None:
        definition = store.attr_def(id=to_int(raw_id))
        if definition is None:
            attrs.update(action="update", tid=None)
            add_response(
                responses,
                status="ERROR",
                description=f"No attribute definition by id: {raw_id}",
                attrs=attrs,
            )
            return
    else:
        definition = store.attr_def(tid=tid) if tid else None
    attrs["action"] = "create" if definition is None else "update"
    kind = element.get("type") or (definition.type if definition else None)
    reason = None
    if not (tid or definition):
        reason = "attribute 'tid' is required"
    elif kind not in DATA_TYPES:
        reason = f"unknown type '{kind}', expected one of {', '.join(DATA_TYPES)}"
    if reason:
        add_response(
            responses,
            status="ERROR",
            description=f"The attribute definition could not be saved. Reason: {reason}",
            attrs=attrs,
        )
        return
    assert kind is not None
    if definition is None:
        assert tid is not None
        definition = AttrDef(store.next_id(), tid, kind)
        store.attr_defs[definition.id] = definition
    _apply(definition, element, kind)
    add_response(
        responses,
        status="SUCCESS",
        description="The attribute definition has been saved successfully",
        attrs=attrs,
    )


def _apply(definition: AttrDef, element: etree._Element, kind: str) -> None:
    definition.type = kind
    if element.get("tid"):
        definition.tid = element.get("tid", definition.tid)
    names = read_localized(first(element, "name"))
    if names:
        definition.name = names
    multi = first(element, "multiValued")
    if multi is not None:
        definition.multi_valued = (multi.text or "").strip() == "true"
    domain = first(element, "domainVals")
    if domain is not None:
        definition.domain_vals = copy.deepcopy(domain)


def perform(body: bytes, store: Store) -> Response:
    request = parse_pim(body)
    root = pim_document()
    responses = sub(root, "responses")
    for action in children(first(request, "actions"), "action"):
        tid, raw_id = action.get("tid"), action.get("id")
        attrs = {"action": action.get("type", "delete"), "dataType": "attrDefinition"}
        attrs.update({"tid": tid} if tid else {"id": raw_id} if raw_id else {})
        definition = store.attr_def(tid=tid) if tid else store.attr_def(id=to_int(raw_id))
        if definition is None:
            status, text = "ERROR", "There is no attribute definition with the given tid or id"
        elif users := [a for a in store.attributes.values() if a.key == definition.tid]:
            status = "ERROR"
            text = (
                "The attribute definition could not be deleted. Reason: it is attached to "
                f"{len(users)} node attribute(s)"
            )
        else:
            del store.attr_defs[definition.id]
            status, text = "SUCCESS", "The attribute definition has been deleted successfully"
        add_response(responses, status=status, description=text, attrs=attrs)
    return xml_response(root)


HANDLERS = {
    ("GET", "/pim/attribute-definitions"): list_defs,
    ("POST", "/pim/attribute-definitions/query"): query,
    ("POST", "/pim/attribute-definitions/retrieve"): retrieve,
    ("POST", "/pim/attribute-definitions/persist"): persist,
    ("POST", "/pim/attribute-definitions/perform"): perform,
}
