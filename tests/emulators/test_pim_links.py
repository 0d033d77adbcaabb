"""PIM emulator: /pim/products/links persist (link) and perform (unlink), against the samples."""

from __future__ import annotations

import pytest

from tests.emulators.pim_examples import (
    PimClient,
    assert_sample,
    example,
    find,
    findall,
    pim_fixtures,
)

P1 = "73c7992f-5f66-4d99-9ca7-9efa3f1b8281"
A = "e8712bfd-6701-4833-9197-b259ea42dd84"
B = "ab96e6b1-d874-4cea-9ab9-141fcf6804bc"
C = "28e09c5f-9f23-4274-8bb5-4e0924d52076"


pim_loopback, pim = pim_fixtures()


def _linked(pim: PimClient, tid: str) -> list[str]:
    store = pim.store
    source = store.item("product", tid=tid)
    return [store.items[i].tid for i in source.product_links.get("PRODUCT_REF", [])]


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, {A: [P1]}),
        (2, {A: [B]}),
        (3, {P1: [A], B: [A]}),
        (4, {P1: [B, A]}),
        (5, {P1: [B, A], C: [B, A]}),
    ],
)
def test_link_samples(pim: PimClient, n: int, expected: dict[str, list[str]]) -> None:
    answer = pim.post_xml("/pim/products/links/persist", example(f"links_persist_{n}_req"))
    assert_sample(answer, example(f"links_persist_{n}_resp"))
    for source, targets in expected.items():
        assert _linked(pim, source) == targets


def test_links_show_in_the_source_product(pim: PimClient) -> None:
    pim.post_xml("/pim/products/links/persist", example("links_persist_4_req"))
    answer = pim.post_json("/pim/products/retrieve", {"tids": [P1]})
    group = find(answer, ".//o:links/o:itms[@type='products']/o:itms[@attr='PRODUCT_REF']")
    assert [(i.get("key"), i.text) for i in findall(group, "o:itm")] == [(B, "12345"), (A, "54321")]


def test_unlink_by_tid_and_id(pim: PimClient) -> None:
    pim.post_xml("/pim/products/links/persist", example("links_persist_5_req"))
    body = (
        example("links_perform_tid_req")
        .replace(b"targetProduct_tid", B.encode())
        .replace(b"product_tid", P1.encode())
    )
    assert_sample(
        pim.post_xml("/pim/products/links/perform", body), example("links_perform_tid_resp")
    )
    assert _linked(pim, P1) == [A]
    c_id = str(pim.store.item("product", tid=C).id).encode()
    body = example("links_perform_id_req").replace(b"985547", c_id).replace(b"554785", b"54321")
    assert_sample(
        pim.post_xml("/pim/products/links/perform", body), example("links_perform_id_resp")
    )
    assert _linked(pim, C) == [B]


def test_unlink_errors(pim: PimClient) -> None:
    body = example("links_perform_tid_req").replace(b"targetProduct_tid", B.encode())
    answer = pim.post_xml("/pim/products/links/perform", body)
    assert find(answer, ".//o:status").text == "ERROR"
    assert find(answer, ".//o:description").text == (
        "There is no target products with the given tid or id to perform unlink: product_tid"
    )
    wrong_type = example("links_perform_tid_req").replace(b"PRODUCT_REF", b"NO_SUCH_REF")
    answer = pim.post_xml("/pim/products/links/perform", wrong_type)
    assert (
        find(answer, ".//o:description").text
        == "There is no target attribute definition with the given identifier: NO_SUCH_REF"
    )
    assert findall(answer, ".//o:response")[0].attrib == {
        "dataType": "productToProductLink",
        "action": "unlink",
    }


def test_link_errors(pim: PimClient) -> None:
    body = example("links_persist_1_req").replace(P1.encode(), b"missing")
    answer = pim.post_xml("/pim/products/links/persist", body)
    assert (
        find(answer, ".//o:description").text
        == "There is no target products with the given tid or id to perform link: missing"
    )
    assert _linked(pim, A) == []
