"""Enums and typed accessors over what the PIM holds, through HTTP against the emulators.

The document's own product (``products_retrieve.get_product``) carries every value kind and
data type; the emulator's store is changed in place where a test needs a spelling the
document does not use (an unknown status, the prose's ``real``, a number that isn't one).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from gateway.emulators.pim.seed import DEMO_PRODUCT_TID
from gateway.emulators.pim.store import Entry, Store
from tests.conftest import GatewayStack

VALUES = """query($tid: String!) { product(tid: $tid) { status statusRaw
  articles { status variants { status } }
  values { attr kind kindRaw dataType dataTypeRaw inheritance inheritanceRaw
    value number dateTime boolean key
    localizedEntries { value number dateTime boolean key locale position } } } }"""


def _product(stack: GatewayStack, tid: str = DEMO_PRODUCT_TID, **headers: str) -> dict[str, Any]:
    answer = stack.query(VALUES, {"tid": tid}, **headers)
    assert "errors" not in answer, answer["errors"]
    product: dict[str, Any] = answer["data"]["product"]
    return product


def _values(product: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["attr"]: v for v in product["values"]}


def _store(stack: GatewayStack) -> Store:
    store: Store = stack.pim.app.state.store
    return store


# --- enums -------------------------------------------------------------------------------


def test_kinds_data_types_and_statuses_are_enums_with_the_text_beside(
    stack: GatewayStack,
) -> None:
    product = _product(stack)
    assert (product["status"], product["statusRaw"]) == ("READY", "READY")
    assert product["articles"][0]["status"] == "READY"
    assert product["articles"][0]["variants"][0]["status"] == "READY"
    found = {
        attr: (v["kind"], v["kindRaw"], v["dataType"], v["dataTypeRaw"])
        for attr, v in _values(product).items()
    }
    assert found["STRING_LISTED_LOC"] == ("MULTI_LOC", "multi_loc", "TEXT", "text")
    assert found["DATE_LISTED_2"] == ("MULTIPLE", "multiple", "DATE", "date")
    assert found["BOOLEAN"] == ("LOCALIZED", "localized", "BOOLEAN", "boolean")
    assert found["REAL_LISTED_2"] == ("MULTIPLE", "multiple", "NUMBER", "number")
    assert found["STRING_LISTED_DOMAIN"][0] == "MULTI_LOC_DOMAIN"
    assert found["STRING_DOMAIN"][0] == "LOC_DOMAIN"
    # The document's answers send inheritance="false" on values: a boolean as text.
    assert {(v["inheritance"], v["inheritanceRaw"]) for v in product["values"]} == {
        (False, "false")
    }


def test_the_documents_prose_spellings_read_as_the_members(stack: GatewayStack) -> None:
    values = _store(stack).item("product", tid=DEMO_PRODUCT_TID).vals  # type: ignore[union-attr]
    values["NUMBER"].data_type = "real"
    values["STRING"].data_type = "String"
    found = _values(_product(stack))
    assert (found["NUMBER"]["dataType"], found["NUMBER"]["dataTypeRaw"]) == ("NUMBER", "real")
    assert (found["STRING"]["dataType"], found["STRING"]["dataTypeRaw"]) == ("TEXT", "String")


def test_an_unknown_spelling_is_null_with_its_text_kept_and_logged_once(
    stack: GatewayStack, caplog: pytest.LogCaptureFixture
) -> None:
    item = _store(stack).item("product", tid=DEMO_PRODUCT_TID)
    assert item is not None
    item.status = "IN_WORK"
    item.vals["NUMBER"].data_type = "currency"
    item.vals["NUMBER"].type = "matrix"
    item.vals["NUMBER"].inheritance = "visible"
    with caplog.at_level(logging.WARNING, logger="gateway.schema"):
        product = _product(stack)
        _product(stack, **{"Accept-Language": "de"})  # another answer, same spellings
    assert (product["status"], product["statusRaw"]) == (None, "IN_WORK")
    number = _values(product)["NUMBER"]
    assert (number["dataType"], number["dataTypeRaw"]) == (None, "currency")
    assert (number["kind"], number["kindRaw"]) == (None, "matrix")
    assert (number["inheritance"], number["inheritanceRaw"]) == (None, "visible")
    assert number["value"] == "5.432" and number["number"] == "5.432"  # the read goes on
    logged = [r.getMessage() for r in caplog.records if r.name == "gateway.schema"]
    assert sum("'IN_WORK'" in m and "ProductItem.status" in m for m in logged) == 1
    assert sum("'currency'" in m for m in logged) == 1


def test_attributes_and_definitions_answer_enums(stack: GatewayStack) -> None:
    answer = stack.query(
        """{ attributes(nodePaths: ["/RootNode/ChildNode"], includeInherited: true) {
             key level levelRaw inheritance inheritanceRaw definition { type typeRaw } }
           attributeDefinitions(tids: ["PRODUCT_REF", "TABLE", "NUMBER"]) { tid type typeRaw } }"""
    )
    assert "errors" not in answer, answer["errors"]
    attributes = {a["key"]: a for a in answer["data"]["attributes"]}
    assert attributes["new1"] == {
        "key": "new1",
        "level": "PRODUCT",
        "levelRaw": "p",
        "inheritance": "NOT_VISIBLE",
        "inheritanceRaw": "not_visible",
        "definition": {"type": "TEXT", "typeRaw": "text"},
    }
    types = {d["tid"]: (d["type"], d["typeRaw"]) for d in answer["data"]["attributeDefinitions"]}
    assert types == {
        "PRODUCT_REF": ("REF", "ref"),
        "TABLE": ("TABLE", "table"),
        "NUMBER": ("NUMBER", "number"),
    }


# --- typed accessors ---------------------------------------------------------------------


def test_numbers_instants_booleans_and_keys_beside_the_text(stack: GatewayStack) -> None:
    found = _values(_product(stack))
    assert (found["NUMBER"]["value"], found["NUMBER"]["number"]) == ("5.432", "5.432")
    assert found["DATE"]["dateTime"] == "2022-12-20T11:06:18+00:00"
    assert found["DATE"]["value"] == "2022-12-20T11:06:18.000Z"
    assert found["BOOLEAN"]["boolean"] is True
    assert (found["STRING_DOMAIN"]["key"], found["STRING_DOMAIN"]["value"]) == (
        "Domain value 1",
        "Domain value 1",  # no text in the entry: the key stands for it
    )
    # A text that does not read as the type: null beside the text, never an error.
    assert (found["DATE"]["number"], found["DATE"]["boolean"]) == (None, None)
    assert (found["NUMBER"]["dateTime"], found["STRING_DOMAIN"]["number"]) == (None, None)
    assert found["NUMBER"]["key"] is None


def test_a_list_value_in_order_with_each_entry_typed(stack: GatewayStack) -> None:
    found = _values(_product(stack))
    dates = found["DATE_LISTED_2"]["localizedEntries"]
    assert [(e["position"], e["dateTime"]) for e in dates] == [
        (0, "2022-12-14T06:26:00+00:00"),
        (1, "2022-12-16T06:26:00+00:00"),
    ]
    booleans = found["BOOLEAN_LISTED"]["localizedEntries"]
    assert [(e["locale"], e["boolean"]) for e in booleans] == [("en_EN", True), ("en_EN", False)]
    numbers = found["NUBMER_LISTED"]
    # value reads the first of the list (it read the last one of the locale before).
    assert (numbers["value"], numbers["number"]) == ("1", "1")
    assert [e["number"] for e in numbers["localizedEntries"]] == ["1", "2"]


def test_a_text_that_is_not_a_number_keeps_its_text(stack: GatewayStack) -> None:
    values = _store(stack).item("product", tid=DEMO_PRODUCT_TID).vals  # type: ignore[union-attr]
    values["NUMBER"].entries = [Entry("12,5", loc="en_EN")]
    values["BOOLEAN"].entries = [Entry("yes", loc="en_EN")]
    values["DATE"].entries = [Entry("20.12.2022", loc="en_EN")]
    found = _values(_product(stack))
    assert (found["NUMBER"]["value"], found["NUMBER"]["number"]) == ("12,5", None)
    assert (found["BOOLEAN"]["value"], found["BOOLEAN"]["boolean"]) == ("yes", None)
    assert (found["DATE"]["value"], found["DATE"]["dateTime"]) == ("20.12.2022", None)


def test_typed_accessors_follow_the_locale_chain(stack: GatewayStack) -> None:
    answer = stack.query(
        """query($tid: String!) { product(tid: $tid) {
             n: value(attr: "NUMBER_2") { number de: number(locale: "de-DE") }
             d: value(attr: "DATE_2") { dateTime de: dateTime(locale: "de_DE") }
             k: value(attr: "STRING_DOMAIN") { key de: key(locale: "de") fr: key(locale: "fr") }
           } }""",
        {"tid": DEMO_PRODUCT_TID},
        **{"Accept-Language": "de-DE"},
    )
    product = answer["data"]["product"]
    assert product["n"] == {"number": "3", "de": "3"}
    assert product["d"]["dateTime"] == "2022-12-19T06:26:00+00:00"
    # fr is not there: Accept-Language (de) is next in the chain.
    assert product["k"] == {"key": "Domain value 2", "de": "Domain value 2", "fr": "Domain value 2"}
    english = stack.query(
        'query($t: String!) { product(tid: $t) { value(attr: "NUMBER_2") { number } } }',
        {"t": DEMO_PRODUCT_TID},
    )
    assert english["data"]["product"]["value"]["number"] == "1"  # default en_GB: en_EN
