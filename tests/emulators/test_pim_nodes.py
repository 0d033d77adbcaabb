"""PIM emulator: /pim/nodes query, retrieve, persist and perform, against the document's samples."""

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


@pytest.mark.parametrize("body", [{"classificationTid": "Standard"}, {"classificationId": 15360}])
def test_retrieve_root(pim: PimClient, body: dict[str, object]) -> None:
    expected = normalized(example("nodes_retrieve_root"))
    # Decision: a root's path is "/<classification>" everywhere (this sample alone shows "/").
    find(expected, "o:nodes/o:node").set("path", "/Standard")
    assert_sample(pim.post_json("/pim/nodes/retrieve", body), expected)


def test_retrieve_children_by_path(pim: PimClient) -> None:
    answer = pim.post_json("/pim/nodes/retrieve", {"path": "/Standard", "level": 1})
    assert [n.get("path") for n in findall(answer, "o:nodes/o:node")] == [
        "/Standard/Bekleidung",
        "/Standard/Test",
        "/Standard/Demo",
    ]
    find(answer, "o:nodes").remove(findall(answer, "o:nodes/o:node")[-1])  # the seed's demo node
    assert_sample(answer, example("nodes_retrieve_children"))
    deeper = pim.post_json("/pim/nodes/retrieve", {"path": "/Standard/Bekleidung", "level": 2})
    assert [n.get("tid") for n in findall(deeper, "o:nodes/o:node")] == [
        "Damen",
        "Herren",
        "Oberteile",
        "Unterteile",
    ]


def test_retrieve_by_ids(pim: PimClient) -> None:
    assert_sample(
        pim.post_json("/pim/nodes/retrieve", {"ids": [114740]}), example("nodes_retrieve_ids")
    )


@pytest.mark.parametrize(
    ("body", "sample"),
    [
        ({}, "nodes_retrieve_missing_err"),
        ({"path": "/Standard", "level": 0}, "nodes_retrieve_level_err"),
    ],
)
def test_retrieve_errors(pim: PimClient, body: dict[str, object], sample: str) -> None:
    assert_sample(pim.post_json("/pim/nodes/retrieve", body, status=400), example(sample))


def test_query(pim: PimClient) -> None:
    store = pim.store
    demo = store.node_by_path("/Standard/Demo").id
    assert pim.query("/pim/nodes/query", {"productId": 598800}) == {"ids": [demo], "level": 1}
    assert pim.query("/pim/nodes/query", {"productTid": "78fc9abb-2223-40dc-ac3e-26d42102d050"})[
        "ids"
    ] == [demo]
    assert pim.query("/pim/nodes/query", {"attributeId": "46190"})["ids"] == [34812]
    assert pim.query("/pim/nodes/query", {"attributeDefinitionTid": "new2"})["ids"] == [
        store.node_by_path("/RootNode").id
    ]
    definition = store.attr_def(tid="new1").id
    assert pim.query("/pim/nodes/query", {"attributeDefinitionId": str(definition)})["ids"] == [
        34812
    ]
    assert pim.http.post("/pim/nodes/query", json={}).status_code == 400


def test_persist_creates_under_parent_path_and_id(pim: PimClient) -> None:
    store = pim.store
    answer = pim.post_xml("/pim/nodes/persist", example("nodes_persist_parent_path_req"))
    node = store.node_by_path("/Standard/Bekleidung/Accessories")
    expected = normalized(example("nodes_persist_create_resp"))
    find(expected, ".//o:response").set("id", str(node.id))
    assert_sample(answer, expected)
    assert node.name == {
        "en_EN": "Accessories EN",
        "de_DE": "Accessories DE",
        "fr_FR": "Accessories FR",
    }
    body = example("nodes_persist_parent_id_req").replace(
        b'"123"', b'"' + str(node.id).encode() + b'"'
    )
    answer = pim.post_xml("/pim/nodes/persist", body)
    assert (
        find(answer, ".//o:response").get("path") == "/Standard/Bekleidung/Accessories/Accessories"
    )


def test_persist_creates_in_request_order(pim: PimClient) -> None:
    body = (
        b'<pim xmlns="http://www.apollon.de/omn"><nodes>'
        b'<node parentPath="/Standard/Test" tid="A"/><node parentPath="/Standard/Test/A" tid="B"/>'
        b'<node parentPath="/Standard/Test/C" tid="D"/><node parentPath="/Standard/Test" tid="C"/>'
        b"</nodes></pim>"
    )
    answer = pim.post_xml("/pim/nodes/persist", body)
    assert [s.text for s in findall(answer, ".//o:status")] == [
        "SUCCESS",
        "SUCCESS",
        "ERROR",
        "SUCCESS",
    ]
    ids = [int(r.get("id")) for r in findall(answer, ".//o:response") if r.get("id")]
    assert ids == sorted(ids)


def test_persist_root_node(pim: PimClient) -> None:
    answer = pim.post_xml("/pim/nodes/persist", example("nodes_persist_root_req"))
    store = pim.store
    root = store.root_of("Standart")
    expected = normalized(example("nodes_persist_root_resp"))
    # The sample answers path "/Standard" for the root it created as "Standart".
    find(expected, ".//o:response").set("id", str(root.id))
    find(expected, ".//o:response").set("path", "/Standart")
    assert_sample(answer, expected)
    wrong = example("nodes_persist_root_req").replace(b'tid="Standart"', b'tid="Other"')
    again = pim.post_xml("/pim/nodes/persist", wrong)
    assert find(again, ".//o:status").text == "ERROR"


def test_persist_updates_by_path_and_id(pim: PimClient) -> None:
    store = pim.store
    expected = normalized(example("nodes_persist_update_resp"))
    response = find(expected, ".//o:response")
    response.set("id", "15270")
    response.set(
        "tid", "Standard"
    )  # the sample echoes "Standart" for the node it sent as "Standard"
    assert_sample(
        pim.post_xml("/pim/nodes/persist", example("nodes_persist_update_path_req")), expected
    )
    assert store.nodes[15270].name == {"en_EN": "Standard EN 1", "fr_FR": "Standard FR 1"}
    body = example("nodes_persist_update_id_req").replace(b"654332", b"15270")
    assert_sample(pim.post_xml("/pim/nodes/persist", body), expected)


@pytest.mark.parametrize(
    ("node", "sample"),
    [
        (b'<node parentId="1147412" tid="AAAA12"/>', "nodes_persist_parent_id_err"),
        (b'<node parentPath="/Root/node1" tid="AAAA11"/>', "nodes_persist_parent_path_err"),
        (
            b'<node id="1147423" path="/Standard/AAAA1/AAAA12" tid="AAAA12"/>',
            "nodes_persist_update_id_err",
        ),
        (
            '<node path="/Standard/AAAA1/AAAA12/Gürtel" tid="Gürtel"/>'.encode(),
            "nodes_persist_update_path_err",
        ),
        (b'<node classificationTid="Standard1" tid="AAAA111"/>', "nodes_persist_class_err"),
    ],
)
def test_persist_errors(pim: PimClient, node: bytes, sample: str) -> None:
    body = (
        b'<pim xmlns="http://www.apollon.de/omn" schemaVersion="5.6.0"><nodes>'
        + node
        + b"</nodes></pim>"
    )
    assert_sample(pim.post_xml("/pim/nodes/persist", body), example(sample))


def test_perform_delete_by_id_and_path(pim: PimClient) -> None:
    store = pim.store
    pim.post_xml("/pim/nodes/persist", example("nodes_persist_parent_path_req"))
    node = store.node_by_path("/Standard/Bekleidung/Accessories")
    body = example("nodes_perform_id_req").replace(b"759365", str(node.id).encode())
    expected = normalized(example("nodes_perform_resp"))
    find(expected, ".//o:response").set("id", str(node.id))
    assert_sample(pim.post_xml("/pim/nodes/perform", body), expected)
    assert store.node_by_path("/Standard/Bekleidung/Accessories") is None
    store.add_node(
        "Node1.1", "RootNode", store.add_node("Node1", "RootNode", store.node_by_path("/RootNode"))
    )
    answer = pim.post_xml(
        "/pim/nodes/perform", example("nodes_perform_path_req").replace(b"/Root/", b"/RootNode/")
    )
    assert find(answer, ".//o:status").text == "SUCCESS"
    assert store.node_by_path("/RootNode/Node1/Node1.1") is None


def test_perform_errors(pim: PimClient) -> None:
    body = example("nodes_perform_id_req").replace(b"759365", b"4444")
    assert_sample(pim.post_xml("/pim/nodes/perform", body), example("nodes_perform_err"))
    # A node with classified products is not deleted.
    answer = pim.post_xml(
        "/pim/nodes/perform", example("nodes_perform_id_req").replace(b"759365", b"15271")
    )
    assert find(answer, ".//o:description").text.startswith(
        "The node could not be deleted. Reason: "
    )
    assert 15271 in pim.store.nodes
