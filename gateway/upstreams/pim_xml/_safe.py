"""The PIM's XML boundary: one hardened parser, and lxml's errors turned into ours.

Entities, DTDs and network access are off, huge trees refused, and any ``<!DOCTYPE`` is
rejected outright: a PIM answer never needs one, so an XXE or an entity bomb is not even
handed to libxml2's entity machinery. An HTML page (a login page, a proxy's error page) is
refused too, before that check, with words saying what it is: its ``<!DOCTYPE html>`` is
no attack, and "a DOCTYPE is not accepted" would send the reader the wrong way.
"""

from __future__ import annotations

from lxml import etree

from gateway.errors import UpstreamBadResponse

__all__ = ["HTML_ANSWER", "NS", "bad", "looks_like_html", "parse_root", "q"]

NS = "http://www.apollon.de/omn"
HTML_ANSWER = "an HTML page, not XML: a login page or proxy?"
_HTML_HEADS = (b"<!doctype html", b"<html")

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
    collect_ids=False,
    # Pretty-printing between elements is never read: not made into text nodes, it costs
    # neither the parse nor the walks over children. Blank text that is an element's only
    # content (``<itm> </itm>``) stays.
    remove_blank_text=True,
)


def q(tag: str) -> str:
    """The qualified name of a PIM element: ``q("pim")`` is ``{http://www.apollon.de/omn}pim``."""
    return f"{{{NS}}}{tag}"


def bad(message: str) -> UpstreamBadResponse:
    return UpstreamBadResponse(f"PIM answer: {message}", upstream="pim")


def looks_like_html(body: bytes) -> bool:
    """Whether ``body`` starts as an HTML page does (after a BOM, blanks, an XML declaration
    as XHTML has, and comments)."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for opening, closing in ((b"<?xml", b"?>"), (b"<!--", b"-->"), (b"<!--", b"-->")):
        if head.startswith(opening) and closing in head:
            head = head[head.index(closing) + len(closing) :].lstrip()
    return head.startswith(_HTML_HEADS)


def _has_doctype(body: bytes) -> bool:
    # A DOCTYPE sits before the root element; looking at the head is cheap, and the docinfo
    # check after parsing (entities still unexpanded) catches what hides further or in UTF-16.
    return b"<!DOCTYPE" in body[:4096].upper()


def parse_root(body: bytes | str, root: str = "pim") -> etree._Element:
    """Parse a PIM answer whose root must be ``{NS}root``; anything else is UpstreamBadResponse.

    | body | result |
    | --- | --- |
    | ``<pim xmlns="http://www.apollon.de/omn">...`` | the root element |
    | ``<pim>`` (no namespace), ``<other xmlns=...>`` | UpstreamBadResponse |
    | not XML, a DOCTYPE, an entity | UpstreamBadResponse |
    | an HTML page (``<!DOCTYPE html>``, ``<html>``) | UpstreamBadResponse saying so |
    """
    data = body.encode() if isinstance(body, str) else body
    if looks_like_html(data):
        raise bad(HTML_ANSWER)
    if _has_doctype(data):
        raise bad("a DOCTYPE or entity declaration is not accepted")
    try:
        # Only leading blanks stop libxml2 (before an XML declaration); lstrip() hands back
        # the body itself when there are none, where strip() would copy it for its last newline.
        element = etree.fromstring(data.lstrip(), _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise bad(f"malformed XML ({exc})") from exc
    # lxml-stubs lacks DocInfo.doctype.
    if getattr(element.getroottree().docinfo, "doctype", ""):
        raise bad("a DOCTYPE is not accepted")
    if element.tag != q(root):
        raise bad(f"expected root <{root}> in namespace {NS}, got {element.tag!r}")
    return element
