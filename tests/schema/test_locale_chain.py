"""The locale chain of every localized field: argument, Accept-Language, default, any.

Unit tables for ``gateway/graphql/localized.py`` and the chain ``GatewayContext`` builds, then the
fields through HTTP against the emulators.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.context import normalize_locale, preferred_locales
from gateway.emulators.pim.store import Store
from gateway.graphql.examples import EXAMPLES
from gateway.graphql.localized import pick_locale, pick_text
from gateway.upstreams.records import LocalizedText
from tests.conftest import GatewayStack

# --- the pieces --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "locales", "expected"),
    [
        ({"en_GB": "Shirt", "de_DE": "Hemd"}, ["de_DE"], "Hemd"),
        ({"en_GB": "Shirt", "de_DE": "Hemd"}, ["de"], "Hemd"),
        ({"en_GB": "Shirt", "de_DE": "Hemd"}, ["fr_FR", "de_AT", "en_GB"], "Hemd"),
        ({"en_EN": "Shirt"}, ["en_GB"], "Shirt"),  # the PIM's own en_EN by language
        ({"de_de": "Hemd", "en_GB": "Shirt"}, ["de_DE"], "Hemd"),  # case does not matter
        ({"fr_FR": "Chemise"}, ["de_DE", "en_GB"], "Chemise"),  # any
        ({"de_DE": "", "fr_FR": "Chemise"}, ["de_DE"], "Chemise"),  # empty is no text
        ({"de_DE": " ", "en_GB": "Shirt"}, ["de_DE"], "Shirt"),
        ({"de_DE": ""}, ["de_DE"], None),
        ({}, ["de_DE"], None),
    ],
)
def test_pick_text(texts: dict[str, str], locales: list[str], expected: str | None) -> None:
    assert pick_text(texts, locales) == expected
    assert pick_text(LocalizedText(texts), locales) == expected


def test_a_plain_text_wins_and_none_is_none() -> None:
    assert pick_text(LocalizedText(plain="Product1"), ["de_DE"]) == "Product1"
    assert pick_text(LocalizedText(), ["de_DE"]) is None
    assert pick_text(None, ["de_DE"]) is None
    assert pick_locale([], ["de_DE"]) is None


@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("de-de", "de_DE"),
        ("de_DE", "de_DE"),
        ("DE", "de"),
        ("zh-Hant-TW", "zh_TW"),
        ("sr-Latn", "sr"),
        ("es-419", "es_419"),
        (" en-gb ", "en_GB"),
    ],
)
def test_normalize_locale(tag: str, locale: str) -> None:
    assert normalize_locale(tag) == locale


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", ("de_DE", "de", "en", "en_GB")),
        ("en;q=0.5, fr", ("fr", "en", "en_GB")),
        ("fr;q=0, de", ("de", "en_GB")),  # q=0: not acceptable (RFC 9110)
        ("*, it;q=0.1", ("it", "en_GB")),
        ("de;q=x", ("en_GB",)),
        ("", ("en_GB",)),
        (None, ("en_GB",)),
    ],
)
def test_preferred_locales(header: str | None, expected: tuple[str, ...]) -> None:
    assert preferred_locales(header, "en_GB") == expected


# --- through HTTP ------------------------------------------------------------------------

TITLE = """query($loc: String) { product(tid: "DEMO-0001") {
  value(attr: "product_title") { value(locale: $loc) localizedEntries(locale: $loc) { value } } } }"""


def _title(stack: GatewayStack, locale: str | None, **headers: str) -> str:
    answer = stack.query(TITLE, {"loc": locale}, **headers)
    assert "errors" not in answer, answer["errors"]
    value = answer["data"]["product"]["value"]
    assert [e["value"] for e in value["localizedEntries"]] == [value["value"]]
    return value["value"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("argument", "accept_language", "expected"),
    [
        ("de-DE", "en", "Demoprodukt 1"),  # 1: the argument
        ("fr_FR", "de-CH, en;q=0.5", "Demoprodukt 1"),  # 2: then Accept-Language
        (None, "fr, it", "Demo product 1"),  # 3: then the default setting (en_GB)
        (None, "de;q=0, en;q=0.1", "Demo product 1"),  # a language refused with q=0
    ],
)
def test_a_value_follows_the_chain(
    stack: GatewayStack, argument: str | None, accept_language: str, expected: str
) -> None:
    assert _title(stack, argument, **{"Accept-Language": accept_language}) == expected


def _damen(stack: GatewayStack) -> Any:
    store: Store = stack.pim.app.state.store
    node = store.node_by_path("/Standard/Bekleidung/Damen")
    assert node is not None
    return node


NODE = '{ classificationNode(path: "/Standard/Bekleidung/Damen") { name de: name(locale: "de") } }'


def test_then_any_locale_the_field_has(stack: GatewayStack) -> None:
    _damen(stack).name = {"fr_FR": "Femmes"}  # in none of de, en_GB
    answer = stack.query(NODE, **{"Accept-Language": "de-DE"})
    assert answer["data"]["classificationNode"] == {"name": "Femmes", "de": "Femmes"}


def test_an_empty_text_is_passed_over(stack: GatewayStack) -> None:
    _damen(stack).name = {"de_DE": "", "en_GB": "Women"}
    answer = stack.query(NODE, **{"Accept-Language": "de-DE"})
    assert answer["data"]["classificationNode"] == {"name": "Women", "de": "Women"}


def test_the_first_graphiql_example_names_its_node(stack: GatewayStack) -> None:
    # Nodes are answered with <name/> as the PIM's own samples show them: the tid, which is
    # what the path shows, is the name left.
    example = EXAMPLES[0]
    answer = stack.query(example["query"], example.get("variables"))
    assert "errors" not in answer, answer["errors"]
    node = answer["data"]["product"]["node"]
    assert (node["path"], node["name"]) == ("/Standard/Bekleidung/Damen", "Damen")
    assert answer["data"]["product"]["node"]["parent"]["path"] == "/Standard/Bekleidung"


def test_every_localized_field_takes_the_request_locale(stack: GatewayStack) -> None:
    query = """{ product(tid: "DEMO-0003") { name value(attr: "product_title") { value } }
      attributeDefinition(tid: "care_note") { name domainValues { key name } }
      classification(tid: "Standard") { name rootNode { name } } }"""
    german = stack.query(query, **{"Accept-Language": "de-DE"})["data"]
    english = stack.query(query)["data"]
    assert german["product"]["value"]["value"] == "Demoprodukt 3"
    assert english["product"]["value"]["value"] == "Demo product 3"
    assert german["product"]["name"] == english["product"]["name"] == "Demo product 003"
    assert german["attributeDefinition"]["name"] == "Pflegehinweis"
    assert english["attributeDefinition"]["name"] == "Care note"  # en_GB finds en_EN
    domain = german["attributeDefinition"]["domainValues"]
    assert domain[1] == {"key": "Hand wash only", "name": "Nur Handwäsche"}
    # Named in no locale: a classification and its root node read as their tid.
    assert german["classification"] == {"name": "Standard", "rootNode": {"name": "Standard"}}
