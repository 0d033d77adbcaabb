"""The PIM codec against the document: every request sample built, every answer read back.

Samples live in ``pim_examples/``, one file per sample, copied verbatim from
``omn-pim-api.txt`` and named ``<section>.<sample>.<request|response>.xml``.
Where the document contradicts itself the comparison says so (see ``_canonical``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from gateway.upstreams import pim_xml
from gateway.upstreams.records import (
    Action,
    Article,
    Attribute,
    AttributeDefinition,
    AttributeValue,
    Classification,
    ClassificationNode,
    DomainValue,
    DomainValues,
    ItemMeta,
    LocalizedText,
    PimDataType,
    Product,
    ProductLink,
    ValueEntry,
    Variant,
    WriteStatus,
)
from tests.xmltree import assert_xml_equal, parse_xml

EXAMPLES = Path(__file__).parent / "pim_examples"
NS = "http://www.apollon.de/omn"


def sample(name: str) -> bytes:
    return (EXAMPLES / f"{name}.xml").read_bytes()


def names(kind: str) -> list[str]:
    return sorted(p.name.removesuffix(".xml") for p in EXAMPLES.glob(f"*.{kind}*.xml"))


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _canonical(data: bytes | etree._Element) -> etree._Element:
    """A sample as the codec can be held to it, where the document is loose or contradicts itself:

    - ``...`` elides content (``<meta>...</meta>``, after a ``<domainVal>``): dropped;
    - answers spell multi_loc groups ``<i18N>``, the persist sample ``<i18n>``: one spelling;
    - some answers put the root ``<meta>`` last, requests put it first: meta first;
    - a response's ``<status>`` and ``<description>`` come in either order: status first;
    - the classes persist sample's node ids ``00000`` are placeholders for Longs: as numbers;
    - PRODUCT_REF sides come target-first in two link samples, product-first in three:
      sorted by key.
    """
    root = parse_xml(data) if isinstance(data, bytes) else data
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if (el.text or "").strip() == "...":
            el.text = None
        if el.tag == _q("i18N"):
            el.tag = _q("i18n")
        if el.tag == _q("node") and (el.get("id") or "").startswith("0"):
            for attr in ("id", "parentId"):
                if el.get(attr):
                    el.set(attr, str(int(el.get(attr, ""))))
        if el.tag == _q("response"):
            el[:] = sorted(el, key=lambda c: c.tag != _q("status"))
        if el.tag == _q("itms") and el.get("type") == "PRODUCT_REF":
            el[:] = sorted(el, key=lambda c: c.get("key") or c.get("type") or "")
    meta = root.find(_q("meta"))
    if meta is not None:
        root.remove(meta)
        root.insert(0, meta)
    return root


def assert_same(actual: bytes, expected: bytes) -> None:
    assert_xml_equal(_canonical(actual), _canonical(expected))


def _meta(name: str) -> dict[str, str]:
    return dict(pim_xml.parse_document(sample(name)).meta) if b"<meta>" in sample(name) else {}


# --- requests: what each builder writes equals the document's sample ---------------------

P_TID = "73c7992f-5f66-4d99-9ca7-9efa3f1b8281"
A_TID = "e8712bfd-6701-4833-9197-b259ea42dd84"


def plain(text: str) -> LocalizedText:
    return LocalizedText(plain=text)


def texts(**by_locale: str) -> LocalizedText:
    return LocalizedText(by_locale)


def _req_meta(time: str | None, info: str | None = None) -> dict[str, str]:
    meta = {"messageType": "request"}
    if time:
        meta["messageTime"] = time
    meta["sourceEnv"] = "web"
    if info:
        meta["itemInformationType"] = info
    return meta


def _attr(key: str, localized: bool, **where: object) -> Attribute:
    return Attribute(
        key=key,
        level="p",
        inheritance="visible",
        restriction="optional",
        localized=localized,
        **where,  # type: ignore[arg-type]
    )


GENDER = DomainValues(
    (DomainValue("female", texts(en_EN="female", de_DE="weiblich")),),
    allow_new_value=False,
    sort_direction="MANUAL",
)

CLASS_NODES = (
    ClassificationNode(
        classification="Classification",
        id=0,
        path="/Classification",
        attributes=(_attr("product_id", False),),
        children=(1,),
    ),
    ClassificationNode(
        classification="Classification",
        id=1,
        parent_id=0,
        path="/Classification/node",
        parent_path="/Classification",
        attributes=(_attr("product_title", True),),
        children=(2,),
    ),
    ClassificationNode(
        classification="Classification",
        id=2,
        parent_id=1,
        path="/Classification/node/node1",
        parent_path="/Classification/node",
        attributes=(_attr("description_long", True),),
    ),
)


def _in_article(variant: Variant, article_tid: str = P_TID) -> list[Product]:
    return [Product(tid=P_TID, articles=(Article(tid=article_tid, variants=(variant,)),))]


ACCESSORIES = texts(en_EN="Accessories EN", de_DE="Accessories DE", fr_FR="Accessories FR")
STANDARD_1 = texts(en_EN="Standard EN 1", fr_FR="Standard FR 1")
COPY_META = {"new_name": "NewProduct", "new_tid": "37590039-aaaa-4a13-9c3a-c6ec3c94adce"}

BUILDS: dict[str, Callable[[], bytes]] = {
    "classes_persist.1_create_without_nodes.request": lambda: pim_xml.build_classes_persist(
        [Classification(tid="NewClassification")],
        meta=_req_meta("2022-12-05T11:38:06.882Z", "classification"),
    ),
    "classes_persist.2_create_or_update_with_nodes.request": lambda: pim_xml.build_classes_persist(
        [
            Classification(
                tid="Classification",
                name=texts(en_GB="Class_en", de_DE="Class_de"),
                meta={},  # the document elides the class's meta items with "..."
                nodes=CLASS_NODES,
            )
        ],
        meta=_req_meta("2022-11-17T03:22:30.207Z", "classification"),
    ),
    "classes_perform.1_delete_by_tid.request": lambda: pim_xml.build_actions(
        [Action.delete(PimDataType.CLASSIFICATION, tid="Classification")]
    ),
    "classes_perform.2_delete_by_id.request": lambda: pim_xml.build_actions(
        [Action.delete(PimDataType.CLASSIFICATION, id=24101)]
    ),
    "attribute_definitions_perform.1_delete_by_tid.request": lambda: pim_xml.build_actions(
        [Action.delete(PimDataType.ATTRIBUTE_DEFINITION, tid="product_tid")],
        meta=_req_meta("2022-06-04T10:10:16.774Z"),
    ),
    "attribute_definitions_perform.2_delete_by_id.request": lambda: pim_xml.build_actions(
        [Action.delete(PimDataType.ATTRIBUTE_DEFINITION, id=45260)],
        meta=_req_meta("2022-06-04T10:10:16.774Z"),
    ),
    "attribute_definitions_persist.1_create.request": lambda: (
        pim_xml.build_attribute_definitions_persist(
            [
                AttributeDefinition(
                    tid="product_tid",
                    type="text",
                    name=texts(en_GB="SKU product", de_DE="SKU Produkt"),
                )
            ]
        )
    ),
    "attribute_definitions_persist.2_update.request": lambda: (
        pim_xml.build_attribute_definitions_persist(
            [
                AttributeDefinition(
                    tid="product_tid", type="text", name=texts(en_GB="New value", de_DE="New value")
                )
            ]
        )
    ),
    "attributes_persist.1_create_by_node_id.request": lambda: pim_xml.build_attributes_persist(
        [_attr("gender", True, node_id=23456, domain=GENDER)]
    ),
    "attributes_persist.2_create_by_node_path.request": lambda: pim_xml.build_attributes_persist(
        [_attr("product_id", False, node_path="/RootNode/someNode")]
    ),
    "attributes_persist.3_update_by_id.request": lambda: pim_xml.build_attributes_persist(
        [_attr("product_id", False, id=95547)]
    ),
    "attributes_persist.4_update_by_node_path_and_key.request": lambda: (
        pim_xml.build_attributes_persist(
            [_attr("product_id", False, node_path="/RootNode/someNode")]
        )
    ),
    "attributes_persist.5_update_by_node_id_and_key.request": lambda: (
        pim_xml.build_attributes_persist([_attr("product_id", False, node_id=65425)])
    ),
    "attributes_perform.1_delete_by_id.request": lambda: pim_xml.build_actions(
        [Action.delete(PimDataType.ATTRIBUTE, id=98756)],
        meta=_req_meta("2022-06-04T10:10:16.774Z"),
    ),
    "nodes_persist.create_by_parent_id.request": lambda: pim_xml.build_nodes_persist(
        [ClassificationNode(parent_id=123, tid="Accessories", name=ACCESSORIES)]
    ),
    "nodes_persist.create_by_parent_path.request": lambda: pim_xml.build_nodes_persist(
        [
            ClassificationNode(
                parent_path="/Standard/Bekleidung", tid="Accessories", name=ACCESSORIES
            )
        ]
    ),
    "nodes_persist.create_root.request": lambda: pim_xml.build_nodes_persist(
        [
            ClassificationNode(
                classification_tid="Standart",
                tid="Standart",
                name=texts(en_EN="Standart EN", de_DE="Standart DE"),
            )
        ]
    ),
    "nodes_persist.update_by_path.request": lambda: pim_xml.build_nodes_persist(
        [ClassificationNode(path="/Standard", tid="Standard", name=STANDARD_1)]
    ),
    "nodes_persist.update_by_id.request": lambda: pim_xml.build_nodes_persist(
        [ClassificationNode(id=654332, tid="Standard", name=STANDARD_1)]
    ),
    "nodes_perform.delete_by_id.request": lambda: pim_xml.build_actions(
        [Action.delete(PimDataType.CLASS_NODE, id=759365)]
    ),
    "nodes_perform.delete_by_path.request": lambda: pim_xml.build_actions(
        [Action.delete(PimDataType.CLASS_NODE, path="/Root/Node1/Node1.1/")]
    ),
    "products_persist.1_create_product_without_tid.request": lambda: pim_xml.build_products_persist(
        [Product(name=plain("Product1"), node="/RootNode/Node")]
    ),
    "products_persist.1_create_product_with_tid.request": lambda: pim_xml.build_products_persist(
        [Product(tid=P_TID, name=plain("Product1"), node="/RootNode/Node")]
    ),
    "products_persist.2_create_article_without_tid.request": lambda: pim_xml.build_products_persist(
        [Product(tid=P_TID, articles=(Article(name=plain("Article1")),))]
    ),
    "products_persist.2_create_article_with_tid.request": lambda: pim_xml.build_products_persist(
        [Product(tid=P_TID, articles=(Article(tid=A_TID, name=plain("Article1")),))]
    ),
    "products_persist.3_create_variant_without_tid.request": lambda: pim_xml.build_products_persist(
        _in_article(Variant(name=plain("Variant1")), A_TID)
    ),
    "products_persist.3_create_variant_with_tid.request": lambda: pim_xml.build_products_persist(
        _in_article(Variant(tid=P_TID, name=plain("Variant1")), A_TID)
    ),
    "products_persist.4_rename_product_by_id.request": lambda: pim_xml.build_products_persist(
        [Product(meta=ItemMeta(id=26594), name=plain("Product2"))]
    ),
    "products_persist.4_rename_product_by_tid.request": lambda: pim_xml.build_products_persist(
        [Product(tid=P_TID, name=plain("Product2"))]
    ),
    "products_persist.5_rename_article_by_id.request": lambda: pim_xml.build_products_persist(
        [Product(tid=P_TID, articles=(Article(meta=ItemMeta(id=21655), name=plain("Article2")),))]
    ),
    "products_persist.5_rename_article_by_tid.request": lambda: pim_xml.build_products_persist(
        [Product(tid=P_TID, articles=(Article(tid=P_TID, name=plain("Article2")),))]
    ),
    "products_persist.6_rename_variant_by_id.request": lambda: pim_xml.build_products_persist(
        _in_article(Variant(meta=ItemMeta(id=20444), name=plain("Variant2")))
    ),
    "products_persist.6_rename_variant_by_tid.request": lambda: pim_xml.build_products_persist(
        _in_article(Variant(tid=A_TID, name=plain("Variant2")))
    ),
    "products_persist.7_save_values_and_name.request": lambda: pim_xml.build_products_persist(
        [
            Product(
                tid=P_TID,
                name=plain("Product2"),
                values=(
                    AttributeValue("STRING_SIMPLE", (ValueEntry("string"),)),
                    AttributeValue("NUMBER_SIMPLE", (ValueEntry("6395629"),)),
                    AttributeValue(
                        "ENUMERATION_L",
                        (ValueEntry("Brown", "en_EN", 0), ValueEntry("Yellow", "en_EN", 1)),
                        type="multi_loc",
                    ),
                ),
            )
        ]
    ),
    "products_perform.delete_by_tid.request": lambda: pim_xml.build_actions(
        [Action.delete(PimDataType.PRODUCT, tid="37590039-3AEA-4A13-9C3A-C6EC3C94ADCE")]
    ),
    "products_perform.delete_by_id.request": lambda: pim_xml.build_actions(
        [Action.delete(PimDataType.PRODUCT, id=552200)]
    ),
    "products_perform.copy_by_tid.request": lambda: pim_xml.build_actions(
        [Action.copy_product(tid="37590039-3aea-4a13-9c3a-c6ec3c94adce", **COPY_META)]
    ),
    "products_perform.copy_by_id.request": lambda: pim_xml.build_actions(
        [Action.copy_product(id=123123, **COPY_META)]
    ),
    "products_links_perform.1_unlink_by_tid.request": lambda: pim_xml.build_actions(
        [Action.unlink(ProductLink(("product_tid",), target_product_tids=("targetProduct_tid",)))],
        meta=_req_meta(None),
    ),
    "products_links_perform.2_unlink_by_id.request": lambda: pim_xml.build_actions(
        [Action.unlink(ProductLink(product_ids=(985547,), target_product_ids=(554785,)))],
        meta=_req_meta(None),
    ),
    "products_links_persist.1_single_to_single_by_tids.request": lambda: (
        pim_xml.build_links_persist([ProductLink((A_TID,), target_product_tids=(P_TID,))])
    ),
    "products_links_persist.2_single_to_single_by_ids.request": lambda: pim_xml.build_links_persist(
        [ProductLink(product_ids=(54321,), target_product_ids=(12345,))]
    ),
    "products_links_persist.3_several_to_single_by_tids.request": lambda: (
        pim_xml.build_links_persist(
            [
                ProductLink(
                    (P_TID, "ab96e6b1-d874-4cea-9ab9-141fcf6804bc"), target_product_tids=(A_TID,)
                )
            ]
        )
    ),
    "products_links_persist.4_single_to_several_by_tids.request": lambda: (
        pim_xml.build_links_persist(
            [
                ProductLink(
                    (P_TID,), target_product_tids=("ab96e6b1-d874-4cea-9ab9-141fcf6804bc", A_TID)
                )
            ]
        )
    ),
    "products_links_persist.5_several_to_several_by_tids.request": lambda: (
        pim_xml.build_links_persist(
            [
                ProductLink(
                    (P_TID, "28e09c5f-9f23-4274-8bb5-4e0924d52076"),
                    target_product_tids=("ab96e6b1-d874-4cea-9ab9-141fcf6804bc", A_TID),
                )
            ]
        )
    ),
}


def test_every_request_sample_has_a_build_case() -> None:
    assert sorted(BUILDS) == names("request")


@pytest.mark.parametrize("name", names("request"))
def test_builder_writes_the_request_sample(name: str) -> None:
    assert_same(BUILDS[name](), sample(name))


@pytest.mark.parametrize("name", names("request"))
def test_request_sample_reads_back_into_what_built_it(name: str) -> None:
    """The codec reads what it writes: the sample, parsed and rebuilt, is the same tree."""
    doc = pim_xml.parse_document(sample(name))
    assert doc.schema_version == "5.6.0"
    rebuilt = pim_xml.parse_document(BUILDS[name]())
    # Actions are requests only: they are not read back.
    assert rebuilt.products == doc.products
    assert rebuilt.attributes == doc.attributes
    assert rebuilt.attribute_definitions == doc.attribute_definitions
    assert rebuilt.links == doc.links
    assert rebuilt.nodes == doc.nodes


def test_built_body_is_utf8_xml_in_the_pim_namespace() -> None:
    body = pim_xml.build_products_persist([Product(tid="Ü", name=plain("Gürtel"))])
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = parse_xml(body)
    assert root.tag == _q("pim")
    assert root.get("schemaVersion") == "5.6.0"
    assert root.nsmap == {None: NS}
    assert "Gürtel".encode() in body


def test_text_is_escaped_never_formatted_into_markup() -> None:
    hostile = '</name><injected a="1"/>&amp;'
    body = pim_xml.build_products_persist([Product(tid="t", name=plain(hostile))])
    assert b"<injected" not in body
    assert pim_xml.parse_products(body)[0].name == plain(hostile)
