"""PIM emulator: /pim/classes list, retrieve, persist and perform, against the document's samples."""

from __future__ import annotations

import pytest
from lxml import etree

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


def _only_nodes(root: etree._Element, paths: set[str]) -> etree._Element:
    """Drop the seeded nodes a sample does not show (the demo adds nodes under /Standard)."""
    for node in list(root.iter("{http://www.apollon.de/omn}node")):
        if node.get("path") not in paths:
            node.getparent().remove(node)
    return root


def test_retrieve_by_tids_in_request_order(pim: PimClient) -> None:
    answer = pim.post_json("/pim/classes/retrieve", {"tids": ["Standard", "Standart"]})
    assert_sample(answer, example("classes_retrieve_tids"))


def test_retrieve_by_ids(pim: PimClient) -> None:
    assert_sample(
        pim.post_json("/pim/classes/retrieve", {"ids": [15360, 1]}), example("classes_retrieve_ids")
    )


@pytest.mark.parametrize("body", [{}, {"tids": []}, {"ids": []}])
def test_retrieve_all_by_id(pim: PimClient, body: dict[str, list[str]]) -> None:
    answer = pim.post_json("/pim/classes/retrieve", body)
    for cls in findall(answer, "o:classes/o:class")[2:]:
        cls.getparent().remove(cls)  # the seed adds the attributes samples' RootNode
    assert_sample(answer, example("classes_retrieve_all"))


def test_get_classes_lists_all(pim: PimClient) -> None:
    tids = [c.get("tid") for c in findall(pim.get("/pim/classes"), "o:classes/o:class")]
    assert tids == ["Standart", "Standard", "RootNode"]


def test_retrieve_with_flat_nodes(pim: PimClient) -> None:
    answer = pim.post_json("/pim/classes/retrieve", {"tids": ["Standard"], "withNodes": True})
    assert len(findall(answer, "o:nodes/o:node")) > 2
    expected = normalized(example("classes_retrieve_flat"))
    # Decision: node ids follow the nodes/retrieve samples (15270, 15271), not these (15370, 15371).
    for node in expected.iter("{http://www.apollon.de/omn}node"):
        for key in ("id", "parentId"):
            if node.get(key):
                node.set(key, str(int(node.get(key)) - 100))
    assert_sample(_only_nodes(answer, {"/Standard", "/Standard/Bekleidung"}), expected)


def test_retrieve_with_nested_nodes(pim: PimClient) -> None:
    answer = pim.post_json(
        "/pim/classes/retrieve", {"tids": ["Standard"], "withNodes": True, "flatNodes": False}
    )
    expected = normalized(example("classes_retrieve_tree"))
    for node in expected.iter("{http://www.apollon.de/omn}node"):
        for key in ("id", "parentId"):
            if node.get(key):
                node.set(key, str(int(node.get(key)) - 100))
    assert_sample(_only_nodes(answer, {"/Standard", "/Standard/Bekleidung"}), expected)


def test_persist_creates_then_updates(pim: PimClient) -> None:
    created = pim.post_xml("/pim/classes/persist", example("classes_persist_create_req"))
    assert_sample(created, example("classes_persist_create_resp"))
    assert pim.store.classification(tid="NewClassification") is not None
    updated = pim.post_xml("/pim/classes/persist", example("classes_persist_create_req"))
    expected = normalized(example("classes_persist_nodes_resp"))
    find(expected, "o:meta/o:itm[@key='messageTime']")  # same envelope as the create sample
    assert find(updated, ".//o:response").get("action") == "update"
    assert (
        find(updated, ".//o:description").text == "The classification has been saved successfully"
    )


def test_persist_with_nodes_in_request_order(pim: PimClient) -> None:
    answer = pim.post_xml("/pim/classes/persist", example("classes_persist_nodes_req"))
    expected = normalized(example("classes_persist_nodes_resp"))
    # The sample answers for "NewClassification" although it sent "Classification".
    find(expected, ".//o:response").set("tid", "Classification")
    assert_sample(answer, expected)
    store = pim.store
    node1 = store.node_by_path("/Classification/node/node1")
    assert [n.tid for n in store.ancestors(node1)] == ["Classification", "node", "node1"]
    assert [a.key for a in store.node_attributes(node1, inherited=True)] == [
        "product_id",
        "product_title",
        "description_long",
    ]
    assert store.classification(tid="Classification").name == {
        "en_GB": "Class_en",
        "de_DE": "Class_de",
    }


def test_persist_root_must_be_named_as_the_classification(pim: PimClient) -> None:
    body = (
        b'<pim xmlns="http://www.apollon.de/omn" schemaVersion="5.6.0"><classes><class tid="NewClassification"/>'
        b'</classes><nodes><node class="NewClassification" path="/NewClassification1"/></nodes></pim>'
    )
    answer = pim.post_xml("/pim/classes/persist", body)
    expected = normalized(example("classes_persist_root_err"))
    find(expected, ".//o:response").set("tid", "NewClassification")
    assert_sample(answer, expected)


def test_persist_child_before_root_is_reported(pim: PimClient) -> None:
    body = (
        b'<pim xmlns="http://www.apollon.de/omn"><classes><class tid="Late"/></classes><nodes>'
        b'<node class="Late" path="/Late/child"/><node class="Late" path="/Late"/></nodes></pim>'
    )
    answer = pim.post_xml("/pim/classes/persist", body)
    assert find(answer, ".//o:status").text == "WARNING"
    assert "Node with path '[Late]' does not exist." in find(answer, ".//o:description").text
    store = pim.store
    assert store.node_by_path("/Late") is not None and store.node_by_path("/Late/child") is None


def test_persist_unknown_id_language_and_duplicate_name(pim: PimClient) -> None:
    body = b'<pim xmlns="http://www.apollon.de/omn"><classes><class id="15342"/></classes></pim>'
    assert_sample(
        pim.post_xml("/pim/classes/persist", body), example("classes_persist_identity_err")
    )
    body = (
        b'<pim xmlns="http://www.apollon.de/omn"><classes><class tid="NewClassification">'
        b'<name><itm loc="e_DE">x</itm></name></class></classes></pim>'
    )
    expected = normalized(example("classes_persist_language_warn"))
    find(expected, ".//o:response").set("tid", "NewClassification")
    assert_sample(pim.post_xml("/pim/classes/persist", body), expected)
    first = b'<pim xmlns="http://www.apollon.de/omn"><classes><class tid="A"><name><itm loc="en_GB">NewClassification-en</itm></name></class></classes></pim>'
    pim.post_xml("/pim/classes/persist", first)
    second = first.replace(b'tid="A"', b'tid="NewClassification"')
    answer = pim.post_xml("/pim/classes/persist", second)
    expected = normalized(example("classes_persist_name_warn"))
    find(expected, ".//o:response").set("tid", "NewClassification")
    find(expected, ".//o:response").set("action", "update")
    assert_sample(answer, expected)


def test_perform_delete_by_tid_and_id(pim: PimClient) -> None:
    pim.post_xml("/pim/classes/persist", example("classes_persist_nodes_req"))
    assert_sample(
        pim.post_xml("/pim/classes/perform", example("classes_perform_tid_req")),
        example("classes_perform_tid_resp"),
    )
    store = pim.store
    assert store.classification(tid="Classification") is None
    assert store.node_by_path("/Classification/node") is None
    pim.post_xml("/pim/classes/persist", example("classes_persist_create_req"))
    new_id = store.classification(tid="NewClassification").id
    body = example("classes_perform_id_req").replace(b"24101", str(new_id).encode())
    expected = normalized(example("classes_perform_id_resp"))
    find(expected, ".//o:response").set("id", str(new_id))
    assert_sample(pim.post_xml("/pim/classes/perform", body), expected)


@pytest.mark.parametrize(
    ("action", "sample"),
    [
        (
            b'<action dataType="classification" id="241001" type="delete"/>',
            "classes_perform_id_err",
        ),
        (
            b'<action dataType="classification" tid="ClassificationNotExists" type="delete"/>',
            "classes_perform_tid_err",
        ),
        (
            b'<action dataType="product" tid="Classification" type="delete"/>',
            "classes_perform_type_err",
        ),
        (b'<action dataType="classification" type="delete"/>', "classes_perform_missing_err"),
    ],
)
def test_perform_errors(pim: PimClient, action: bytes, sample: str) -> None:
    body = (
        b'<pim xmlns="http://www.apollon.de/omn" schemaVersion="5.6.0"><actions>'
        + action
        + b"</actions></pim>"
    )
    answer = pim.post_xml("/pim/classes/perform", body)
    expected = normalized(example(sample))
    if b"product" in action:
        find(expected, ".//o:response").set("dataType", "classification")
    assert_sample(answer, expected)


def test_persist_nodes_of_an_existing_classification_answer_per_node(pim: PimClient) -> None:
    body = (
        b'<pim xmlns="http://www.apollon.de/omn"><nodes>'
        b'<node class="Standard" path="/Standard/Schuhe"><name><itm loc="de_DE">Schuhe</itm></name></node>'
        b'<node class="Standard" path="/Standard/Schuhe"/>'
        b'<node class="Standard" path="/Standard/Nope/Deeper"/></nodes></pim>'
    )
    answer = pim.post_xml("/pim/classes/persist", body)
    responses = findall(answer, ".//o:response")
    assert [(r.get("action"), find(r, "o:status").text) for r in responses] == [
        ("create", "SUCCESS"),
        ("update", "SUCCESS"),
        ("create", "ERROR"),
    ]
    assert pim.store.node_by_path("/Standard/Schuhe").name == {"de_DE": "Schuhe"}
