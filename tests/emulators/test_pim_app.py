"""The PIM emulator's envelope: bearer auth, invalid input, XXE, the admin-only switch, seed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from gateway.emulators.demo import DEMO_PRODUCT_COUNT, demo_gtin, demo_tid
from gateway.emulators.pim import create_app
from gateway.emulators.serving import BackgroundServer
from tests.emulators.pim_examples import AUTH, PimClient, assert_sample, example, find
from tests.xmltree import parse_xml

BASE = "/api/core/v1"


@pytest.fixture
def pim(pim_server: BackgroundServer) -> Iterator[PimClient]:
    client = PimClient(pim_server.url)
    yield client
    client.close()


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "demo-pim-token"}]
)
def test_missing_or_wrong_bearer_is_401_with_issues(
    pim_server: BackgroundServer, headers: dict[str, str]
) -> None:
    response = httpx.post(
        f"{pim_server.url}{BASE}/pim/products/retrieve", json={"ids": [598800]}, headers=headers
    )
    assert response.status_code == 401
    root = parse_xml(response.content)
    assert root.tag == "{http://www.apollon.de/omn}response"
    assert find(root, "o:issues/o:itm[@key='description']").text == "Not authorized"
    assert find(root, "o:status").text == "ERROR"


def test_every_documented_endpoint_requires_auth(pim_server: BackgroundServer) -> None:
    paths = [route.path for route in pim_server.app.routes if route.path.startswith(BASE)]
    assert len(paths) == 23
    for path in paths:
        method = (
            "GET"
            if path in (f"{BASE}/pim/classes", f"{BASE}/pim/attribute-definitions")
            else "POST"
        )
        assert httpx.request(method, pim_server.url + path).status_code == 401, path


def test_malformed_xml_is_documented_invalid_input(pim: PimClient) -> None:
    root = pim.post_xml(
        "/pim/classes/persist", b"<pim xmlns='http://www.apollon.de/omn'><classes>", status=400
    )
    assert find(root, "o:issues/o:itm[@key='code']").text == "1001"
    assert find(root, "o:issues/o:itm[@key='description']").text == "Invalid input provided"
    assert "Malformed XML" in find(root, "o:issues/o:itms/o:itm[@key='errorMessage']").text


def test_malformed_json_is_invalid_input(pim: PimClient) -> None:
    response = pim.http.post(
        "/pim/products/retrieve", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert find(parse_xml(response.content), "o:issues/o:itm[@key='code']").text == "1001"


def test_wrong_root_element_is_invalid_input(pim: PimClient) -> None:
    pim.post_xml("/pim/classes/persist", b"<pim><classes/></pim>", status=400)


def test_external_entity_is_refused_and_not_expanded(
    pim: PimClient, pim_server: BackgroundServer
) -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE pim [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<pim xmlns="http://www.apollon.de/omn" schemaVersion="5.6.0"><classes>'
        b'<class tid="Evil"><name><itm loc="en_GB">&xxe;</itm></name></class></classes></pim>'
    )
    root = pim.post_xml("/pim/classes/persist", body, status=400)
    assert find(root, "o:issues/o:itm[@key='code']").text == "1001"
    assert pim_server.app.state.store.classification(tid="Evil") is None
    assert b"root:" not in pim.http.get("/pim/classes").content


def test_billion_laughs_is_refused_quickly(pim: PimClient) -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE pim [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b'<pim xmlns="http://www.apollon.de/omn"><classes><class tid="&c;"/></classes></pim>'
    )
    pim.post_xml("/pim/classes/persist", body, status=400)


def test_admin_only_switch_makes_node_calls_forbidden(
    pim: PimClient, pim_server: BackgroundServer
) -> None:
    switched = httpx.post(f"{pim_server.url}/__emulator__/admin-only", json={"enabled": True})
    assert switched.status_code == 204
    assert pim_server.app.state.store.nodes_admin_only is True
    root = pim.post_xml("/pim/nodes/persist", example("nodes_persist_parent_path_req"), status=403)
    assert_sample(root, example("nodes_persist_forbidden"))
    for path in ("/pim/nodes/query", "/pim/nodes/retrieve"):
        forbidden = pim.http.post(path, json={"ids": [15271]})
        assert forbidden.status_code == 403
        assert find(parse_xml(forbidden.content), "o:issues/o:itm[@key='code']").text == "1010"
    # Delete answers inside a 200, as the document shows.
    assert_sample(
        pim.post_xml("/pim/nodes/perform", example("nodes_perform_id_req")),
        example("nodes_perform_restricted"),
    )
    # Everything else stays available to the same user.
    pim.post_json("/pim/products/retrieve", {"ids": [598800]})
    httpx.post(f"{pim_server.url}/__emulator__/admin-only", json={"enabled": False})
    pim.post_json("/pim/nodes/retrieve", {"ids": [15271]})


def test_admin_only_switch_rejects_bad_payload(pim_server: BackgroundServer) -> None:
    assert (
        httpx.post(f"{pim_server.url}/__emulator__/admin-only", json={"enabled": "yes"}).status_code
        == 400
    )


def test_requests_are_logged_with_the_token_redacted(
    pim: PimClient, pim_server: BackgroundServer
) -> None:
    pim.post_json("/pim/products/retrieve", {"tids": [demo_tid(1)]})
    log = pim_server.app.state.log
    assert log.count("POST", f"{BASE}/pim/products/retrieve") == 1
    assert log.entries()[-1].headers["authorization"] == "<redacted>"


def test_seed_is_deterministic_fast_and_lines_up_with_the_demo_catalogue() -> None:
    started = time.perf_counter()
    store = create_app(seed=True).state.store
    assert time.perf_counter() - started < 0.5
    again = create_app(seed=True).state.store
    generated = [store.item("product", tid=demo_tid(i)) for i in range(1, DEMO_PRODUCT_COUNT + 1)]
    assert all(p is not None for p in generated)
    assert [p.vals["gtin"].entries[0].text for p in generated] == [
        demo_gtin(i) for i in range(1, DEMO_PRODUCT_COUNT + 1)
    ]
    assert [(i.id, i.tid) for i in store.products()] == [(i.id, i.tid) for i in again.products()]
    assert len({p.node for p in generated}) >= 3
    assert store.attr_def(tid="gtin").type == "text"
    kinds = {v.type for p in store.products() for item in p.walk() for v in item.vals.values()}
    assert kinds == {
        "simple",
        "localized",
        "multiple",
        "multi_loc",
        "domain",
        "loc_domain",
        "multi_domain",
        "multi_loc_domain",
    }


def test_unseeded_emulator_is_empty_and_takes_a_custom_token() -> None:
    app = create_app(seed=False, token="other")
    assert app.state.store.products() == []
    server = BackgroundServer(app).start()
    try:
        url = f"{server.url}{BASE}/pim/classes"
        assert httpx.get(url, headers={"Authorization": "Bearer other"}).status_code == 200
        assert httpx.get(url, headers=AUTH).status_code == 401
    finally:
        server.stop()


def test_answers_are_namespaced_pim_documents(pim: PimClient) -> None:
    root = pim.get("/pim/classes")
    assert root.tag == "{http://www.apollon.de/omn}pim"
    assert root.get("schemaVersion") == "5.6.0"
    assert find(root, "o:meta/o:itm[@key='messageType']").text == "request"


def test_xml_sent_as_json_content_type_is_read_as_xml(pim: PimClient) -> None:
    # The document's perform samples post XML with "Content-Type: application/json".
    body = example("products_perform_delete_tid_req")
    response = pim.http.post(
        "/pim/products/perform", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert_sample(response.content, example("products_perform_delete_resp"))


def test_json_body_on_an_xml_endpoint_is_invalid_input(pim: PimClient) -> None:
    response = pim.http.post("/pim/products/persist", json={"products": []})
    assert response.status_code == 400
    message = find(parse_xml(response.content), "o:issues/o:itms/o:itm[@key='errorMessage']").text
    assert message == "This endpoint accepts an XML <pim> document"


def test_numeric_tids_and_quoted_ids_are_read(pim: PimClient) -> None:
    assert pim.query("/pim/attributes/query", {"productTid": [150185]}) == {"ids": []}
    answer = pim.post_json("/pim/products/retrieve", {"ids": ["598800"]})
    assert find(answer, "o:products/o:product").get("tid") == "78fc9abb-2223-40dc-ac3e-26d42102d050"
    assert pim.http.post("/pim/products/retrieve", json={"ids": [True]}).status_code == 400
