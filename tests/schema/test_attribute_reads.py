"""Attributes through the schema, against the PIM emulator: what is asked, and how often.

Row 1 of issue 13: every attributes/retrieve asks ``withDomainValues`` and ``withDefaultValues``,
so ``Attribute.defaultValues`` and ``domainValues`` show what the PIM holds. Row 9: products
on a handful of nodes cost one attributes call per 100 distinct nodes (and one tree read), not
one per product. Request bodies are compared as JSON, counts read from the emulator's log.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from lxml import etree

from gateway.emulators.demo import demo_tid
from gateway.emulators.pim.seed import domain_vals
from gateway.emulators.pim.store import Attribute, Store
from gateway.emulators.pim.xml import q
from tests.conftest import GatewayStack

PIM = "/api/core/v1/pim"
FLAGS = {"withDomainValues": True, "withDefaultValues": True}
SAMPLE_PRODUCT = "ec98dde6-4064-465d-a1fb-237e2f10a336"  # on /RootNode/ChildNode, as 44812
FIELDS = 'pimId key defaultValues domainValues { key name(locale: "de_DE") }'


def _bodies(stack: GatewayStack, endpoint: str) -> list[Any]:
    return [e.json() for e in stack.pim.app.state.log.entries() if e.path == f"{PIM}/{endpoint}"]


def _calls(stack: GatewayStack) -> Counter[str]:
    return Counter(e.path.removeprefix(PIM + "/") for e in stack.pim.app.state.log.entries())


# --- row 1: default and domain values ---------------------------------------------------------


def test_attribute_default_and_domain_values_are_asked_for_and_shown(stack: GatewayStack) -> None:
    new1 = {
        "pimId": 46190,
        "key": "new1",
        "defaultValues": ["domain1"],
        "domainValues": [{"key": "domain1", "name": "domain1-de"}],
    }
    by_id = stack.query(f"{{ attributes(pimIds: [46190]) {{ {FIELDS} }} }}")
    assert by_id == {"data": {"attributes": [new1]}}
    assert _bodies(stack, "attributes/retrieve") == [{"ids": [46190], **FLAGS}]

    stack.clear_logs()
    node = stack.query(
        f'{{ classificationNode(path: "/RootNode/ChildNode") {{ attributes {{ {FIELDS} }} }} }}'
    )
    assert node["data"]["classificationNode"]["attributes"] == [new1]
    assert _bodies(stack, "attributes/retrieve") == [{"nodeIds": [34812], **FLAGS}]

    stack.clear_logs()
    product = stack.query(
        f'{{ product(tid: "{SAMPLE_PRODUCT}") {{ attributes(includeInherited: true) {{ {FIELDS} }} }} }}'
    )
    new2 = {"pimId": 44793, "key": "new2", "defaultValues": [], "domainValues": []}
    assert product["data"]["product"]["attributes"] == [new2, new1]
    # One node: asked by path, written as the document's nodePaths sample writes it.
    assert _bodies(stack, "attributes/retrieve") == [
        {"nodePaths": ["RootNode/ChildNode"], "includeParentAttributes": True, **FLAGS}
    ]


# --- row 9: 100 products on 6 nodes -----------------------------------------------------------

NODES = (
    "/Standard/Bekleidung/Damen",
    "/Standard/Bekleidung/Herren/Oberteile",
    "/Standard/Bekleidung/Herren/Unterteile/Jeans",
    "/Standard/Test",
    "/Standard/Bekleidung/Herren/Unterteile",
    "/Standard/Demo",
)


def _arrange(store: Store) -> None:
    """Put the first 100 demo products on six nodes, and attach attributes along the way:
    one inherited by all (``gender`` on /Standard, seeded), one by the clothes (on
    /Standard/Bekleidung), and own ones, ``size`` on two siblings (one key, two homes)."""
    for i in range(1, 101):
        product = store.item("product", tid=demo_tid(i))
        assert product is not None
        product.node = NODES[i % len(NODES)]

    def attach(path: str, key: str) -> Attribute:
        node = store.node_by_path(path)
        assert node is not None
        attr = Attribute(store.next_id(), node.id, key)
        store.attributes[attr.id] = attr
        return attr

    material = attach("/Standard/Bekleidung", "material")
    material.domain_vals = domain_vals([("cotton", {"de_DE": "Baumwolle"})])
    material.default_val = etree.Element(q("defaultVal"), tid="cotton")
    attach("/Standard/Bekleidung/Damen", "size")
    attach("/Standard/Bekleidung/Herren/Oberteile", "size")
    attach("/Standard/Test", "care_note")
    attach("/Standard/Demo", "product_title")


def _truth(store: Store, path: str, inherited: bool) -> list[dict[str, Any]]:
    """What the emulator holds for a node: its attributes (and its ancestors')."""
    node = store.node_by_path(path)
    assert node is not None
    found = []
    for attr in store.node_attributes(node, inherited=inherited):
        domain = attr.domain_vals if attr.domain_vals is not None else []
        found.append(
            {
                "pimId": attr.id,
                "key": attr.key,
                "defaultValues": [attr.default_val.get("tid")]
                if attr.default_val is not None
                else [],
                "domainValues": [
                    {"key": v.get("tid"), "name": v.findtext(f"{q('itm')}[@loc='de_DE']")}
                    for v in domain
                ],
            }
        )
    return found


def test_a_100_product_read_makes_one_attributes_call_per_100_nodes(stack: GatewayStack) -> None:
    store = stack.pim.app.state.store
    _arrange(store)
    tids = [demo_tid(i) for i in range(1, 101)]
    query = f"""query($t: [String!]!) {{ products(tids: $t) {{ tid
        inherited: attributes(includeInherited: true) {{ {FIELDS} }}
        own: attributes {{ key }} }} }}"""
    answer = stack.query(query, {"t": tids})
    assert "errors" not in answer, answer.get("errors")

    for i, product in enumerate(answer["data"]["products"], start=1):
        node = NODES[i % len(NODES)]
        assert product["inherited"] == _truth(store, node, True), product["tid"]
        assert product["own"] == [{"key": a["key"]} for a in _truth(store, node, False)]

    calls = _calls(stack)
    distinct = len(set(NODES))
    # Inherited and own answers are two reads of their own; each within the bound.
    assert calls["attributes/retrieve"] <= 2 * (1 + math.ceil(distinct / 100))
    inherited = [
        b for b in _bodies(stack, "attributes/retrieve") if b.get("includeParentAttributes")
    ]
    assert 1 <= len(inherited) <= 1 + math.ceil(distinct / 100)
    assert sorted(n for b in inherited for n in b["nodeIds"]) == sorted(
        store.node_by_path(p).id for p in NODES
    )
    assert calls["classes/retrieve"] == 1
    assert _bodies(stack, "classes/retrieve") == [{"tids": ["Standard"], "withNodes": True}]
    assert calls["products/retrieve"] == 1

    # Cached: asking again costs nothing.
    stack.clear_logs()
    assert stack.query(query, {"t": tids}) == answer
    assert stack.upstream_calls()["pim"] == 0


def test_only_inherited_attributes_of_100_products_in_at_most_two_calls(
    stack: GatewayStack,
) -> None:
    store = stack.pim.app.state.store
    _arrange(store)
    tids = [demo_tid(i) for i in range(1, 101)]
    answer = stack.query(
        f"query($t: [String!]!) {{ products(tids: $t) {{ attributes(includeInherited: true) {{ {FIELDS} }} }} }}",
        {"t": tids},
    )
    assert "errors" not in answer, answer.get("errors")
    assert _calls(stack)["attributes/retrieve"] <= 1 + math.ceil(len(set(NODES)) / 100)


def test_node_attributes_of_a_level_are_batched_too(stack: GatewayStack) -> None:
    store = stack.pim.app.state.store
    _arrange(store)
    query = """{ classificationNode(path: "/Standard/Bekleidung/Herren") {
        children { path attributes(includeInherited: true) { key } } } }"""
    answer = stack.query(query)
    children = answer["data"]["classificationNode"]["children"]
    assert {c["path"]: [a["key"] for a in c["attributes"]] for c in children} == {
        path: [a["key"] for a in _truth(store, path, True)]
        for path in (
            "/Standard/Bekleidung/Herren/Oberteile",
            "/Standard/Bekleidung/Herren/Unterteile",
        )
    }
    assert _calls(stack)["attributes/retrieve"] == 1
