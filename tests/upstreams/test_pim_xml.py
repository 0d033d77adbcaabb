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
    assert rebuilt.classifications == doc.classifications


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


# --- answers: every response sample reads into records with nothing lost -----------------

ISSUES = [
    n
    for n in names("response")
    if sample(n).lstrip().startswith(b"<?xml") and b"<response xmlns" in sample(n)[:120]
]
WRITE_ANSWERS = [n for n in names("response") if b"<responses>" in sample(n)]
READ_ANSWERS = [n for n in names("response") if n not in ISSUES and n not in WRITE_ANSWERS]


def test_every_answer_sample_is_covered() -> None:
    assert len(names("response")) == len(ISSUES) + len(WRITE_ANSWERS) + len(READ_ANSWERS)
    assert (len(ISSUES), len(READ_ANSWERS), len(WRITE_ANSWERS)) == (4, 18, 78)


def _dump_responses(name: str) -> etree._Element:
    """The records of a write answer written back as XML, to compare with the sample."""
    doc = pim_xml.parse_document(sample(name))
    root = etree.Element(_q("pim"), nsmap={None: NS}, schemaVersion=doc.schema_version or "")
    meta = etree.SubElement(root, _q("meta"))
    for key, value in doc.meta.items():
        etree.SubElement(meta, _q("itm"), key=key).text = value
    section = etree.SubElement(root, _q("responses"))
    for r in doc.responses:
        attrs = {"dataType": r.data_type, "action": r.action, **r.ids}
        el = etree.SubElement(section, _q("response"), {k: v for k, v in attrs.items() if v})
        etree.SubElement(el, _q("status")).text = r.status.value
        if r.description is not None:
            etree.SubElement(el, _q("description")).text = r.description
        if r.details or r.links:
            details = etree.SubElement(el, _q("details"))
            for key, value in r.details.items():
                etree.SubElement(details, _q("itm"), key=key).text = value
            # The link details have the shape of a links persist body: reuse its writer.
            links = parse_xml(pim_xml.build_links_persist(r.links)) if r.links else None
            details.extend([] if links is None else list(links[0][0]))
    return root


@pytest.mark.parametrize("name", WRITE_ANSWERS)
def test_write_answer_reads_without_loss(name: str) -> None:
    responses = pim_xml.parse_responses(sample(name))
    assert responses and all(isinstance(r.status, WriteStatus) for r in responses)
    assert_xml_equal(_canonical(_dump_responses(name)), _canonical(sample(name)))


@pytest.mark.parametrize(
    ("name", "status", "data_type", "action", "ids"),
    [
        (
            "classes_persist.1_create_without_nodes.response",
            WriteStatus.SUCCESS,
            "classification",
            "create",
            {"tid": "NewClassification"},
        ),
        (
            "classes_persist.error_language_code_not_found.response",
            WriteStatus.WARNING,
            "classification",
            "create",
            {},
        ),
        (
            "classes_perform.2_delete_by_id.response",
            WriteStatus.SUCCESS,
            "classification",
            "delete",
            {"id": "24101"},
        ),
        (
            "attributes_persist.1_create_by_node_id.response",
            WriteStatus.SUCCESS,
            "attribute",
            "create",
            {"id": "95547", "nodeId": "23456"},
        ),
        (
            "attributes_persist.4_update_by_node_path_and_key.response",
            WriteStatus.SUCCESS,
            "attribute",
            "update",
            {"nodePath": "/RootNode/someNode", "key": "product_id"},
        ),
        (
            "nodes_persist.create.response",
            WriteStatus.SUCCESS,
            "classNode",
            "create",
            {"id": "110140", "path": "/Standard/Bekleidung/Accessories", "tid": "Accessories"},
        ),
        ("nodes_perform.error_restricted.response", WriteStatus.ERROR, "classNode", None, {}),
        (
            "products_persist.3_create_variant.response",
            WriteStatus.SUCCESS,
            "variant",
            "create",
            {"tid": P_TID},
        ),
        (
            "products_links_perform.error_restricted.response",
            WriteStatus.ERROR,
            "productToProductLink",
            None,
            {},
        ),
    ],
)
def test_write_answer_fields(
    name: str, status: WriteStatus, data_type: str, action: str | None, ids: dict[str, str]
) -> None:
    (response,) = pim_xml.parse_responses(sample(name))
    assert (response.status, response.data_type, response.action) == (status, data_type, action)
    assert response.ids == ids
    assert response.description


def test_copy_answer_carries_the_new_product_id() -> None:
    (response,) = pim_xml.parse_responses(sample("products_perform.copy.response"))
    assert response.details == {"productId": "77833"}
    assert response.description == "The product has been copied successfully"
    outcome = response.to_outcome()
    assert outcome.ok and outcome.action == "copy"
    assert outcome.ids == {"tid": "37590039-3aea-4a13-9c3a-c6ec3c94adce", "productId": "77833"}


def test_warning_keeps_the_whole_description() -> None:
    (response,) = pim_xml.parse_responses(
        sample("classes_persist.error_localization_already_exists.response")
    )
    assert response.to_outcome().ok
    assert response.description == (
        "The classification has been saved successfully|Unable to create new classification."
        " Classification with name NewClassification-en already exist."
    )


def test_link_answer_details_are_the_links_made() -> None:
    (response,) = pim_xml.parse_responses(
        sample("products_links_persist.3_several_to_single_by_tids.response")
    )
    assert response.links == (
        ProductLink(
            product_tids=(P_TID, "ab96e6b1-d874-4cea-9ab9-141fcf6804bc"),
            target_product_tids=(A_TID,),
        ),
    )
    (by_ids,) = pim_xml.parse_responses(
        sample("products_links_persist.2_single_to_single_by_ids.response")
    )
    assert by_ids.links == (ProductLink(product_ids=(54321,), target_product_ids=(12345,)),)


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        (
            "nodes_retrieve.error_no_criteria.response",
            "1001",
            "Path or ids array or classificationId should be provided to get nodes",
        ),
        ("nodes_retrieve.error_level_zero.response", "1001", "The level should not be 0"),
        (
            "nodes_persist.error_forbidden.response",
            "1010",
            "Nodes persist API is restricted for users",
        ),
        (
            "products_persist.error_forbidden.response",
            "1010",
            "Products persist is restricted for users",
        ),
    ],
)
def test_issue_answer_reads_without_loss(name: str, code: str, message: str) -> None:
    issue = pim_xml.parse_issue(sample(name))
    assert issue.code == code
    assert issue.details == {"errorMessage": message}
    assert issue.status is WriteStatus.ERROR
    assert issue.support_id and len(issue.support_id) == 36
    assert issue.description and issue.message == f"{issue.description}; {message}"
    expected = (
        f'<response xmlns="{NS}"><details><itm key="supportId">{issue.support_id}</itm></details>'
        f'<issues><itm key="code">{code}</itm><itm key="description">{issue.description}</itm>'
        f'<itms type="details"><itm key="errorMessage">{message}</itm></itms></issues>'
        "<status>ERROR</status></response>"
    )
    assert_xml_equal(sample(name), expected)


# Answers that have the shape of a write body: read, write back with the builder, compare.
REBUILD: dict[str, Callable[[bytes], bytes]] = {
    "classes": lambda b: pim_xml.build_classes_persist(
        pim_xml.parse_classifications(b), meta=pim_xml.parse_document(b).meta
    ),
    "attribute_definitions": lambda b: pim_xml.build_attribute_definitions_persist(
        pim_xml.parse_attribute_definitions(b), meta=pim_xml.parse_document(b).meta
    ),
    "attributes": lambda b: pim_xml.build_attributes_persist(
        pim_xml.parse_attributes(b), meta=pim_xml.parse_document(b).meta
    ),
    "nodes": lambda b: pim_xml.build_nodes_persist(
        pim_xml.parse_nodes(b), meta=pim_xml.parse_document(b).meta
    ),
    "products": lambda b: pim_xml.build_products_persist(
        pim_xml.parse_products(b), meta=pim_xml.parse_document(b).meta
    ),
}
TREE_ANSWER = "classes_retrieve.4_with_nodes_tree.response"


@pytest.mark.parametrize("name", [n for n in READ_ANSWERS if n != TREE_ANSWER])
def test_read_answer_writes_back_the_same_tree(name: str) -> None:
    kind = name.split(".")[0].rsplit("_", 1)[0]
    assert_same(REBUILD[kind](sample(name)), sample(name))


def test_tree_answer_reads_as_the_flat_one() -> None:
    tree = pim_xml.parse_classifications(sample(TREE_ANSWER))
    flat = pim_xml.parse_classifications(sample("classes_retrieve.3_with_nodes_flat.response"))
    assert tree == flat
    (standard,) = tree
    root, clothes = standard.nodes
    assert (root.id, root.path, root.children, root.level) == (15370, "/Standard", (15371,), 0)
    assert (clothes.parent_id, clothes.parent_path, clothes.level) == (15370, "/Standard", 1)
    (gender,) = root.attributes
    assert (gender.key, gender.level, gender.localized, gender.inheritance) == (
        "gender",
        "p",
        True,
        "visible",
    )
    assert gender.domain == DomainValues(
        (DomainValue("female", texts(en_EN="female", de_DE="weiblich")),),
        allow_new_value=False,
        sort_direction="MANUAL",
    )


def test_classification_answer_fields() -> None:
    doc = pim_xml.parse_document(sample("classes_retrieve.1_by_tids.response"))
    assert [c.tid for c in doc.classifications] == ["Standard", "Standart"]
    assert doc.classifications[0].name == LocalizedText()
    assert doc.meta == {
        "messageType": "request",
        "messageTime": "2022-12-21T08:44:09.377Z",
        "sourceEnv": "web",
        "itemInformationType": "classification",
    }


def test_attribute_definition_answer_fields() -> None:
    product_id, care_note = pim_xml.parse_attribute_definitions(
        sample("attribute_definitions_retrieve.3_all.response")
    )
    assert (product_id.id, product_id.tid, product_id.type) == (15210, "product_id", "text")
    assert product_id.name == texts(en_EN="SKU product", de_DE="SKU Produkt")
    assert care_note.multi_valued is True
    assert care_note.domain is not None and care_note.domain.mode == "FULL"
    assert care_note.domain.values[0].names.get("de_DE") == "Chlorbleiche möglich"


def test_attribute_answer_fields() -> None:
    new2, new1 = pim_xml.parse_attributes(
        sample("attributes_retrieve.2_by_product_tids_with_domain_and_default_values.response")
    )
    assert (new2.id, new2.key, new2.inheritance, new2.localized) == (
        44793,
        "new2",
        "not_visible",
        False,
    )
    assert new2.domain is None and new2.default_values == ()
    assert [d.tid for d in new1.default_values] == ["domain1"]
    assert new1.domain is not None and new1.domain.values[0].names.texts == {
        "en_GB": "domain1-en",
        "de_DE": "domain1-dee",
    }


def test_node_answer_fields() -> None:
    (root,) = pim_xml.parse_nodes(sample("nodes_retrieve.root_by_classification.response"))
    assert (root.id, root.path, root.tid, root.level, root.name) == (
        15270,
        "/",
        "Standard",
        0,
        LocalizedText(),
    )
    clothes, test = pim_xml.parse_nodes(sample("nodes_retrieve.children_by_path.response"))
    assert (clothes.id, clothes.parent_id, clothes.tid, clothes.level) == (
        15271,
        15270,
        "Bekleidung",
        1,
    )
    assert test.path == "/Standard/Test"


def _at(year: int, month: int, day: int, h: int, m: int, s: int, ms: int) -> datetime:
    return datetime(year, month, day, h, m, s, ms * 1000, tzinfo=UTC)


def test_product_tree_answer_fields() -> None:
    (product,) = pim_xml.parse_products(sample("products_retrieve.get_product.response"))
    assert (product.tid, product.pim_id, product.status) == (
        "78fc9abb-2223-40dc-ac3e-26d42102d050",
        598800,
        "READY",
    )
    assert product.name == plain("Product") and product.node == "/Standard/Demo"
    assert product.creation_date == _at(2022, 12, 27, 6, 24, 56, 610)
    assert product.value_modification_date == _at(2022, 12, 28, 16, 24, 54, 488)
    (article,) = product.children
    assert (article.pim_id, article.name, article.values[0].entries) == (
        599790,
        plain("Article"),
        (ValueEntry("Black", locale="en_EN"),),
    )
    (variant,) = article.variants
    assert variant.pim_id == 599791 and variant.modification_date == _at(
        2022, 12, 28, 16, 25, 15, 553
    )
    assert variant.values == (
        AttributeValue(
            "currency",
            (ValueEntry("EUR", locale="en_EN", key="EUR"),),
            data_type="text",
            type="loc_domain",
            node="/Standard",
        ),
    )


def test_product_values_of_every_answered_type() -> None:
    (product,) = pim_xml.parse_products(sample("products_retrieve.get_product.response"))
    values = {v.attr: v for v in product.values}
    assert len(values) == 16
    listed_loc = values["BOOLEAN_LISTED"]
    assert (listed_loc.type, listed_loc.data_type, listed_loc.inheritance) == (
        "multi_loc",
        "boolean",
        "false",
    )
    assert [(e.locale, e.position, e.value) for e in listed_loc.entries] == [
        ("en_EN", 0, "true"),
        ("en_EN", 1, "false"),
        ("de_DE", 0, "true"),
        ("de_DE", 1, "false"),
    ]
    assert values["DATE_LISTED_2"].entries == (
        ValueEntry("2022-12-14T06:26:00.000Z", position=0),
        ValueEntry("2022-12-16T06:26:00.000Z", position=1),
    )
    assert values["STRING_LISTED_DOMAIN"].entries == (
        ValueEntry("Value 1 EN", "en_EN", 0, "Value 1"),
        ValueEntry("", "fr_FR", 0, "Value 2"),
    )
    assert values["STRING_DOMAIN"].entries[1] == ValueEntry("", "de_DE", key="Domain value 2")
    assert values["NUMBER_LISTABLE_TABLE"].parent == "TABLE"
    assert values["NUMBER"].entries == (ValueEntry("5.432", "en_EN"),)


def test_product_links_answer() -> None:
    (product,) = pim_xml.parse_products(sample("products_retrieve.get_product.response"))
    assert product.links is not None
    channels, assets, products = product.links
    assert (channels.type, channels.mode, channels.lists) == ("channels", "delta", ())
    assert products.type == "products" and products.lists == ()
    (table,) = assets.lists
    assert (table.attr, table.mode) == ("REFERENCE_TABLE", "delta")
    assert [(link.key, link.value) for link in table.links] == [
        ("BBF33C7E-E412-4C9E-B313-735C8C681D71", "/100192517000_97f.jpg")
    ]


# --- every value type and data type, written and read back -------------------------------

ALL_VALUES = (
    AttributeValue("s", (ValueEntry("plain"),), data_type="text", type="simple"),
    AttributeValue(
        "l",
        (ValueEntry("1.5", "en_EN"), ValueEntry("2,5", "de_DE")),
        data_type="number",
        type="localized",
    ),
    AttributeValue(
        "m",
        (ValueEntry("2022-12-14T06:26:00.000Z", position=0),),
        data_type="date",
        type="multiple",
    ),
    AttributeValue(
        "ml",
        (
            ValueEntry("true", "en_EN", 0),
            ValueEntry("false", "en_EN", 1),
            ValueEntry("true", "de_DE", 0),
        ),
        data_type="boolean",
        type="multi_loc",
    ),
    AttributeValue("d", (ValueEntry("Red", key="red"),), data_type="text", type="domain"),
    AttributeValue(
        "ld", (ValueEntry("Rot", "de_DE", key="red"),), data_type="text", type="loc_domain"
    ),
    AttributeValue(
        "md",
        (ValueEntry("Red", position=0, key="red"), ValueEntry("Blue", position=1, key="blue")),
        data_type="text",
        type="multi_domain",
    ),
    AttributeValue(
        "mld",
        (ValueEntry("Rot", "de_DE", 0, "red"), ValueEntry("Red", "en_EN", 0, "red")),
        data_type="text",
        type="multi_loc_domain",
    ),
    AttributeValue(
        "col", (ValueEntry("54", "en_EN", 0),), data_type="number", type="multi_loc", parent="TABLE"
    ),
    AttributeValue(
        "TABLE", data_type="table", type="simple", node="/Standard/Demo", inheritance="false"
    ),
)

ALL_VALUES_XML = f"""
<pim xmlns="{NS}" schemaVersion="5.6.0"><products><product tid="P"><vals>
  <val attr="s" dataType="text" type="simple"><itm>plain</itm></val>
  <val attr="l" dataType="number" type="localized"><itm loc="en_EN">1.5</itm><itm loc="de_DE">2,5</itm></val>
  <val attr="m" dataType="date" type="multiple"><itm pos="0">2022-12-14T06:26:00.000Z</itm></val>
  <val attr="ml" dataType="boolean" type="multi_loc">
    <i18n loc="en_EN"><itm pos="0">true</itm><itm pos="1">false</itm></i18n>
    <i18n loc="de_DE"><itm pos="0">true</itm></i18n>
  </val>
  <val attr="d" dataType="text" type="domain"><itm key="red">Red</itm></val>
  <val attr="ld" dataType="text" type="loc_domain"><itm key="red" loc="de_DE">Rot</itm></val>
  <val attr="md" dataType="text" type="multi_domain">
    <itm key="red" pos="0">Red</itm><itm key="blue" pos="1">Blue</itm>
  </val>
  <val attr="mld" dataType="text" type="multi_loc_domain">
    <i18n loc="de_DE"><itm key="red" pos="0">Rot</itm></i18n>
    <i18n loc="en_EN"><itm key="red" pos="0">Red</itm></i18n>
  </val>
  <val attr="col" dataType="number" parent="TABLE" type="multi_loc">
    <i18n loc="en_EN"><itm pos="0">54</itm></i18n>
  </val>
  <val attr="TABLE" dataType="table" inheritance="false" node="/Standard/Demo" type="simple"/>
</vals></product></products></pim>
"""


def test_every_value_type_is_written_as_documented() -> None:
    body = pim_xml.build_products_persist([Product(tid="P", values=ALL_VALUES)])
    assert_xml_equal(body, ALL_VALUES_XML)
    (product,) = pim_xml.parse_products(body)
    assert product.values == ALL_VALUES


def test_whole_product_tree_reads_back_as_written() -> None:
    meta = ItemMeta(
        id=7, creation_date=_at(2023, 1, 2, 3, 4, 5, 6), status="READY", extra={"owner": "x"}
    )
    product = Product(
        tid="P",
        name=plain("P"),
        meta=meta,
        node="/Standard",
        values=ALL_VALUES[:2],
        articles=(
            Article(
                tid="A",
                values=ALL_VALUES[2:4],
                variants=(Variant(tid="V", meta=meta, values=ALL_VALUES[4:]),),
            ),
        ),
    )
    assert pim_xml.parse_products(pim_xml.build_products_persist([product])) == (product,)
    assert (
        pim_xml.format_date(meta.creation_date or datetime.now(UTC)) == "2023-01-02T03:04:05.006Z"
    )


def test_localized_text_lookups() -> None:
    names = texts(en_EN="Care note", de_DE="Pflegehinweis")
    assert names.get("de_DE") == "Pflegehinweis" and names.get("fr_FR") is None
    assert names.first("fr_FR", "de_DE") == "Pflegehinweis"
    assert names.first() == "Care note"
    assert plain("Product").first("de_DE") == "Product"
    assert LocalizedText().first() is None


def test_blank_text_is_read_where_it_is_content_only() -> None:
    # The parser drops pretty-printing between elements; a value that is blank is kept.
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<pim xmlns="http://www.apollon.de/omn">
  <products>
    <product tid="P1">
      <name>
      </name>
      <vals>
        <val attr="a" type="simple">
          <itm> </itm>
        </val>
        <val attr="b" type="localized">
          <itm loc="de_DE">  Titel  </itm>
          <itm loc="en_GB">
</itm>
        </val>
      </vals>
      <links>
        <itms mode="delta" type="assets">
          <itm key="k"> </itm>
        </itms>
      </links>
    </product>
  </products>
</pim>"""
    (product,) = pim_xml.parse_products(body)
    assert product.name == LocalizedText({}, None)
    a, b = product.values
    assert [e.value for e in a.entries] == [" "]
    assert [(e.value, e.locale) for e in b.entries] == [("  Titel  ", "de_DE"), ("\n", "en_GB")]
    assert product.links is not None
    assert [(link.key, link.value) for link in product.links[0].links] == [("k", " ")]
