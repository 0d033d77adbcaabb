"""PIM classification, node, definition and attribute mutations through HTTP, on the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import GatewayStack
from tests.xmltree import assert_xml_equal

PIM = "/api/core/v1/pim"
SAMPLES = Path(__file__).parents[1] / "upstreams" / "pim_examples"
RESULT = "ok results { index item status action dataType message ids { key value } }"
SAVE_CLASSES = f"mutation($c: [ClassificationInput!]!) {{ saveClassifications(classifications: $c) {{ {RESULT} }} }}"
DELETE_CLASSES = f"mutation($t: [String!], $i: [Int!]) {{ deleteClassifications(tids: $t, pimIds: $i) {{ {RESULT} }} }}"
SAVE_NODES = f"mutation($n: [ClassificationNodeInput!]!) {{ saveClassificationNodes(nodes: $n) {{ {RESULT} }} }}"
DELETE_NODES = f"mutation($p: [String!], $i: [Int!]) {{ deleteClassificationNodes(paths: $p, pimIds: $i) {{ {RESULT} }} }}"
SAVE_DEFS = f"mutation($d: [AttributeDefinitionInput!]!) {{ saveAttributeDefinitions(definitions: $d) {{ {RESULT} }} }}"
DELETE_DEFS = f"mutation($t: [String!], $i: [Int!]) {{ deleteAttributeDefinitions(tids: $t, pimIds: $i) {{ {RESULT} }} }}"
SAVE_ATTRS = f"mutation($a: [AttributeInput!]!) {{ saveAttributes(attributes: $a) {{ {RESULT} }} }}"
DELETE_ATTRS = f"mutation($i: [Int!]!) {{ deleteAttributes(pimIds: $i) {{ {RESULT} }} }}"


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _body(stack: GatewayStack, path: str) -> bytes:
    (body,) = [e.body for e in stack.pim.app.state.log.entries() if e.path == f"{PIM}{path}"]
    return body


def _data(answer: dict[str, Any], field: str) -> Any:
    assert "errors" not in answer, answer["errors"]
    return answer["data"][field]


def _ids(result: dict[str, Any]) -> dict[str, str]:
    return {i["key"]: i["value"] for i in result["ids"]}


def _store(stack: GatewayStack) -> Any:
    return stack.pim.app.state.store


def _error(answer: dict[str, Any]) -> dict[str, Any]:
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return error


def _mine(answer: dict[str, Any]) -> list[dict[str, Any]]:
    attributes = _data(answer, "classificationNode")["attributes"]
    return [a for a in attributes if a["key"] == "product_id"]


def _attr(key: str, **more: Any) -> dict[str, Any]:
    base = {"key": key, "level": "PRODUCT", "inheritance": "visible", "restriction": "optional"}
    return {**base, "localized": False, **more}


# --- classifications -----------------------------------------------------------------------------


def test_save_a_classification_with_nodes_then_delete_it(stack: GatewayStack) -> None:
    read = '{ classification(tid: "Classification") { tid rootNode { path children { path } } } }'
    assert _data(stack.query(read), "classification") is None  # cached as missing
    classification = {
        "tid": "Classification",
        "name": [{"locale": "en_GB", "text": "Class_en"}, {"locale": "de_DE", "text": "Class_de"}],
        "nodes": [
            {"path": "/Classification", "attributes": [_attr("product_id")]},
            {
                "path": "/Classification/node",
                "attributes": [_attr("product_title", localized=True)],
            },
            {"path": "/Classification/node/node1"},
        ],
    }
    payload = _data(stack.query(SAVE_CLASSES, {"c": [classification]}), "saveClassifications")
    assert payload["ok"] is True
    (result,) = payload["results"]
    assert (result["status"], result["action"], result["dataType"]) == (
        "SUCCESS",
        "CREATE",
        "classification",
    )
    assert result["message"] == "The classification has been created successfully"
    store = _store(stack)
    node = store.node_by_path("/Classification/node")
    assert node is not None and store.node_by_path("/Classification/node/node1") is not None
    assert [a.key for a in store.node_attributes(node, inherited=False)] == ["product_title"]
    assert _data(stack.query(read), "classification") == {
        "tid": "Classification",
        "rootNode": {"path": "/Classification", "children": [{"path": "/Classification/node"}]},
    }

    stack.clear_logs()
    payload = _data(
        stack.query(DELETE_CLASSES, {"t": ["Classification", "ClassificationNotExists"]}),
        "deleteClassifications",
    )
    done, missing = payload["results"]
    assert (done["status"], done["action"]) == ("SUCCESS", "DELETE")
    assert (missing["status"], missing["message"]) == (
        "ERROR",
        "The classification not found by given tid: 'ClassificationNotExists'",
    )
    expected = _sample("classes_perform.1_delete_by_tid.request.xml").replace(
        b"</actions>",
        b'<action dataType="classification" tid="ClassificationNotExists" type="delete"/></actions>',
    )
    assert_xml_equal(expected, _body(stack, "/classes/perform"))
    assert store.classification(tid="Classification") is None
    assert _data(stack.query(read), "classification") is None


def test_node_problems_come_back_as_the_classifications_warning(stack: GatewayStack) -> None:
    classification = {
        "tid": "Standard",
        "nodes": [{"path": "/Standard/Test", "attributes": [{"key": "no_such_definition"}]}],
    }
    payload = _data(stack.query(SAVE_CLASSES, {"c": [classification]}), "saveClassifications")
    (result,) = payload["results"]
    assert (result["status"], result["action"]) == ("WARNING", "UPDATE")
    assert "Attribute definition: 'no_such_definition' cannot be found" in result["message"]
    assert payload["ok"] is True


def test_classification_input_is_refused_before_any_call(stack: GatewayStack) -> None:
    cases = [
        ([], "classifications"),
        ([{"name": [{"locale": "de_DE", "text": "x"}]}], "classifications[0]"),
        ([{"pimId": 15360, "nodes": [{"path": "/Standard"}]}], "classifications[0]"),
        (
            [{"tid": "New", "nodes": [{"path": "/New/a"}, {"path": "/New"}]}],
            "classifications[0].nodes[1]",
        ),
    ]
    stack.clear_logs()
    for classes, item in cases:
        assert _error(stack.query(SAVE_CLASSES, {"c": classes}))["extensions"]["item"] == item
    _error(stack.query(DELETE_CLASSES, {}))
    assert stack.pim.app.state.log.count() == 0


# --- nodes -----------------------------------------------------------------------------------------


def test_create_a_node_by_parent_path_as_the_sample_and_see_it_as_a_child(
    stack: GatewayStack,
) -> None:
    read = '{ classificationNode(path: "/Standard/Bekleidung") { children { path } } }'
    before = _data(stack.query(read), "classificationNode")["children"]
    stack.clear_logs()
    node = {
        "parentPath": "/Standard/Bekleidung",
        "tid": "Accessories",
        "name": [
            {"locale": "en_EN", "text": "Accessories EN"},
            {"locale": "de_DE", "text": "Accessories DE"},
            {"locale": "fr_FR", "text": "Accessories FR"},
        ],
    }
    missing = {"parentPath": "/Standard/AAAA1", "tid": "AAAA11"}
    payload = _data(stack.query(SAVE_NODES, {"n": [node, missing]}), "saveClassificationNodes")
    expected = _sample("nodes_persist.create_by_parent_path.request.xml").replace(
        b"</nodes>", b'<node parentPath="/Standard/AAAA1" tid="AAAA11"/></nodes>'
    )
    assert_xml_equal(expected, _body(stack, "/nodes/persist"))
    created, failed = payload["results"]
    new_id = _store(stack).node_by_path("/Standard/Bekleidung/Accessories").id
    assert (created["status"], created["action"]) == ("SUCCESS", "CREATE")
    assert _ids(created) == {
        "id": str(new_id),
        "path": "/Standard/Bekleidung/Accessories",
        "tid": "Accessories",
    }
    assert failed["status"] == "ERROR"
    assert "Node with path '[Standard, AAAA1]' does not exist." in failed["message"]
    after = _data(stack.query(read), "classificationNode")["children"]
    assert after == [*before, {"path": "/Standard/Bekleidung/Accessories"}]


def test_update_nodes_by_path_and_id_create_a_root_and_delete(stack: GatewayStack) -> None:
    store = _store(stack)
    read = '{ classificationNode(path: "/Standard/Test") { name(locale: "de_DE") } }'
    stack.query(read)
    nodes = [
        {"path": "/Standard/Test", "name": [{"locale": "de_DE", "text": "Testknoten"}]},
        {"pimId": 999999, "name": [{"locale": "de_DE", "text": "x"}]},
        {"classificationTid": "RootNode", "tid": "RootNode"},
        {"parentPath": "/Standard", "tid": "Child"},
        {"parentPath": "/Standard/Child", "tid": "Grandchild"},
    ]
    payload = _data(stack.query(SAVE_NODES, {"n": nodes}), "saveClassificationNodes")
    statuses = [(r["status"], r["action"]) for r in payload["results"]]
    assert statuses == [
        ("SUCCESS", "UPDATE"),
        ("ERROR", "UPDATE"),
        ("ERROR", "CREATE"),  # RootNode already has its root
        ("SUCCESS", "CREATE"),
        ("SUCCESS", "CREATE"),  # created in order: its parent came just before
    ]
    assert payload["results"][1]["message"] == "Node with id 999999 does not exist."
    assert _data(stack.query(read), "classificationNode")["name"] == "Testknoten"

    stack.clear_logs()
    grandchild = store.node_by_path("/Standard/Child/Grandchild").id
    payload = _data(stack.query(DELETE_NODES, {"i": [grandchild]}), "deleteClassificationNodes")
    assert payload["results"][0]["status"] == "SUCCESS"
    payload = _data(
        stack.query(DELETE_NODES, {"p": ["/Standard/Child/", "/Standard/Test", "/Nope"]}),
        "deleteClassificationNodes",
    )
    done, busy, missing = payload["results"]
    assert (done["status"], done["action"]) == ("SUCCESS", "DELETE")
    assert busy["status"] == "ERROR" and "products are classified" in busy["message"]
    assert missing["message"] == "There is no node with the given path or id"
    assert store.node_by_path("/Standard/Child") is None
    gone = '{ classificationNode(path: "/Standard/Child") { path } }'
    assert _data(stack.query(gone), "classificationNode") is None


def test_node_delete_by_path_request_equals_the_sample(stack: GatewayStack) -> None:
    path = "/Root/Node1/Node1.1/"
    payload = _data(stack.query(DELETE_NODES, {"p": [path]}), "deleteClassificationNodes")
    assert_xml_equal(
        _sample("nodes_perform.delete_by_path.request.xml"), _body(stack, "/nodes/perform")
    )
    assert payload["results"][0]["status"] == "ERROR"


def test_node_input_is_refused_before_any_call(stack: GatewayStack) -> None:
    stack.clear_logs()
    assert _error(stack.query(SAVE_NODES, {"n": [{"tid": "Orphan"}]}))["extensions"]["item"] == (
        "nodes[0] (tid Orphan)"
    )
    _error(stack.query(SAVE_NODES, {"n": []}))
    _error(stack.query(DELETE_NODES, {"p": ["/a"], "i": [1]}))
    assert stack.pim.app.state.log.count() == 0


# --- attribute definitions and attributes ---------------------------------------------------------


def test_create_update_and_delete_attribute_definitions(stack: GatewayStack) -> None:
    read = '{ attributeDefinition(tid: "product_tid") { tid type name(locale: "de_DE") } }'
    assert _data(stack.query(read), "attributeDefinition") is None
    stack.clear_logs()
    definition = {
        "tid": "product_tid",
        "type": "TEXT",
        "name": [
            {"locale": "en_GB", "text": "SKU product"},
            {"locale": "de_DE", "text": "SKU Produkt"},
        ],
    }
    payload = _data(stack.query(SAVE_DEFS, {"d": [definition]}), "saveAttributeDefinitions")
    assert_xml_equal(
        _sample("attribute_definitions_persist.1_create.request.xml"),
        _body(stack, "/attribute-definitions/persist"),
    )
    assert (payload["results"][0]["status"], payload["results"][0]["action"]) == (
        "SUCCESS",
        "CREATE",
    )
    assert _data(stack.query(read), "attributeDefinition") == {
        "tid": "product_tid",
        "type": "TEXT",
        "name": "SKU Produkt",
    }
    payload = _data(
        stack.query(SAVE_DEFS, {"d": [{"pimId": 999999, "multiValued": True}]}),
        "saveAttributeDefinitions",
    )
    assert payload["results"][0]["message"] == "No attribute definition by id: 999999"

    payload = _data(
        stack.query(DELETE_DEFS, {"t": ["product_tid", "gender", "nope"]}),
        "deleteAttributeDefinitions",
    )
    done, attached, missing = payload["results"]
    assert (done["status"], done["action"]) == ("SUCCESS", "DELETE")
    assert attached["status"] == "ERROR" and "attached to" in attached["message"]
    assert missing["message"] == "There is no attribute definition with the given tid or id"
    assert _data(stack.query(read), "attributeDefinition") is None
    _error(stack.query(SAVE_DEFS, {"d": [{"type": "TEXT"}]}))


def test_attach_update_and_detach_attributes(stack: GatewayStack) -> None:
    # With includeInherited, the read takes one call per node and keeps every attribute;
    # the direct read groups by nodeId, which the PIM's attribute answers do not carry.
    read = '{ classificationNode(path: "/RootNode/someNode") { attributes(includeInherited: true) { pimId key restriction } } }'
    assert _mine(stack.query(read)) == []
    stack.clear_logs()
    created = _data(
        stack.query(SAVE_ATTRS, {"a": [_attr("product_id", nodePath="/RootNode/someNode")]}),
        "saveAttributes",
    )
    assert_xml_equal(
        _sample("attributes_persist.2_create_by_node_path.request.xml"),
        _body(stack, "/attributes/persist"),
    )
    (result,) = created["results"]
    assert (result["status"], result["action"]) == ("SUCCESS", "CREATE")
    attr_id = int(_ids(result)["id"])
    assert _mine(stack.query(read)) == [
        {"pimId": attr_id, "key": "product_id", "restriction": "optional"}
    ]
    updates = [
        {"key": "product_id", "pimId": attr_id, "restriction": "mandatory"},
        {"key": "product_id", "pimId": 999999},
        {"key": "no_such_definition", "nodePath": "/RootNode/someNode"},
    ]
    payload = _data(stack.query(SAVE_ATTRS, {"a": updates}), "saveAttributes")
    assert [r["status"] for r in payload["results"]] == ["SUCCESS", "ERROR", "ERROR"]
    assert payload["results"][1]["message"] == "Attribute with id 999999 was not found."
    assert "'no_such_definition' cannot be found" in payload["results"][2]["message"]
    assert _mine(stack.query(read))[0]["restriction"] == "mandatory"
    payload = _data(stack.query(DELETE_ATTRS, {"i": [attr_id, 999999]}), "deleteAttributes")
    assert [r["status"] for r in payload["results"]] == ["SUCCESS", "ERROR"]
    assert payload["results"][1]["message"] == "Attribute not found with given id"
    assert _mine(stack.query(read)) == []
    stack.clear_logs()
    _error(stack.query(SAVE_ATTRS, {"a": [{"key": "product_id"}]}))
    _error(stack.query(DELETE_ATTRS, {"i": []}))
    assert stack.pim.app.state.log.count() == 0


def test_a_503_on_a_structure_write_gives_unknown_results(stack: GatewayStack) -> None:
    stack.pim.app.state.faults.set(status=503, count=5)
    payload = _data(
        stack.query(DELETE_NODES, {"p": ["/Standard/Demo", "/Standard/Test"]}),
        "deleteClassificationNodes",
    )
    assert [(r["status"], r["action"]) for r in payload["results"]] == [("UNKNOWN", "DELETE")] * 2
    assert stack.pim.app.state.log.count() == 1
