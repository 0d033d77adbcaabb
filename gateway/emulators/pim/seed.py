"""Demo data: the document's own examples, with their ids, plus generated products.

The sample objects keep the ids and tids the document shows, so its sample requests answer as
its sample responses do (``Standard`` is 15360, its root node 15270, the demo product 598800).
Generated product ``i`` has tid ``demo_tid(i)`` and a ``gtin`` value ``demo_gtin(i)``, which is
what the CitrusAd emulator's catalog is keyed by.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import etree

from gateway.emulators.demo import DEMO_PRODUCT_COUNT, demo_gtin, demo_tid
from gateway.emulators.pim.store import (
    AttrDef,
    Attribute,
    Classification,
    Entry,
    Item,
    Node,
    Store,
    Value,
)
from gateway.emulators.pim.xml import q, sub

__all__ = ["DEMO_PRODUCT_TID", "GENERATED_NODES", "seed"]

DEMO_PRODUCT_TID = "78fc9abb-2223-40dc-ac3e-26d42102d050"
GENERATED_NODES = (
    "/Standard/Bekleidung/Damen",
    "/Standard/Bekleidung/Herren/Oberteile",
    "/Standard/Bekleidung/Herren/Unterteile/Jeans",
    "/Standard/Test",
)
_SAMPLE_TIME = datetime(2023, 1, 2, 9, 30, tzinfo=UTC)
_GENERATED_TIME = datetime(2024, 1, 1, tzinfo=UTC)

# (tid, type, id, names, multiValued): definitions the samples use; None ids are assigned.
_DEFINITIONS: list[tuple[str, str, int | None, dict[str, str], bool]] = [
    ("product_id", "text", 15210, {"en_EN": "SKU product", "de_DE": "SKU Produkt"}, False),
    ("product_title", "text", 15211, {"en_EN": "Title", "de_DE": "Titel"}, False),
    ("care_note", "text", 15219, {"en_EN": "Care note", "de_DE": "Pflegehinweis"}, True),
    ("new2", "text", 44792, {}, False),
    ("new1", "text", 46189, {}, False),
    ("gtin", "text", None, {"en_GB": "GTIN", "de_DE": "GTIN"}, False),
    ("material", "text", None, {"en_GB": "Material", "de_DE": "Material"}, False),
    ("gender", "text", None, {"en_EN": "Gender", "de_DE": "Geschlecht"}, False),
    ("description_long", "text", None, {}, False),
    ("color", "text", None, {}, False),
    ("currency", "text", None, {}, False),
    ("PRODUCT_REF", "ref", None, {}, True),
    ("REFERENCE_TABLE", "ref", None, {}, True),
    ("TABLE", "table", None, {}, True),
    ("STRING", "text", None, {}, False),
    ("STRING_SIMPLE", "text", None, {}, False),
    ("STRING_DOMAIN", "text", None, {}, False),
    ("STRING_LISTED_LOC", "text", None, {}, True),
    ("STRING_LISTED_DOMAIN", "text", None, {}, True),
    ("STRING_LISTABLE_DOMAIN_TABLE", "text", None, {}, True),
    ("ENUMERATION_L", "text", None, {}, True),
    ("NUMBER", "number", None, {}, False),
    ("NUMBER_2", "number", None, {}, False),
    ("NUMBER_SIMPLE", "number", None, {}, False),
    ("NUBMER_LISTED", "number", None, {}, True),
    ("REAL_LISTED_2", "number", None, {}, True),
    ("NUMBER_LISTABLE_TABLE", "number", None, {}, True),
    ("DATE", "date", None, {}, False),
    ("DATE_2", "date", None, {}, False),
    ("DATE_LISTED", "date", None, {}, True),
    ("DATE_LISTED_2", "date", None, {}, True),
    ("BOOLEAN", "boolean", None, {}, False),
    ("BOOLEAN_LISTED", "boolean", None, {}, True),
]


def domain_vals(
    values: list[tuple[str, dict[str, str]]], *, mode: str | None = "FULL"
) -> etree._Element:
    element = etree.Element(q("domainVals"))
    element.set("allowNewValue", "false")
    if mode:
        element.set("mode", mode)
    element.set("sortDirection", "MANUAL")
    for tid, texts in values:
        value = sub(element, "domainVal", {"tid": tid})
        for loc, text in texts.items():
            sub(value, "itm", {"loc": loc}, text)
    return element


def seed(store: Store) -> None:
    _definitions(store)
    _classifications(store)
    _sample_products(store)
    _generated_products(store)


def _definitions(store: Store) -> None:
    for tid, kind, wanted, names, multi in _DEFINITIONS:
        definition = AttrDef(store.claim_id(wanted), tid, kind, dict(names), multi)
        store.attr_defs[definition.id] = definition
    care = store.attr_def(tid="care_note")
    assert care is not None
    care.domain_vals = domain_vals(
        [
            (
                "Chlorine bleaching possible",
                {"en_EN": "Chlorine bleaching possible", "de_DE": "Chlorbleiche möglich"},
            ),
            ("Hand wash only", {"en_EN": "Hand wash only", "de_DE": "Nur Handwäsche"}),
            (
                "Do not tumble dry",
                {"en_EN": "Do not tumble dry", "de_DE": "Nicht im Trockner trocknen"},
            ),
        ]
    )
    material = store.attr_def(tid="material")
    assert material is not None
    material.domain_vals = domain_vals(
        [
            ("cotton", {"en_GB": "Cotton", "de_DE": "Baumwolle"}),
            ("wool", {"en_GB": "Wool", "de_DE": "Wolle"}),
        ]
    )


def _node(store: Store, path: str, wanted: int | None = None) -> Node:
    parts = [p for p in path.split("/") if p]
    parent = store.node_by_path("/" + "/".join(parts[:-1])) if len(parts) > 1 else None
    return store.add_node(parts[-1], parts[0], parent, id=wanted)


def _classifications(store: Store) -> None:
    for tid, wanted in (("Standart", 1), ("Standard", 15360), ("RootNode", None)):
        cls = Classification(store.claim_id(wanted), tid)
        store.classifications[cls.id] = cls
    standard = _node(store, "/Standard", 15270)
    _node(store, "/Standard/Bekleidung", 15271)
    _node(store, "/Standard/Test", 114740)
    _node(store, "/Standard/Demo")
    for path in ("/Standard/Bekleidung/Damen", "/Standard/Bekleidung/Herren"):
        _node(store, path)
    for path in ("/Standard/Bekleidung/Herren/Oberteile", "/Standard/Bekleidung/Herren/Unterteile"):
        _node(store, path)
    _node(store, "/Standard/Bekleidung/Herren/Unterteile/Jeans")
    gender = Attribute(store.next_id(), standard.id, "gender", localized="true")
    gender.domain_vals = domain_vals(
        [("female", {"en_EN": "female", "de_DE": "weiblich"})], mode=None
    )
    root = _node(store, "/RootNode")
    child = _node(store, "/RootNode/ChildNode", 34812)
    _node(store, "/RootNode/someNode")
    _node(store, "/RootNode/Node")
    new2 = Attribute(44793, root.id, "new2", inheritance="not_visible")
    new1 = Attribute(46190, child.id, "new1", inheritance="not_visible")
    new1.domain_vals = domain_vals([("domain1", {"en_GB": "domain1-en", "de_DE": "domain1-de"})])
    new1.default_val = etree.Element(q("defaultVal"), tid="domain1")
    for attr in (gender, new2, new1):
        store.attributes[attr.id] = attr


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _item(
    store: Store,
    kind: str,
    tid: str,
    name: str,
    wanted: int | None,
    parent: Item | None = None,
    **extra: object,
) -> Item:
    when = _SAMPLE_TIME
    item = Item(kind, store.claim_id(wanted), tid, name, when, when, when, **extra)  # type: ignore[arg-type]
    return store.add_item(item, parent)


def _val(attr: str, data_type: str, kind: str, entries: list[Entry], **extra: str) -> Value:
    return Value(attr, data_type, kind, entries=entries, **extra)


def _loc_list(*groups: tuple[str, list[str]]) -> list[Entry]:
    return [
        Entry(text, loc=loc, pos=str(pos))
        for loc, texts in groups
        for pos, text in enumerate(texts)
    ]


def _demo_product(store: Store) -> None:
    """The products/retrieve sample, value for value."""
    demo = {"inheritance": "false", "node": "/Standard/Demo"}
    product = _item(store, "product", DEMO_PRODUCT_TID, "Product", 598800, node="/Standard/Demo")
    product.created = product.modified = _at("2022-12-27T06:24:56.610Z")
    product.value_modified = _at("2022-12-28T16:24:54.488Z")
    product.asset_links.append(
        ("REFERENCE_TABLE", "BBF33C7E-E412-4C9E-B313-735C8C681D71", "/100192517000_97f.jpg")
    )
    values = [
        _val(
            "STRING_LISTED_LOC",
            "text",
            "multi_loc",
            _loc_list(("en_EN", ["en"]), ("de_DE", ["text"])),
            **demo,
        ),
        _val(
            "BOOLEAN_LISTED",
            "boolean",
            "multi_loc",
            _loc_list(("en_EN", ["true", "false"]), ("de_DE", ["true", "false"])),
            **demo,
        ),
        _val(
            "DATE_LISTED",
            "date",
            "multi_loc",
            _loc_list(
                ("en_EN", ["2022-12-15T14:55:00.000Z", "2022-12-04T14:55:00.000Z"]),
                ("de_DE", ["2022-12-22T14:55:00.000Z", "2022-12-31T14:55:00.000Z"]),
            ),
            **demo,
        ),
        _val(
            "DATE_LISTED_2",
            "date",
            "multiple",
            [
                Entry("2022-12-14T06:26:00.000Z", pos="0"),
                Entry("2022-12-16T06:26:00.000Z", pos="1"),
            ],
            **demo,
        ),
        _val("BOOLEAN", "boolean", "localized", [Entry("true", loc="en_EN")], **demo),
        _val(
            "REAL_LISTED_2",
            "number",
            "multiple",
            [Entry("3", pos="0"), Entry("1", pos="1")],
            **demo,
        ),
        _val(
            "NUBMER_LISTED",
            "number",
            "multi_loc",
            _loc_list(("en_EN", ["1", "2"]), ("de_DE", ["3", "4"])),
            **demo,
        ),
        _val(
            "STRING_LISTED_DOMAIN",
            "text",
            "multi_loc_domain",
            [
                Entry("Value 1 EN", loc="en_EN", pos="0", key="Value 1"),
                Entry("", loc="fr_FR", pos="0", key="Value 2"),
            ],
            **demo,
        ),
        _val(
            "STRING_DOMAIN",
            "text",
            "loc_domain",
            [
                Entry("", loc="en_EN", key="Domain value 1"),
                Entry("", loc="de_DE", key="Domain value 2"),
            ],
            **demo,
        ),
        _val(
            "STRING",
            "text",
            "localized",
            [Entry("3343", loc="en_EN"), Entry("French", loc="fr_FR")],
            **demo,
        ),
        _val(
            "NUMBER_LISTABLE_TABLE",
            "number",
            "multi_loc",
            _loc_list(("en_EN", ["54", "45"])),
            parent="TABLE",
            **demo,
        ),
        _val(
            "STRING_LISTABLE_DOMAIN_TABLE",
            "text",
            "multi_loc",
            _loc_list(("en_EN", ["1", "2"])),
            parent="TABLE",
            **demo,
        ),
        _val("DATE", "date", "localized", [Entry("2022-12-20T11:06:18.000Z", loc="en_EN")], **demo),
        _val(
            "DATE_2",
            "date",
            "localized",
            [
                Entry("2022-12-20T06:26:00.000Z", loc="en_EN"),
                Entry("2022-12-19T06:26:00.000Z", loc="de_DE"),
            ],
            **demo,
        ),
        _val("NUMBER", "number", "localized", [Entry("5.432", loc="en_EN")], **demo),
        _val(
            "NUMBER_2",
            "number",
            "localized",
            [Entry("1", loc="en_EN"), Entry("3", loc="de_DE")],
            **demo,
        ),
    ]
    product.vals = {v.attr: v for v in values}
    article = _item(
        store, "article", "e9e74b50-0a64-4bf5-995e-41940cac29ea", "Article", 599790, product
    )
    article.created = article.modified = _at("2022-12-28T16:25:10.451Z")
    article.value_modified = _at("2022-12-28T16:25:38.389Z")
    article.vals["color"] = _val(
        "color", "text", "localized", [Entry("Black", loc="en_EN")], node="/Standard"
    )
    variant = _item(
        store, "variant", "ab96e6b1-d874-4cea-9ab9-141fcf6804bc", "Variation", 599791, article
    )
    variant.created = variant.modified = _at("2022-12-28T16:25:15.553Z")
    variant.value_modified = _at("2022-12-28T16:25:46.481Z")
    variant.vals["currency"] = _val(
        "currency", "text", "loc_domain", [Entry("EUR", loc="en_EN", key="EUR")], node="/Standard"
    )


def _sample_products(store: Store) -> None:
    """Products the document's persist, perform and link samples name."""
    _demo_product(store)
    _item(
        store,
        "product",
        "ec98dde6-4064-465d-a1fb-237e2f10a336",
        "Attributes sample",
        44812,
        node="/RootNode/ChildNode",
    )
    product = _item(
        store,
        "product",
        "73c7992f-5f66-4d99-9ca7-9efa3f1b8281",
        "Product1",
        26594,
        node="/Standard/Test",
    )
    _item(store, "article", "e8712bfd-6701-4833-9197-b259ea42dd84", "Article0", 21655, product)
    article = _item(
        store, "article", "73c7992f-5f66-4d99-9ca7-9efa3f1b8281", "Article3", None, product
    )
    _item(store, "variant", "e8712bfd-6701-4833-9197-b259ea42dd84", "Variant1", 20444, article)
    for tid, name, wanted in (
        ("e8712bfd-6701-4833-9197-b259ea42dd84", "Link sample A", 54321),
        ("ab96e6b1-d874-4cea-9ab9-141fcf6804bc", "Link sample B", 12345),
        ("28e09c5f-9f23-4274-8bb5-4e0924d52076", "Link sample C", None),
        ("37590039-3AEA-4A13-9C3A-C6EC3C94ADCE", "Delete sample", 552200),
        ("37590039-3aea-4a13-9c3a-c6ec3c94adce", "Copy sample", 123123),
    ):
        _item(store, "product", tid, name, wanted, node="/Standard/Test")


def _generated_products(store: Store) -> None:
    for i in range(1, DEMO_PRODUCT_COUNT + 1):
        node = GENERATED_NODES[i % len(GENERATED_NODES)]
        when = _GENERATED_TIME + timedelta(hours=i)
        product = Item(
            "product",
            store.next_id(),
            demo_tid(i),
            f"Demo product {i:03d}",
            when,
            when,
            when,
            node=node,
        )
        store.add_item(product)
        product.vals["gtin"] = Value(
            "gtin", "text", "simple", node=node, entries=[Entry(demo_gtin(i))]
        )
        product.vals["product_title"] = Value(
            "product_title",
            "text",
            "localized",
            node=node,
            entries=[
                Entry(f"Demo product {i}", loc="en_GB"),
                Entry(f"Demoprodukt {i}", loc="de_DE"),
            ],
        )
        product.vals["material"] = Value(
            "material",
            "text",
            "domain",
            node=node,
            entries=[Entry("", key="cotton" if i % 2 else "wool")],
        )
        if i % 3 == 0:
            product.vals["care_note"] = Value(
                "care_note",
                "text",
                "multi_domain",
                node=node,
                entries=[
                    Entry("", pos="0", key="Hand wash only"),
                    Entry("", pos="1", key="Do not tumble dry"),
                ],
            )
        if i % 2 == 0:
            article = Item(
                "article",
                store.next_id(),
                f"{demo_tid(i)}-A1",
                f"Article {i:03d}",
                when,
                when,
                when,
            )
            store.add_item(article, product)
            article.vals["color"] = Value(
                "color",
                "text",
                "localized",
                node=node,
                entries=[Entry("Black" if i % 4 else "Blue", loc="en_GB")],
            )
            if i % 4 == 0:
                variant = Item(
                    "variant",
                    store.next_id(),
                    f"{demo_tid(i)}-A1-V1",
                    f"Variant {i:03d}",
                    when,
                    when,
                    when,
                )
                store.add_item(variant, article)
