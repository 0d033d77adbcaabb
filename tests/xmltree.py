"""Compare XML as trees: tag (with namespace), attributes, text and children in order.

Whitespace-only text and tails are ignored, and so is surrounding whitespace of text, since
the documents' examples are pretty-printed.
"""

from __future__ import annotations

from lxml import etree

__all__ = ["assert_xml_equal", "parse_xml"]

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True
)


def parse_xml(data: str | bytes) -> etree._Element:
    if isinstance(data, str):
        data = data.encode()
    return etree.fromstring(data.strip(), _PARSER)


def _text(value: str | None) -> str:
    return (value or "").strip()


def _diff(expected: etree._Element, actual: etree._Element, where: str) -> str | None:
    here = f"{where}/{etree.QName(expected).localname}"
    if expected.tag != actual.tag:
        return f"{where}: tag {actual.tag!r} != expected {expected.tag!r}"
    if dict(expected.attrib) != dict(actual.attrib):
        return f"{here}: attributes {dict(actual.attrib)} != expected {dict(expected.attrib)}"
    if _text(expected.text) != _text(actual.text):
        return f"{here}: text {_text(actual.text)!r} != expected {_text(expected.text)!r}"
    exp_children, act_children = list(expected), list(actual)
    if len(exp_children) != len(act_children):
        tags = [etree.QName(c).localname for c in act_children]
        want = [etree.QName(c).localname for c in exp_children]
        return f"{here}: children {tags} != expected {want}"
    for exp, act in zip(exp_children, act_children, strict=True):
        problem = _diff(exp, act, here)
        if problem:
            return problem
    return None


def assert_xml_equal(
    actual: str | bytes | etree._Element, expected: str | bytes | etree._Element
) -> None:
    """Fail with the first difference's path when the two documents differ as trees."""
    act = actual if isinstance(actual, etree._Element) else parse_xml(actual)
    exp = expected if isinstance(expected, etree._Element) else parse_xml(expected)
    problem = _diff(exp, act, "")
    assert problem is None, problem
