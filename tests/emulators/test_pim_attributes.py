"""PIM emulator: /pim/attribute-definitions and /pim/attributes, against the document's samples."""

from __future__ import annotations

import pytest

from tests.emulators.pim_examples import (
    PimClient,
    assert_sample,
    example,
    find,
    findall,
    normalized,
    pim_fixtures,
)

pim_loopback, pim = pim_fixtures()


# --- attribute definitions ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "sample"),
    [
        ({"tids": ["product_id", "product_title"]}, "attrdefs_retrieve_tids"),
        ({"ids": [15210, 15211]}, "attrdefs_retrieve_ids"),
        ({"tids": ["product_id", "product_title"], "ids": [15219]}, "attrdefs_retrieve_tids"),
    ],
)
def test_definitions_retrieve(pim: PimClient, body: dict[str, object], sample: str) -> None:
    assert_sample(pim.post_json("/pim/attribute-definitions/retrieve", body), example(sample))


def test_definitions_all_and_list(pim: PimClient) -> None:
    everything = pim.post_json(
        "/pim/attribute-definitions/retrieve", {"all": True, "tids": ["gtin"]}
    )
    listed = pim.get("/pim/attribute-definitions")
    defs = findall(everything, "o:attrDefs/o:attrDef")
    assert [d.get("tid") for d in defs] == [
        d.get("tid") for d in findall(listed, "o:attrDefs/o:attrDef")
    ]
    assert [d.get("tid") for d in defs[:3]] == ["product_id", "product_title", "care_note"]
    care = defs[2]
    assert find(care, "o:multiValued").text == "true"
    assert (
        find(
            care, "o:domainVals/o:domainVal[@tid='Chlorine bleaching possible']/o:itm[@loc='de_DE']"
        ).text
        == "Chlorbleiche möglich"
    )
    assert "gtin" in [d.get("tid") for d in defs]
    assert everything[-1].tag.endswith("meta")  # after <attrDefs>, as in the samples


def test_definitions_query_by_type(pim: PimClient) -> None:
    store = pim.store
    answer = pim.query("/pim/attribute-definitions/query", {"types": ["date", "boolean"]})
    assert answer["all"] is False
    assert answer["ids"] == sorted(
        d.id for d in store.attr_defs.values() if d.type in ("date", "boolean")
    )
    assert pim.query("/pim/attribute-definitions/query", {"types": []}) == {"all": False}
    everything = pim.query(
        "/pim/attribute-definitions/query",
        {"types": ["text", "date", "number", "boolean", "ref", "table"]},
    )
    assert everything["ids"] == sorted(store.attr_defs)


def test_definitions_persist_create_update_delete(pim: PimClient) -> None:
    store = pim.store
    created = pim.post_xml(
        "/pim/attribute-definitions/persist", example("attrdefs_persist_create_req")
    )
    expected = normalized(example("attrdefs_persist_create_resp"))
    # Decision: persist answers always carry itemInformationType (the update sample has it).
    meta = find(expected, "o:meta")
    meta.append(
        find(
            normalized(example("attrdefs_persist_update_resp")),
            "o:meta/o:itm[@key='itemInformationType']",
        )
    )
    assert_sample(created, expected)
    assert store.attr_def(tid="product_tid").name == {
        "en_GB": "SKU product",
        "de_DE": "SKU Produkt",
    }
    updated = pim.post_xml(
        "/pim/attribute-definitions/persist", example("attrdefs_persist_update_req")
    )
    assert_sample(updated, example("attrdefs_persist_update_resp"))
    assert store.attr_def(tid="product_tid").name["en_GB"] == "New value"
    deleted = pim.post_xml(
        "/pim/attribute-definitions/perform", example("attrdefs_perform_tid_req")
    )
    assert_sample(deleted, example("attrdefs_perform_tid_resp"))
    assert store.attr_def(tid="product_tid") is None


def test_definitions_persist_errors(pim: PimClient) -> None:
    body = b'<pim xmlns="http://www.apollon.de/omn"><attrDefs><attrDef id="54321" type="text"/></attrDefs></pim>'
    assert_sample(
        pim.post_xml("/pim/attribute-definitions/persist", body), example("attrdefs_persist_id_err")
    )
    body = b'<pim xmlns="http://www.apollon.de/omn"><attrDefs><attrDef tid="x" type="colour"/></attrDefs></pim>'
    answer = pim.post_xml("/pim/attribute-definitions/persist", body)
    assert find(answer, ".//o:status").text == "ERROR"
    assert find(answer, ".//o:description").text.startswith(
        "The attribute definition could not be saved. Reason: "
    )


def test_definitions_perform_by_id_and_errors(pim: PimClient) -> None:
    store = pim.store
    pim.post_xml("/pim/attribute-definitions/persist", example("attrdefs_persist_create_req"))
    new_id = str(store.attr_def(tid="product_tid").id)
    body = example("attrdefs_perform_id_req").replace(b"45260", new_id.encode())
    expected = normalized(example("attrdefs_perform_id_resp"))
    find(expected, ".//o:response").set("id", new_id)
    assert_sample(pim.post_xml("/pim/attribute-definitions/perform", body), expected)
    assert_sample(
        pim.post_xml("/pim/attribute-definitions/perform", example("attrdefs_perform_id_req")),
        example("attrdefs_perform_err"),
    )
    in_use = example("attrdefs_perform_tid_req").replace(b"product_tid", b"gender")
    answer = pim.post_xml("/pim/attribute-definitions/perform", in_use)
    assert find(answer, ".//o:description").text.startswith(
        "The attribute definition could not be deleted. Reason: "
    )
    assert store.attr_def(tid="gender") is not None


# --- attributes -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "sample"),
    [
        (
            {"ids": [46190], "withDomainValues": True, "withDefaultValues": True},
            "attrs_retrieve_ids",
        ),
        ({"productIds": [44812]}, "attrs_retrieve_product_ids"),
        ({"nodeIds": [34812], "includeParentAttributes": True}, "attrs_retrieve_node_ids"),
        ({"nodePaths": ["RootNode/ChildNode"]}, "attrs_retrieve_node_paths"),
    ],
)
def test_attributes_retrieve(pim: PimClient, body: dict[str, object], sample: str) -> None:
    assert_sample(pim.post_json("/pim/attributes/retrieve", body), example(sample))


def test_attributes_retrieve_by_product_tids_with_domain_and_default(pim: PimClient) -> None:
    body = {
        "productTids": ["ec98dde6-4064-465d-a1fb-237e2f10a336"],
        "withDomainValues": True,
        "withDefaultValues": True,
    }
    expected = normalized(example("attrs_retrieve_product_tids"))
    # The sample spells the German domain value "domain1-dee" here and "domain1-de" elsewhere.
    find(expected, ".//o:domainVal/o:itm[@loc='de_DE']").text = "domain1-de"
    assert_sample(pim.post_json("/pim/attributes/retrieve", body), expected)


@pytest.mark.parametrize(
    ("flags", "kept"),
    [
        ({}, ()),
        ({"withDomainValues": True}, ("domainVals",)),
        ({"withDefaultValues": True}, ("defaultVal",)),
        ({"withDomainValues": False, "withDefaultValues": False}, ()),
        ({"withDomainValues": True, "withDefaultValues": True}, ("defaultVal", "domainVals")),
    ],
    ids=["no flags", "domain only", "default only", "both false", "both"],
)
def test_attributes_retrieve_answers_each_part_only_when_its_flag_is_set(
    pim: PimClient, flags: dict[str, bool], kept: tuple[str, ...]
) -> None:
    """The ids sample with both flags, less what an unset flag leaves out (as samples 3 to 5)."""
    expected = normalized(example("attrs_retrieve_ids"))
    attr = find(expected, "o:attrs/o:attr")
    for part in ("defaultVal", "domainVals"):
        if part not in kept:
            attr.remove(find(attr, f"o:{part}"))
    assert_sample(pim.post_json("/pim/attributes/retrieve", {"ids": [46190], **flags}), expected)


@pytest.mark.parametrize("body", [{}, {"ids": [46190], "nodeIds": [34812]}])
def test_attributes_retrieve_needs_exactly_one_selector(
    pim: PimClient, body: dict[str, object]
) -> None:
    answer = pim.post_json("/pim/attributes/retrieve", body, status=400)
    assert find(answer, "o:issues/o:itm[@key='code']").text == "1001"


def test_attributes_query(pim: PimClient) -> None:
    assert pim.query("/pim/attributes/query", {"productId": [44812]}) == {"ids": [44793, 46190]}
    assert pim.query(
        "/pim/attributes/query", {"productTid": ["ec98dde6-4064-465d-a1fb-237e2f10a336"]}
    ) == {"ids": [44793, 46190]}
    assert pim.query("/pim/attributes/query", {"nodeId": [34812]}) == {"ids": [46190]}
    assert pim.query(
        "/pim/attributes/query",
        {"nodePath": ["/RootNode/ChildNode"], "includeParentAttributes": True},
    ) == {"ids": [44793, 46190]}
    assert pim.query("/pim/attributes/query", {"nodePath": "/RootNode/ChildNode"}) == {
        "ids": [46190]
    }


def test_attributes_persist_create_and_update(pim: PimClient) -> None:
    store = pim.store
    created = pim.post_xml("/pim/attributes/persist", example("attrs_persist_create_path_req"))
    new = store.node_attributes(store.node_by_path("/RootNode/someNode"), inherited=False)[0]
    expected = normalized(example("attrs_persist_create_path_resp"))
    find(expected, ".//o:response").set("id", str(new.id))
    assert_sample(created, expected)
    assert (new.key, new.inheritance, new.localized) == ("product_id", "visible", "false")

    body = (
        example("attrs_persist_update_id_req")
        .replace(b"95547", str(new.id).encode())
        .replace(b'"visible"', b'"not_visible"')
    )
    expected = normalized(example("attrs_persist_update_id_resp"))
    find(expected, ".//o:response").set("id", str(new.id))
    assert_sample(pim.post_xml("/pim/attributes/persist", body), expected)
    assert new.inheritance == "not_visible"

    assert_sample(
        pim.post_xml("/pim/attributes/persist", example("attrs_persist_update_path_req")),
        example("attrs_persist_update_path_resp"),
    )
    assert new.inheritance == "visible"

    node_id = str(store.node_by_path("/RootNode/someNode").id)
    body = example("attrs_persist_update_node_id_req").replace(b"65425", node_id.encode())
    expected = normalized(example("attrs_persist_update_node_id_resp"))
    find(expected, ".//o:response").set("nodeId", node_id)
    assert_sample(pim.post_xml("/pim/attributes/persist", body), expected)
    assert (
        len(store.node_attributes(store.node_by_path("/RootNode/someNode"), inherited=False)) == 1
    )


def test_attributes_persist_create_by_node_id_with_domain_values(pim: PimClient) -> None:
    store = pim.store
    body = example("attrs_persist_create_id_req").replace(b"23456", b"15271")
    answer = pim.post_xml("/pim/attributes/persist", body)
    attr = store.node_attributes(store.nodes[15271], inherited=False)[0]
    expected = normalized(example("attrs_persist_create_id_resp"))
    find(expected, ".//o:response").set("id", str(attr.id))
    find(expected, ".//o:response").set("nodeId", "15271")
    assert_sample(answer, expected)
    retrieved = pim.post_json(
        "/pim/attributes/retrieve", {"ids": [attr.id], "withDomainValues": True}
    )
    assert find(retrieved, ".//o:domainVal[@tid='female']/o:itm[@loc='de_DE']").text == "weiblich"


@pytest.mark.parametrize(
    ("attr", "sample"),
    [
        (b'<attr id="23456" key="product_id"/>', "attrs_persist_id_err"),
        (b'<attr nodeId="23456" key="product_id"/>', "attrs_persist_node_id_err"),
        (b'<attr nodePath="RootNode/someNode1" key="product_id"/>', "attrs_persist_node_path_err"),
        (b'<attr nodePath="RootNode/someNod" key="not_exists"/>', "attrs_persist_def_err"),
    ],
)
def test_attributes_persist_errors(pim: PimClient, attr: bytes, sample: str) -> None:
    body = b'<pim xmlns="http://www.apollon.de/omn"><attrs>' + attr + b"</attrs></pim>"
    expected = normalized(example(sample))
    if b"someNode1" in attr:  # the sample's node exists in the seed; use a missing one
        find(expected, ".//o:response").set("nodePath", "RootNode/someNode1")
        find(expected, ".//o:description").text = "Node with path RootNode/someNode1 not found"
    assert_sample(pim.post_xml("/pim/attributes/persist", body), expected)


def test_attributes_perform(pim: PimClient) -> None:
    store = pim.store
    body = example("attrs_perform_req").replace(b"98756", b"44793")
    expected = normalized(example("attrs_perform_resp"))
    find(expected, ".//o:response").set("id", "44793")
    assert_sample(pim.post_xml("/pim/attributes/perform", body), expected)
    assert 44793 not in store.attributes
    again = example("attrs_perform_req").replace(b"98756", b"45260")
    assert_sample(pim.post_xml("/pim/attributes/perform", again), example("attrs_perform_err"))
    missing = b'<pim xmlns="http://www.apollon.de/omn"><actions><action dataType="attribute" type="delete"/></actions></pim>'
    assert_sample(
        pim.post_xml("/pim/attributes/perform", missing), example("attrs_perform_missing_err")
    )
