"""PIM emulator: /pim/products retrieve, query, persist and perform, against the document's samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.emulators.demo import demo_gtin, demo_tid
from gateway.emulators.pim.clock import format_time
from tests.emulators.pim_examples import (
    PimClient,
    assert_sample,
    example,
    find,
    findall,
    normalized,
    pim_fixtures,
)

DEMO = "78fc9abb-2223-40dc-ac3e-26d42102d050"
P1 = "73c7992f-5f66-4d99-9ca7-9efa3f1b8281"


pim_loopback, pim = pim_fixtures()


@pytest.mark.parametrize("body", [{"ids": [598800]}, {"tids": [DEMO]}])
def test_retrieve_demo_product_is_the_sample(pim: PimClient, body: dict[str, list[object]]) -> None:
    assert_sample(pim.post_json("/pim/products/retrieve", body), example("products_retrieve"))


def test_retrieve_many_skips_unknown(pim: PimClient) -> None:
    answer = pim.post_json("/pim/products/retrieve", {"tids": [demo_tid(4), "nope", demo_tid(1)]})
    products = findall(answer, "o:products/o:product")
    assert [p.get("tid") for p in products] == [demo_tid(4), demo_tid(1)]
    gtin = find(products[1], "o:vals/o:val[@attr='gtin']")
    assert (gtin.get("type"), gtin.get("dataType"), find(gtin, "o:itm").text) == (
        "simple",
        "text",
        demo_gtin(1),
    )
    variant = find(products[0], "o:articles/o:article/o:variants/o:variant")
    assert find(variant, "o:meta/o:itm[@key='id']").text.isdigit()


def test_retrieve_without_ids_or_tids_is_invalid_input(pim: PimClient) -> None:
    answer = pim.post_json("/pim/products/retrieve", {}, status=400)
    assert find(answer, "o:issues/o:itm[@key='code']").text == "1001"


def test_query_by_node_paths_and_dates(pim: PimClient) -> None:
    jeans = pim.query(
        "/pim/products/query", {"nodePaths": ["/Standard/Bekleidung/Herren/Unterteile/Jeans"]}
    )["tids"]
    assert jeans and all(t.startswith("DEMO-") for t in jeans)
    herren = pim.query("/pim/products/query", {"nodePaths": ["/Standard/Bekleidung/Herren"]})[
        "tids"
    ]
    assert set(jeans) < set(herren)
    early = pim.query(
        "/pim/products/query",
        {
            "modifiedFrom": "2024-01-01T00:00:00.000",
            "modifiedUntil": "2024-01-01T10:30:00.000",
            "nodePaths": [
                "/Standard/Bekleidung/Herren/Unterteile/Jeans",
                "/Standard/Bekleidung/Damen",
            ],
            "searchStrategy": "defaultSearchStrategy",
        },
    )
    assert early == {"tids": [demo_tid(i) for i in (2, 4, 6, 8, 10)]}
    everything = pim.query("/pim/products/query", {})["tids"]
    assert len(everything) > 300 and DEMO in everything


def test_query_rejects_bad_dates_and_strategies(pim: PimClient) -> None:
    for body in ({"modifiedFrom": "yesterday"}, {"searchStrategy": "magic"}):
        response = pim.http.post("/pim/products/query", json=body)
        assert response.status_code == 400


def test_persist_creates_product_article_variant(pim: PimClient) -> None:
    store = pim.store
    before = store.next_id()
    answer = pim.post_xml("/pim/products/persist", example("products_persist_create_req"))
    created = store.item("product", tid=find(answer, ".//o:response").get("tid"))
    assert created.id > before and created.node == "/RootNode/Node" and created.name == "Product1"
    expected = normalized(example("products_persist_create_resp"))
    find(expected, ".//o:response").set("tid", created.tid)
    assert_sample(answer, expected)

    answer = pim.post_xml("/pim/products/persist", example("products_persist_article_req"))
    article = store.item("product", tid=P1).children[-1]
    expected = normalized(example("products_persist_article_resp"))
    find(expected, ".//o:response").set("tid", article.tid)
    assert_sample(answer, expected)
    assert article.name == "Article1" and article.kind == "article" and article.id > created.id

    answer = pim.post_xml("/pim/products/persist", example("products_persist_variant_req"))
    variant = store.item("article", tid="e8712bfd-6701-4833-9197-b259ea42dd84").children[-1]
    expected = normalized(example("products_persist_variant_resp"))
    find(expected, ".//o:response").set("tid", variant.tid)
    assert_sample(answer, expected)
    assert variant.name == "Variant1" and variant.id > article.id


@pytest.mark.parametrize(
    ("requests", "sample"),
    [
        (
            ("products_persist_rename_id_req", "products_persist_rename_tid_req"),
            "products_persist_rename_resp",
        ),
        (
            ("products_persist_rename_article_id_req", "products_persist_rename_article_tid_req"),
            "products_persist_rename_article_resp",
        ),
    ],
)
def test_persist_renames_by_id_and_tid(
    pim: PimClient, requests: tuple[str, str], sample: str
) -> None:
    for name in requests:
        # Both samples name the article "Article2"; names are unique under one product.
        body = (
            example(name).replace(b"Article2", b"Article4")
            if name.endswith("tid_req")
            else example(name)
        )
        answer = pim.post_xml("/pim/products/persist", body)
        expected = normalized(example(sample))
        if "article" in sample:
            tid = "e8712bfd-6701-4833-9197-b259ea42dd84" if name.endswith("_id_req") else P1
            find(expected, ".//o:response").set("tid", tid)
        assert_sample(answer, expected)


def test_persist_renames_variant(pim: PimClient) -> None:
    answer = pim.post_xml(
        "/pim/products/persist", example("products_persist_rename_variant_id_req")
    )
    assert_sample(answer, example("products_persist_rename_variant_resp"))
    assert pim.store.items[20444].name == "Variant2"
    answer = pim.post_xml(
        "/pim/products/persist",
        example("products_persist_rename_variant_tid_req").replace(b"Variant2", b"Variant3"),
    )
    assert_sample(answer, example("products_persist_rename_variant_resp"))
    assert pim.store.items[20444].name == "Variant3"


def test_persist_values_changes_only_what_is_sent(pim: PimClient) -> None:
    store = pim.store
    product = store.item("product", tid=P1)
    product.vals.clear()
    pim.post_xml("/pim/products/persist", example("products_persist_vals_req"))
    started = datetime.now(UTC) - timedelta(seconds=1)
    answer = pim.post_xml("/pim/products/persist", example("products_persist_vals_req"))
    expected = normalized(example("products_persist_vals_resp"))
    find(expected, ".//o:response").set(
        "action", "update"
    )  # the sample says "create" for an update
    assert_sample(answer, expected)
    assert list(product.vals) == ["STRING_SIMPLE", "NUMBER_SIMPLE", "ENUMERATION_L"]
    assert product.value_modified >= started
    partial = (
        b'<pim xmlns="http://www.apollon.de/omn"><products><product tid="'
        + P1.encode()
        + b'"><vals>'
        b'<val attr="ENUMERATION_L" type="multi_loc"><i18N loc="de_DE"><itm pos="0">Braun</itm></i18N></val>'
        b"</vals></product></products></pim>"
    )
    pim.post_xml("/pim/products/persist", partial)
    retrieved = pim.post_json("/pim/products/retrieve", {"tids": [P1]})
    vals = find(retrieved, "o:products/o:product/o:vals")
    simple = find(vals, "o:val[@attr='STRING_SIMPLE']")
    assert (simple.get("type"), simple.get("dataType"), find(simple, "o:itm").text) == (
        "simple",
        "text",
        "string",
    )
    assert find(vals, "o:val[@attr='NUMBER_SIMPLE']").get("dataType") == "number"
    listed = find(vals, "o:val[@attr='ENUMERATION_L']")
    assert [(g.get("loc"), [i.text for i in g]) for g in listed] == [
        ("en_EN", ["Brown", "Yellow"]),
        ("de_DE", ["Braun"]),
    ]
    # The product now shows up for a modifiedFrom after the seed.
    recent = pim.query("/pim/products/query", {"modifiedFrom": format_time(started)})
    assert recent == {"tids": [P1]}


def test_persist_unregistered_attribute_is_a_warning(pim: PimClient) -> None:
    body = (
        b'<pim xmlns="http://www.apollon.de/omn"><products><product tid="'
        + P1.encode()
        + b'"><vals>'
        b'<val attr="nope"><itm>x</itm></val></vals></product></products></pim>'
    )
    answer = pim.post_xml("/pim/products/persist", body)
    assert find(answer, ".//o:status").text == "WARNING"
    assert find(answer, ".//o:description").text == (
        "The product has been saved successfully|Attribute definition: 'nope' cannot be found"
    )


def _product(tid: str, inner: str) -> bytes:
    return (
        f'<pim xmlns="http://www.apollon.de/omn" schemaVersion="5.6.0"><products>'
        f'<product tid="{tid}">{inner}</product></products></pim>'
    ).encode()


TID = "28E09C5F-9F23-4274-8BB5-4E0924D52076"


@pytest.mark.parametrize(
    ("body", "sample"),
    [
        (
            _product(TID, "<name>Product1</name><node>/Standard/Test</node>"),
            "products_persist_dup_err",
        ),
        (
            _product(
                TID,
                "<name>Jeans 2</name><node>/Standard/Bekleidung/Herren/Unterteile/Jeans2</node>",
            ),
            "products_persist_node_err",
        ),
        (
            _product(
                P1, f'<articles><article tid="{TID}"><name>Article0</name></article></articles>'
            ),
            "products_persist_article_dup_err",
        ),
        (
            _product(
                P1,
                f'<articles><article tid="{P1}"><variants><variant tid="{TID}"><name>Variant1</name></variant></variants></article></articles>',
            ),
            "products_persist_variant_dup_err",
        ),
    ],
)
def test_persist_documented_errors(pim: PimClient, body: bytes, sample: str) -> None:
    assert_sample(pim.post_xml("/pim/products/persist", body), example(sample))


def test_persist_update_duplicate_names(pim: PimClient) -> None:
    store = pim.store
    # Give sample items the tid the error samples show.
    store.item("product", tid="28e09c5f-9f23-4274-8bb5-4e0924d52076").tid = TID
    answer = pim.post_xml("/pim/products/persist", _product(TID, "<name>Product1</name>"))
    assert_sample(answer, example("products_persist_update_dup_err"))
    store.items[20444].tid = TID
    variants = f'<articles><article tid="{P1}"><variants>{{}}</variants></article></articles>'
    pim.post_xml(
        "/pim/products/persist",
        _product(P1, variants.format("<variant><name>Variant9</name></variant>")),
    )
    rename = variants.format(f'<variant tid="{TID}"><name>Variant9</name></variant>')
    answer = pim.post_xml("/pim/products/persist", _product(P1, rename))
    assert_sample(answer, example("products_persist_variant_update_dup_err"))
    assert store.items[20444].name == "Variant1"


def test_persist_unknown_id_is_an_error(pim: PimClient) -> None:
    body = example("products_persist_rename_id_req").replace(b"26594", b"999")
    answer = pim.post_xml("/pim/products/persist", body)
    assert find(answer, ".//o:description").text == "There is no product with the given tid or id"


def test_perform_delete_by_tid_and_id(pim: PimClient) -> None:
    store = pim.store
    assert_sample(
        pim.post_xml("/pim/products/perform", example("products_perform_delete_tid_req")),
        example("products_perform_delete_resp"),
    )
    assert store.item("product", tid="37590039-3AEA-4A13-9C3A-C6EC3C94ADCE") is None
    body = example("products_perform_delete_id_req").replace(
        b"552200", str(store.item("product", tid=demo_tid(4)).id).encode()
    )
    answer = pim.post_xml("/pim/products/perform", body)
    assert find(answer, ".//o:status").text == "SUCCESS"
    assert store.item("product", tid=demo_tid(4)) is None
    assert not any(i.tid.startswith(demo_tid(4)) for i in store.items.values())
    again = pim.post_xml("/pim/products/perform", example("products_perform_delete_tid_req"))
    expected = normalized(example("products_perform_delete_err"))
    find(expected, ".//o:response").set("tid", "37590039-3AEA-4A13-9C3A-C6EC3C94ADCE")
    assert_sample(again, expected)


def test_perform_copy_answers_the_new_product_id(pim: PimClient) -> None:
    store = pim.store
    source = store.item("product", tid="37590039-3aea-4a13-9c3a-c6ec3c94adce")
    answer = pim.post_xml("/pim/products/perform", example("products_perform_copy_tid_req"))
    copy = store.item("product", tid="37590039-aaaa-4a13-9c3a-c6ec3c94adce")
    expected = normalized(example("products_perform_copy_resp"))
    find(expected, ".//o:details/o:itm").text = str(copy.id)
    assert_sample(answer, expected)
    assert (copy.name, copy.node) == ("NewProduct", source.node)
    assert copy.id > source.id
    # Copying a tree copies its articles and variants with fresh ids and tids.
    tree = store.item("product", tid=demo_tid(4))
    body = (
        example("products_perform_copy_id_req")
        .replace(b"123123", str(tree.id).encode())
        .replace(b"aaaa", b"bbbb")
    )
    pim.post_xml("/pim/products/perform", body)
    twin = store.item("product", tid="37590039-bbbb-4a13-9c3a-c6ec3c94adce")
    assert [i.kind for i in twin.walk()] == ["product", "article", "variant"]
    assert not {i.id for i in twin.walk()} & {i.id for i in tree.walk()}
    assert twin.vals["gtin"].entries == tree.vals["gtin"].entries


def test_perform_copy_errors(pim: PimClient) -> None:
    body = example("products_perform_copy_tid_req").replace(b'adce"', b'adce2"')
    assert_sample(pim.post_xml("/pim/products/perform", body), example("products_perform_copy_err"))
    pim.post_xml("/pim/products/perform", example("products_perform_copy_tid_req"))
    again = pim.post_xml("/pim/products/perform", example("products_perform_copy_tid_req"))
    assert find(again, ".//o:description").text.startswith(
        "The product could not be copied. Reason: "
    )
