"""The emulator's XML boundary: one safe parser, and builders for the documented envelopes.

| builder | produces |
| --- | --- |
| ``pim_document(info_type)`` | ``<pim xmlns=omn schemaVersion="5.6.0">`` with its ``<meta>`` |
| ``add_response(parent, ...)`` | one ``<response>`` of a ``<responses>`` list |
| ``issues_document(code, ...)`` | the request-level ``<response><issues>`` error |

Everything is built with lxml's element API; nothing is formatted into strings.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from lxml import etree

from gateway.emulators.pim.clock import format_time, utcnow

__all__ = [
    "NS",
    "SCHEMA_VERSION",
    "InvalidInput",
    "add_localized",
    "add_response",
    "children",
    "first",
    "issues_document",
    "local",
    "parse_pim",
    "pim_document",
    "q",
    "read_localized",
    "sub",
    "to_bytes",
    "to_int",
]

NS = "http://www.apollon.de/omn"
SCHEMA_VERSION = "5.6.0"

# Entities, DTDs and the network are off so a request can neither read files nor blow up.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class InvalidInput(Exception):
    """The request cannot be understood: answered as the documented 400 / code 1001."""


def q(name: str) -> str:
    """The qualified tag of ``name`` in the OMN namespace."""
    return f"{{{NS}}}{name}"


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def sub(
    parent: etree._Element,
    name: str,
    attrs: Mapping[str, str] | None = None,
    text: str | None = None,
) -> etree._Element:
    """Append ``<name>`` in the OMN namespace, with attributes in the given order."""
    element = etree.SubElement(parent, q(name))
    for key, value in (attrs or {}).items():
        element.set(key, value)
    if text is not None:
        element.text = text
    return element


def children(parent: etree._Element | None, name: str) -> list[etree._Element]:
    if parent is None:
        return []
    return [c for c in parent if isinstance(c.tag, str) and c.tag == q(name)]


def first(parent: etree._Element | None, name: str) -> etree._Element | None:
    found = children(parent, name)
    return found[0] if found else None


def parse_pim(body: bytes) -> etree._Element:
    """Parse a ``<pim>`` request body, refusing DTDs, wrong roots and malformed XML."""
    if not body.strip():
        raise InvalidInput("The request body is empty")
    if body.lstrip()[:1] in (b"{", b"["):
        # The document defines these bodies in XML only (its JSON forms come from a
        # transform endpoint the emulator does not have).
        raise InvalidInput("This endpoint accepts an XML <pim> document")
    try:
        root = etree.fromstring(body.strip(), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(f"Malformed XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None:
        # Not expanding entities is not enough: refusing a DTD outright also stops
        # entity-expansion bombs and keeps unexpanded references out of the store.
        raise InvalidInput("DOCTYPE declarations are not allowed")
    if root.tag != q("pim"):
        raise InvalidInput(f"Unexpected root element {root.tag!s}, expected {{{NS}}}pim")
    return root


def pim_document(info_type: str | None = None, *, with_meta: bool = True) -> etree._Element:
    """A response ``<pim>`` root; ``with_meta=False`` lets a caller place the meta itself."""
    root = etree.Element(q("pim"), nsmap={None: NS})
    root.set("schemaVersion", SCHEMA_VERSION)
    if with_meta:
        add_meta(root, info_type)
    return root


def add_meta(root: etree._Element, info_type: str | None) -> etree._Element:
    meta = sub(root, "meta")
    sub(meta, "itm", {"key": "messageType"}, "request")
    sub(meta, "itm", {"key": "messageTime"}, format_time(utcnow()))
    sub(meta, "itm", {"key": "sourceEnv"}, "web")
    if info_type:
        sub(meta, "itm", {"key": "itemInformationType"}, info_type)
    return meta


def add_response(
    responses: etree._Element,
    *,
    status: str,
    description: str,
    attrs: Mapping[str, str | None],
) -> etree._Element:
    """One per-item outcome; attributes whose value is None are left out."""
    response = sub(responses, "response", {k: v for k, v in attrs.items() if v is not None})
    sub(response, "status", text=status)
    sub(response, "description", text=description)
    return response


def issues_document(code: str, description: str, message: str) -> etree._Element:
    """The documented request-level error (400 / 401 / 403 / 500)."""
    root = etree.Element(q("response"), nsmap={None: NS})
    details = sub(root, "details")
    sub(details, "itm", {"key": "supportId"}, str(uuid.uuid4()))
    issues = sub(root, "issues")
    sub(issues, "itm", {"key": "code"}, code)
    sub(issues, "itm", {"key": "description"}, description)
    more = sub(issues, "itms", {"type": "details"})
    sub(more, "itm", {"key": "errorMessage"}, message)
    sub(root, "status", text="ERROR")
    return root


def add_localized(parent: etree._Element, name: str, texts: Mapping[str, str]) -> etree._Element:
    """``<name><itm loc="en_GB">..</itm></name>``; an empty mapping gives ``<name/>``."""
    element = sub(parent, name)
    for loc, text in texts.items():
        sub(element, "itm", {"loc": loc}, text)
    return element


def read_localized(element: etree._Element | None) -> dict[str, str]:
    if element is None:
        return {}
    return {itm.get("loc", ""): (itm.text or "") for itm in children(element, "itm")}


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def to_int(raw: str | None) -> int | None:
    """An id attribute as a number; absent or not numeric gives None (it matches nothing)."""
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None
