"""The PIM codec's boundary: hostile, malformed or unexpected bodies become UpstreamBadResponse."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from gateway.errors import BadUserInput, UpstreamBadResponse
from gateway.upstreams import pim_xml
from gateway.upstreams.pim_xml import _safe
from gateway.upstreams.records import Action, PimIdList, ProductLink

NS = "http://www.apollon.de/omn"
EXAMPLES = Path(__file__).parent / "pim_examples"

XXE = (
    '<?xml version="1.0"?>'
    '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    f'<pim xmlns="{NS}"><meta><itm key="k">&e;</itm></meta></pim>'
).encode()

_LOLS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
BOMB = (
    f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{_LOLS}]>'
    f'<pim xmlns="{NS}"><meta><itm key="k">&lol9;</itm></meta></pim>'
).encode()

PARSERS: list[Callable[[bytes], Any]] = [
    pim_xml.parse_document,
    pim_xml.parse_products,
    pim_xml.parse_classifications,
    pim_xml.parse_nodes,
    pim_xml.parse_attributes,
    pim_xml.parse_attribute_definitions,
    pim_xml.parse_responses,
    pim_xml.parse_issue,
]


def _bad(parse: Callable[[bytes], Any], body: bytes) -> UpstreamBadResponse:
    with pytest.raises(UpstreamBadResponse) as info:
        parse(body)
    error = info.value
    assert (error.upstream, error.code) == ("pim", "UPSTREAM_BAD_RESPONSE")
    return error


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("body", [XXE, BOMB], ids=["xxe", "billion-laughs"])
def test_entity_payloads_are_refused_unexpanded(parse: Callable[[bytes], Any], body: bytes) -> None:
    started = time.perf_counter()
    error = _bad(parse, body)
    assert time.perf_counter() - started < 1
    assert "DOCTYPE" in str(error)
    assert "root:" not in str(error) and "lollol" not in str(error)


def test_doctype_hidden_past_the_head_is_refused_after_parsing() -> None:
    padded = XXE.replace(b"<!DOCTYPE", b"<!--" + b" " * 5000 + b"-->\n<!DOCTYPE")
    assert b"<!DOCTYPE" not in padded[:4096]
    _bad(pim_xml.parse_document, padded)


def test_doctype_in_utf16_is_refused() -> None:
    body = XXE.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16")
    _bad(pim_xml.parse_document, body)


def test_the_parser_itself_never_expands_entities() -> None:
    """Defence in depth: even handed a DOCTYPE, the parser resolves nothing."""
    element = etree.fromstring(XXE, _safe._PARSER)
    assert element[0][0].text is None
    assert b"root:" not in etree.tostring(element)
    try:
        bomb = etree.fromstring(BOMB, _safe._PARSER)
    except etree.XMLSyntaxError:
        return  # libxml2 refused the amplification outright
    assert len(etree.tostring(bomb)) < len(BOMB) * 2


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"not xml",
        b"<pim",
        f'<pim xmlns="{NS}"><products><product></products></pim>'.encode(),
        f'<pim xmlns="{NS}">'.encode() + b"\xff\xfe</pim>",
        b"\x00\x01\x02",
    ],
    ids=["empty", "blank", "text", "truncated", "unbalanced", "bad-utf8", "binary"],
)
def test_malformed_xml(body: bytes) -> None:
    with pytest.raises(UpstreamBadResponse) as info:
        pim_xml.parse_document(body)
    assert isinstance(info.value.__cause__, etree.XMLSyntaxError | ValueError)


@pytest.mark.parametrize(
    "body",
    [
        b"<pim schemaVersion='5.6.0'><products/></pim>",
        b"<pim xmlns='http://www.apollon.de/other'><products/></pim>",
        f"<products xmlns='{NS}'/>".encode(),
        f"<response xmlns='{NS}'><status>ERROR</status></response>".encode(),
    ],
    ids=["no-namespace", "other-namespace", "wrong-root", "issue-root"],
)
def test_wrong_root_or_namespace(body: bytes) -> None:
    error = _bad(pim_xml.parse_document, body)
    assert "expected root <pim>" in str(error)


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>502 Bad Gateway</body></html>",
        b"<!DOCTYPE html>\n<html lang='en'><body>Sign in</body></html>",
        b"\xef\xbb\xbf  <!-- proxy --><!doctype HTML><html></html>",
        b'<?xml version="1.0"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html xmlns="http://www.w3.org/1999/xhtml"/>',
    ],
    ids=["html", "html5-doctype", "bom-comment-doctype", "xhtml"],
)
def test_an_html_page_is_refused_as_html(body: bytes) -> None:
    """Refused as before, in words that say what it is (a login page, a proxy's page)."""
    error = _bad(pim_xml.parse_document, body)
    assert error.message == "PIM answer: an HTML page, not XML: a login page or proxy?"


def test_issue_parser_wants_a_response_root() -> None:
    _bad(pim_xml.parse_issue, (EXAMPLES / "classes_retrieve.1_by_tids.response.xml").read_bytes())


def _pim(inner: str) -> bytes:
    return f'<pim xmlns="{NS}" schemaVersion="5.6.0">{inner}</pim>'.encode()


@pytest.mark.parametrize(
    ("parse", "body", "says"),
    [
        (pim_xml.parse_responses, _pim("<meta/>"), "lacks <responses>"),
        (
            pim_xml.parse_responses,
            _pim("<responses><response action='x'/></responses>"),
            "lacks its <status>",
        ),
        (
            pim_xml.parse_responses,
            _pim("<responses><response><status>MAYBE</status></response></responses>"),
            "unknown status",
        ),
        (
            pim_xml.parse_products,
            _pim("<products><product><vals><val/></vals></product></products>"),
            "'attr'",
        ),
        (
            pim_xml.parse_products,
            _pim("<products><product><meta><itm key='id'>x1</itm></meta></product></products>"),
            "not a number",
        ),
        (
            pim_xml.parse_products,
            _pim(
                "<products><product><meta><itm key='creationDate'>yesterday</itm></meta></product></products>"
            ),
            "ISO 8601",
        ),
        (
            pim_xml.parse_products,
            _pim(
                "<products><product><vals><val attr='a'><itm pos='first'>x</itm></val></vals></product></products>"
            ),
            "not a number",
        ),
        (
            pim_xml.parse_products,
            _pim("<products><product><meta><itm>no key</itm></meta></product></products>"),
            "'key'",
        ),
        (pim_xml.parse_attributes, _pim("<attrs><attr id='1'/></attrs>"), "'key'"),
        (
            pim_xml.parse_attributes,
            _pim("<attrs><attr key='k' localized='maybe'/></attrs>"),
            "true or false",
        ),
        (pim_xml.parse_nodes, _pim("<nodes><node id='n1'/></nodes>"), "not a number"),
        (
            pim_xml.parse_attribute_definitions,
            _pim("<attrDefs><attrDef><domainVals><domainVal/></domainVals></attrDef></attrDefs>"),
            "'tid'",
        ),
        (
            pim_xml.parse_issue,
            f"<response xmlns='{NS}'><status>ERROR</status></response>".encode(),
            "lacks <issues>",
        ),
        (
            pim_xml.parse_issue,
            f"<response xmlns='{NS}'><issues/><status>ERROR</status></response>".encode(),
            "lacks its code",
        ),
    ],
)
def test_missing_or_invalid_required_parts(
    parse: Callable[[bytes], Any], body: bytes, says: str
) -> None:
    assert says in str(_bad(parse, body))


def test_empty_answers_are_empty_not_errors() -> None:
    assert pim_xml.parse_products(_pim("")) == ()
    assert pim_xml.parse_products(_pim("<products/>")) == ()
    assert pim_xml.parse_responses(_pim("<responses/>")) == ()


def test_unknown_elements_and_comments_are_skipped() -> None:
    body = _pim(
        "<!-- c --><future/><products><product tid='P'><?pi x?><shiny/></product></products>"
    )
    (product,) = pim_xml.parse_products(body)
    assert product.tid == "P"


# --- JSON query answers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("attribute_definitions_query.2_empty_types", PimIdList(all=False)),
        ("attributes_query.1_by_product_id", PimIdList(ids=(75662, 34345, 43213))),
        ("nodes_query", PimIdList(ids=(756362, 34345, 43213), level=1)),
    ],
)
def test_json_query_answers(name: str, expected: PimIdList) -> None:
    assert pim_xml.parse_id_list((EXAMPLES / f"{name}.response.json").read_bytes()) == expected


def test_json_query_answers_with_long_lists() -> None:
    defs = pim_xml.parse_id_list(
        (EXAMPLES / "attribute_definitions_query.1_by_types.response.json").read_bytes()
    )
    assert (
        len(defs.ids) == 20 and defs.ids[0] == 15210 and defs.ids[-1] == 30161 and defs.all is False
    )
    inherited = pim_xml.parse_id_list(
        (EXAMPLES / "attributes_query.4_by_node_path_with_inherited.response.json").read_bytes()
    )
    assert inherited.ids[-2:] == (96884, 55478)
    products = pim_xml.parse_id_list((EXAMPLES / "products_query.response.json").read_bytes())
    assert len(products.tids) == 13 and products.tids[0] == "8E93BA7A-0521-4FB2-A7B7-40941C7A5AFA"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[1, 2]",
        b'{"ids": "1,2"}',
        b'{"ids": ["1"]}',
        b'{"ids": [true]}',
        b'{"tids": [1]}',
        b'{"all": "no"}',
        b'{"level": "1"}',
    ],
)
def test_malformed_json_answers(body: bytes) -> None:
    _bad(pim_xml.parse_id_list, body)


# --- builders refuse what the PIM could only refuse later --------------------------------


@pytest.mark.parametrize(
    "link",
    [ProductLink(target_product_tids=("t",)), ProductLink(product_tids=("p",))],
    ids=["no-products", "no-targets"],
)
def test_a_link_needs_both_sides(link: ProductLink) -> None:
    with pytest.raises(BadUserInput):
        pim_xml.build_links_persist([link])


def test_a_delete_needs_an_identity() -> None:
    with pytest.raises(BadUserInput):
        pim_xml.build_actions([Action.delete("product")])


def test_unlink_takes_one_product_a_side() -> None:
    with pytest.raises(BadUserInput, match="one productTid"):
        Action.unlink(ProductLink(("a", "b"), target_product_tids=("c",)))


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x0e", "\x1f", "\ufffe", "\ud800"])
def test_a_character_xml_cannot_carry_is_bad_user_input_naming_the_field(char: str) -> None:
    with pytest.raises(BadUserInput) as refused:
        pim_xml.build_actions([Action.copy_product(tid="P-1", new_tid=f"A{char}B")])
    assert refused.value.item == "newProductTid"
    assert f"U+{ord(char):04X}" in refused.value.message


def test_tab_newline_and_carriage_return_are_carried() -> None:
    body = pim_xml.build_actions([Action.copy_product(tid="P-1", new_name="a\tb\nc\rd")])
    assert b"a\tb\nc" in body


def test_product_tree_reads_as_find_did() -> None:
    """The one-walk decode (issue 18) answers what ``find`` answered: the first child of a
    tag wins, unknown children are skipped, plain and ``<i18N>`` items keep their order, and
    an article's variants are read before the article, so a bad answer names the same fault."""
    body = f"""<pim xmlns="{NS}"><products><product tid="P">
      <name>first</name><name>second</name><unknown><vals/></unknown>
      <vals><val attr="a" type="multi_loc"><itm>x</itm><i18N loc="de_DE"><itm pos="2">y</itm>
        </i18N><itm key="k">z</itm></val></vals><vals><val attr="ignored"/></vals>
    </product></products></pim>""".encode()
    (product,) = pim_xml.parse_products(body)
    assert product.name is not None and product.name.plain == "first"
    assert [v.attr for v in product.values] == ["a"]
    assert [(e.value, e.locale, e.position, e.key) for e in product.values[0].entries] == [
        ("x", None, None, None),
        ("y", "de_DE", 2, None),
        ("z", None, None, "k"),
    ]
    both_bad = f"""<pim xmlns="{NS}"><products><product tid="P"><articles><article tid="A">
      <meta><itm key="id">article</itm></meta>
      <variants><variant tid="V"><meta><itm key="id">variant</itm></meta></variant></variants>
    </article></articles></product></products></pim>""".encode()
    with pytest.raises(UpstreamBadResponse, match="'variant'"):
        pim_xml.parse_products(both_bad)
