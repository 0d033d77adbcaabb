"""PIM product mutations through HTTP against the emulator: its state, its log, the cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import GatewayStack
from tests.xmltree import assert_xml_equal

PIM = "/api/core/v1/pim"
SAMPLES = Path(__file__).parents[1] / "upstreams" / "pim_examples"
RESULT = "ok results { index item status action dataType message ids { key value } answers { item dataType status action message ids { key value } } }"
SAVE = f"mutation($p: [ProductInput!]!) {{ saveProducts(products: $p) {{ {RESULT} }} }}"
DELETE = (
    f"mutation($t: [String!], $i: [Int!]) {{ deleteProducts(tids: $t, pimIds: $i) {{ {RESULT} }} }}"
)
COPY = f"""mutation($t: String, $i: Int, $n: String, $nt: String) {{
  copyProduct(tid: $t, pimId: $i, newName: $n, newTid: $nt) {{
    {RESULT} product {{ tid pimId name node {{ path }} articles {{ name }} }}
  }}
}}"""
LINK = f"mutation($l: [ProductLinkInput!]!) {{ linkProducts(links: $l) {{ {RESULT} }} }}"
UNLINK = f"mutation($l: [ProductLinkInput!]!) {{ unlinkProducts(links: $l) {{ {RESULT} }} }}"


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _bodies(stack: GatewayStack, path: str) -> list[bytes]:
    return [e.body for e in stack.pim.app.state.log.entries() if e.path == f"{PIM}{path}"]


def _data(answer: dict[str, Any], field: str) -> Any:
    assert "errors" not in answer, answer["errors"]
    return answer["data"][field]


def _ids(result: dict[str, Any]) -> dict[str, str]:
    return {i["key"]: i["value"] for i in result["ids"]}


def _store(stack: GatewayStack) -> Any:
    return stack.pim.app.state.store


def test_a_rename_is_read_back_through_the_same_cached_gateway(stack: GatewayStack) -> None:
    read = '{ product(tid: "DEMO-0001") { name } }'
    before = _data(stack.query(read), "product")["name"]
    assert _data(stack.query(read), "product")["name"] == before  # now cached
    payload = _data(
        stack.query(SAVE, {"p": [{"tid": "DEMO-0001", "name": "Renamed"}]}), "saveProducts"
    )
    assert payload["ok"] is True
    (result,) = payload["results"]
    assert (result["index"], result["item"], result["status"]) == (0, "products[0]", "SUCCESS")
    assert (result["action"], result["dataType"]) == ("UPDATE", "product")
    assert result["message"] == "The product has been saved successfully"
    assert _ids(result) == {"tid": "DEMO-0001"}
    assert _data(stack.query(read), "product")["name"] == "Renamed"
    by_id = _store(stack).item("product", tid="DEMO-0001").id
    answer = stack.query("query($i: Int) { product(pimId: $i) { name } }", {"i": by_id})
    assert _data(answer, "product")["name"] == "Renamed"


def test_rename_by_pim_id_sends_the_documents_request(stack: GatewayStack) -> None:
    product = _store(stack).item("product", tid="DEMO-0002")
    stack.query('{ product(tid: "DEMO-0002") { name } }')
    stack.clear_logs()
    payload = _data(
        stack.query(SAVE, {"p": [{"pimId": product.id, "name": "Product2"}]}), "saveProducts"
    )
    assert payload["results"][0]["status"] == "SUCCESS"
    expected = _sample("products_persist.4_rename_product_by_id.request.xml").replace(
        b"26594", str(product.id).encode()
    )
    (body,) = _bodies(stack, "/products/persist")
    assert_xml_equal(expected, body)
    # Named by id only: the tid-keyed cache entry went too.
    assert (
        _data(stack.query('{ product(tid: "DEMO-0002") { name } }'), "product")["name"]
        == "Product2"
    )


def test_values_and_name_request_equals_the_sample(stack: GatewayStack) -> None:
    product = {
        "tid": "73c7992f-5f66-4d99-9ca7-9efa3f1b8281",
        "name": "Product2",
        "values": [
            {"attr": "STRING_SIMPLE", "value": "string"},
            {"attr": "NUMBER_SIMPLE", "entries": [{"value": "6395629"}]},
            {
                "attr": "ENUMERATION_L",
                "kind": "MULTI_LOC",
                "entries": [
                    {"value": "Brown", "locale": "en_EN", "position": 0},
                    {"value": "Yellow", "locale": "en_EN", "position": 1},
                ],
            },
        ],
    }
    payload = _data(stack.query(SAVE, {"p": [product]}), "saveProducts")
    (body,) = _bodies(stack, "/products/persist")
    assert_xml_equal(_sample("products_persist.7_save_values_and_name.request.xml"), body)
    # The seeded sample product is renamed and its values set.
    assert payload["ok"] is True
    (result,) = payload["results"]
    assert (result["status"], result["action"]) == ("SUCCESS", "UPDATE")
    item = _store(stack).item("product", tid=product["tid"])
    assert item.name == "Product2"
    assert [(e.text, e.loc, e.pos) for e in item.vals["ENUMERATION_L"].entries] == [
        ("Brown", "en_EN", "0"),
        ("Yellow", "en_EN", "1"),
    ]
    assert item.vals["STRING_SIMPLE"].entries[0].text == "string"


def test_create_a_tree_with_all_value_kinds(stack: GatewayStack) -> None:
    tree = {
        "tid": "NEW-1",
        "name": "New shirt",
        "node": "/Standard/Test",
        "values": [
            {"attr": "gtin", "kind": "SIMPLE", "dataType": "TEXT", "value": "4000000000999"},
            {
                "attr": "color",
                "kind": "LOCALIZED",
                "entries": [
                    {"value": "Red", "locale": "en_EN"},
                    {"value": "Rot", "locale": "de_DE"},
                ],
            },
            {
                "attr": "description_long",
                "kind": "MULTIPLE",
                "entries": [{"value": "a", "position": 0}, {"value": "b", "position": 1}],
            },
            {
                "attr": "product_title",
                "kind": "MULTI_LOC",
                "entries": [{"value": "x", "locale": "en_EN", "position": 0}],
            },
            {"attr": "material", "kind": "DOMAIN", "entries": [{"key": "cotton"}]},
            {
                "attr": "currency",
                "kind": "LOC_DOMAIN",
                "entries": [{"key": "EUR", "locale": "en_EN", "value": "EUR"}],
            },
            {
                "attr": "care_note",
                "kind": "MULTI_DOMAIN",
                "entries": [{"key": "wash30", "position": 0}],
            },
            {
                "attr": "gender",
                "kind": "MULTI_LOC_DOMAIN",
                "entries": [{"key": "f", "locale": "en_EN", "position": 0, "value": "female"}],
            },
        ],
        "articles": [
            {"tid": "NEW-1-A1", "name": "Red", "variants": [{"tid": "NEW-1-A1-V1", "name": "S"}]},
            {"name": "Blue"},
        ],
    }
    payload = _data(stack.query(SAVE, {"p": [tree]}), "saveProducts")
    assert payload["ok"] is True, payload
    (result,) = payload["results"]
    assert (result["status"], result["action"], _ids(result)) == (
        "SUCCESS",
        "CREATE",
        {"tid": "NEW-1"},
    )
    answers = [(a["item"], a["dataType"], a["action"]) for a in result["answers"]]
    assert answers == [
        ("products[0]", "product", "CREATE"),
        ("products[0].articles[0]", "article", "CREATE"),
        ("products[0].articles[0].variants[0]", "variant", "CREATE"),
        ("products[0].articles[1]", "article", "CREATE"),
    ]
    item = _store(stack).item("product", tid="NEW-1")
    assert item.node == "/Standard/Test"
    assert {k: v.type for k, v in item.vals.items()} == {
        "gtin": "simple",
        "color": "localized",
        "description_long": "multiple",
        "product_title": "multi_loc",
        "material": "domain",
        "currency": "loc_domain",
        "care_note": "multi_domain",
        "gender": "multi_loc_domain",
    }
    assert [c.name for c in item.children] == ["Red", "Blue"]
    assert item.children[0].children[0].tid == "NEW-1-A1-V1"
    read = _data(stack.query('{ product(tid: "NEW-1") { name articles { name } } }'), "product")
    assert read == {"name": "New shirt", "articles": [{"name": "Red"}, {"name": "Blue"}]}


def test_only_the_values_sent_change(stack: GatewayStack) -> None:
    before = dict(_store(stack).item("product", tid="DEMO-0003").vals)
    values = [
        {"attr": "color", "kind": "LOCALIZED", "entries": [{"value": "Grün", "locale": "de_DE"}]}
    ]
    payload = _data(
        stack.query(SAVE, {"p": [{"tid": "DEMO-0003", "values": values}]}), "saveProducts"
    )
    assert payload["ok"] is True
    after = _store(stack).item("product", tid="DEMO-0003").vals
    assert set(after) == set(before) | {"color"}
    assert {k: v for k, v in after.items() if k != "color"} == {
        k: v for k, v in before.items() if k != "color"
    }


def test_article_answers_stay_with_their_product_and_a_warning_is_reported(
    stack: GatewayStack,
) -> None:
    products = [
        # Only carries a new article: the PIM answers for the article alone.
        {"tid": "DEMO-0005", "articles": [{"name": "Extra article"}]},
        {"tid": "DEMO-0006", "values": [{"attr": "no_such_attr", "value": "x"}]},
        {"tid": "DEMO-0007", "name": "Fine"},
    ]
    payload = _data(stack.query(SAVE, {"p": products}), "saveProducts")
    first, second, third = payload["results"]
    assert [a["item"] for a in first["answers"]] == ["products[0].articles[0]"]
    assert (first["status"], first["dataType"], first["action"]) == ("SUCCESS", "article", "CREATE")
    assert second["status"] == "WARNING"
    assert "Attribute definition: 'no_such_attr' cannot be found" in second["message"]
    assert (third["status"], third["item"]) == ("SUCCESS", "products[2]")
    assert payload["ok"] is True  # a WARNING is not a failure, but it is there to see


def test_an_unknown_pim_id_fails_its_own_item_only(stack: GatewayStack) -> None:
    products = [
        {"pimId": 999999, "articles": [{"name": "orphan"}]},
        {"tid": "DEMO-0008", "name": "Still renamed"},
    ]
    payload = _data(stack.query(SAVE, {"p": products}), "saveProducts")
    first, second = payload["results"]
    assert first["status"] == "ERROR"
    assert first["message"] == "There is no product with the given tid or id"
    assert second["status"] == "SUCCESS"
    assert _store(stack).item("product", tid="DEMO-0008").name == "Still renamed"


def test_invalid_input_is_refused_before_any_call(stack: GatewayStack) -> None:
    cases = [
        ([], "products", "no products given"),
        ([{"name": "No node"}], "products[0]", "node path"),
        ([{"tid": "DEMO-0001"}], "products[0]", "nothing to save"),
        (
            [
                {
                    "tid": "DEMO-0001",
                    "values": [{"attr": "color", "kind": "LOCALIZED", "entries": [{"value": "x"}]}],
                }
            ],
            "products[0].values[0].entries[0]",
            "needs locale",
        ),
        (
            [
                {
                    "tid": "DEMO-0001",
                    "values": [
                        {"attr": "care_note", "kind": "MULTI_DOMAIN", "entries": [{"key": "k"}]}
                    ],
                }
            ],
            "products[0].values[0].entries[0]",
            "needs position",
        ),
        (
            [
                {
                    "tid": "DEMO-0001",
                    "values": [
                        {"attr": "gtin", "kind": "SIMPLE", "entries": [{"value": "1", "key": "k"}]}
                    ],
                }
            ],
            "products[0].values[0].entries[0]",
            "takes no key",
        ),
        (
            [{"tid": "DEMO-0001", "values": [{"attr": "gtin", "value": "1", "entries": []}]}],
            "products[0].values[0]",
            "either entries",
        ),
        (
            [{"tid": "DEMO-0001", "articles": [{"tid": "A", "variants": [{"tid": "V"}]}]}],
            "products[0].articles[0].variants[0]",
            "nothing to save",
        ),
    ]
    stack.clear_logs()
    for products, item, words in cases:
        answer = stack.query(SAVE, {"p": products})
        (error,) = answer["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["extensions"].get("item") == item, error
        assert words in error["message"], error
    assert stack.pim.app.state.log.count() == 0


def test_a_503_on_a_write_gives_unknown_results_after_one_request(stack: GatewayStack) -> None:
    stack.pim.app.state.faults.set(status=503, count=5)
    products = [{"tid": "DEMO-0001", "name": "A"}, {"tid": "DEMO-0002", "name": "B"}]
    answer = stack.query(SAVE, {"p": products})
    payload = _data(answer, "saveProducts")
    assert payload["ok"] is False
    assert [r["status"] for r in payload["results"]] == ["UNKNOWN", "UNKNOWN"]
    assert "some items may have been saved" in payload["results"][0]["message"]
    assert stack.pim.app.state.log.count() == 1


def test_delete_by_tid_and_an_unknown_one(stack: GatewayStack) -> None:
    stack.query('{ product(tid: "DEMO-0010") { name } }')  # cached
    tids = ["DEMO-0010", "NO-SUCH-PRODUCT"]
    payload = _data(stack.query(DELETE, {"t": tids}), "deleteProducts")
    ok, missing = payload["results"]
    assert (ok["status"], ok["action"], ok["message"]) == (
        "SUCCESS",
        "DELETE",
        "The product has been deleted successfully",
    )
    assert (missing["status"], missing["message"]) == (
        "ERROR",
        "There is no product with the given tid or id",
    )
    assert _store(stack).item("product", tid="DEMO-0010") is None
    assert _data(stack.query('{ product(tid: "DEMO-0010") { name } }'), "product") is None


def test_delete_request_equals_the_sample(stack: GatewayStack) -> None:
    tid = "37590039-3AEA-4A13-9C3A-C6EC3C94ADCE"
    payload = _data(stack.query(DELETE, {"t": [tid]}), "deleteProducts")
    assert payload["results"][0]["status"] == "SUCCESS"
    assert _ids(payload["results"][0]) == {"tid": tid}
    (body,) = _bodies(stack, "/products/perform")
    assert_xml_equal(_sample("products_perform.delete_by_tid.request.xml"), body)
    assert _store(stack).item("product", tid=tid) is None


def test_delete_by_pim_id_and_refusals(stack: GatewayStack) -> None:
    pim_id = _store(stack).item("product", tid="DEMO-0011").id
    payload = _data(stack.query(DELETE, {"i": [pim_id]}), "deleteProducts")
    assert payload["results"][0]["status"] == "SUCCESS"
    assert _store(stack).item("product", id=pim_id) is None
    stack.clear_logs()
    for variables in ({}, {"t": ["a"], "i": [1]}, {"t": []}):
        (error,) = stack.query(DELETE, variables)["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert stack.pim.app.state.log.count() == 0


def test_copy_returns_the_new_product_loaded_after_eviction(stack: GatewayStack) -> None:
    source = "37590039-3aea-4a13-9c3a-c6ec3c94adce"
    new_tid = "37590039-aaaa-4a13-9c3a-c6ec3c94adce"
    created = stack.query(
        SAVE,
        {
            "p": [
                {
                    "tid": source,
                    "name": "Original",
                    "node": "/Standard/Test",
                    "articles": [{"name": "A1"}],
                }
            ]
        },
    )
    assert _data(created, "saveProducts")["ok"] is True
    # Read the copy's tid before it exists: a missing product is cached too.
    assert _data(stack.query(f'{{ product(tid: "{new_tid}") {{ tid }} }}'), "product") is None
    stack.clear_logs()
    variables = {"t": source, "n": "NewProduct", "nt": new_tid}
    payload = _data(stack.query(COPY, variables), "copyProduct")
    (body,) = _bodies(stack, "/products/perform")
    assert_xml_equal(_sample("products_perform.copy_by_tid.request.xml"), body)
    assert payload["ok"] is True
    (result,) = payload["results"]
    copy = _store(stack).item("product", tid=new_tid)
    assert (result["action"], _ids(result)["productId"]) == ("COPY", str(copy.id))
    assert payload["product"] == {
        "tid": new_tid,
        "pimId": copy.id,
        "name": "NewProduct",
        "node": {"path": "/Standard/Test"},
        "articles": [{"name": "A1"}],
    }
    assert _data(stack.query(f'{{ product(tid: "{new_tid}") {{ name }} }}'), "product") == {
        "name": "NewProduct"
    }


def test_copy_of_an_unknown_product_is_an_error_without_product(stack: GatewayStack) -> None:
    payload = _data(stack.query(COPY, {"t": "nope"}), "copyProduct")
    assert payload["ok"] is False
    assert payload["results"][0]["message"] == "There is no product with the given tid or id"
    assert payload["product"] is None
    (error,) = stack.query(COPY, {})["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_link_several_to_several_and_unlink(stack: GatewayStack) -> None:
    sources = ["73c7992f-5f66-4d99-9ca7-9efa3f1b8281", "28e09c5f-9f23-4274-8bb5-4e0924d52076"]
    targets = ["ab96e6b1-d874-4cea-9ab9-141fcf6804bc", "e8712bfd-6701-4833-9197-b259ea42dd84"]
    products = [
        {"tid": tid, "name": f"P{i}", "node": "/Standard/Test"}
        for i, tid in enumerate(sources + targets)
    ]
    assert _data(stack.query(SAVE, {"p": products}), "saveProducts")["ok"] is True
    stack.clear_logs()
    link = {"productTids": sources, "targetProductTids": targets}
    payload = _data(stack.query(LINK, {"l": [link]}), "linkProducts")
    assert payload["ok"] is True
    assert payload["results"][0]["action"] == "LINK"
    assert payload["results"][0]["message"] == "The products has been linked successfully"
    (body,) = _bodies(stack, "/products/links/persist")
    assert_xml_equal(
        _sample("products_links_persist.5_several_to_several_by_tids.request.xml"), body
    )
    store = _store(stack)
    target_ids = [store.item("product", tid=t).id for t in targets]
    assert store.item("product", tid=sources[0]).product_links["PRODUCT_REF"] == target_ids

    unlink = {"productTids": [sources[0]], "targetProductPimIds": [target_ids[0]]}
    missing = {"productTids": ["nope"], "targetProductTids": [targets[0]]}
    payload = _data(stack.query(UNLINK, {"l": [unlink, missing]}), "unlinkProducts")
    done, failed = payload["results"]
    assert (done["status"], done["action"]) == ("SUCCESS", "UNLINK")
    assert failed["status"] == "ERROR"
    assert "There is no target products" in failed["message"]
    assert store.item("product", tid=sources[0]).product_links["PRODUCT_REF"] == target_ids[1:]
    (error,) = stack.query(UNLINK, {"l": [{"productTids": sources, "targetProductTids": targets}]})[
        "errors"
    ]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
