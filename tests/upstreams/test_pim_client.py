"""The PIM client's reads against the emulator over loopback: bodies as sent, records as read."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from gateway.emulators.demo import demo_gtin, demo_tid
from gateway.emulators.serving import BackgroundServer
from gateway.errors import BadUserInput, UpstreamBadResponse, UpstreamRejected
from gateway.settings import DEMO_PIM_TOKEN, load_settings
from gateway.upstreams.pim import PimClient
from gateway.upstreams.records import Classification, LocalizedText, Product
from gateway.upstreams.transport import TransportPool, pim_config

DEMO_PRODUCT_TID = "78fc9abb-2223-40dc-ac3e-26d42102d050"  # the retrieve sample's product
API = "/api/core/v1"


@pytest.fixture
async def client(pim_server: BackgroundServer) -> AsyncIterator[PimClient]:
    config = pim_config(load_settings({}), emulator_url=f"{pim_server.url}{API}")
    config = dataclasses.replace(
        config, timeout=5.0, backoff_initial=0.01, backoff_max=0.05, backoff_jitter=0.01
    )
    pool = TransportPool()
    yield PimClient(pool.add(config))
    await pool.aclose()


def sent(server: BackgroundServer, path: str) -> list[Any]:
    """The JSON bodies the emulator received on ``path``, oldest first."""
    return [e.json() for e in server.app.state.log.entries() if e.path == API + path]


# --- classifications -----------------------------------------------------------------------


async def test_list_classifications(client: PimClient, pim_server: BackgroundServer) -> None:
    found = await client.list_classifications()
    assert [c.tid for c in found] == ["Standart", "Standard", "RootNode"]
    assert pim_server.app.state.log.count("GET", f"{API}/pim/classes") == 1


async def test_retrieve_classifications_by_tids_sends_the_sample_body(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    found = await client.retrieve_classifications(tids=["Standard", "Standart"])
    assert found == [
        Classification(tid="Standard", name=LocalizedText()),
        Classification(tid="Standart", name=LocalizedText()),
    ]
    assert sent(pim_server, "/pim/classes/retrieve") == [{"tids": ["Standard", "Standart"]}]


async def test_retrieve_classifications_with_nodes_flat_and_nested(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    (flat,) = await client.retrieve_classifications(tids=["Standard"], with_nodes=True)
    (nested,) = await client.retrieve_classifications(
        tids=["Standard"], with_nodes=True, flat_nodes=False
    )
    for cls in (flat, nested):
        paths = {n.path for n in cls.nodes}
        assert {"/Standard", "/Standard/Bekleidung", "/Standard/Test"} <= paths
        root = next(n for n in cls.nodes if n.path == "/Standard")
        assert root.id == 15270 and 15271 in root.children
    assert sent(pim_server, "/pim/classes/retrieve") == [
        {"tids": ["Standard"], "withNodes": True},
        {"tids": ["Standard"], "withNodes": True, "flatNodes": False},
    ]


async def test_retrieve_every_classification_when_no_key_is_given(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    assert len(await client.retrieve_classifications()) == 3
    assert await client.retrieve_classifications(tids=[]) == []  # asks for nothing: no call
    assert sent(pim_server, "/pim/classes/retrieve") == [{}]


async def test_classifications_in_slots_by_tid_and_by_id(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    by_tid = await client.classifications_by_tid(["Standard", "nope", "Standard"])
    assert [c.tid if c else None for c in by_tid] == ["Standard", None, "Standard"]
    by_id = await client.classifications_by_id([15360, 999_999, 1])
    # The PIM's answer names no ids: each record carries the id it was asked by.
    assert [(c.tid, c.id) if c else None for c in by_id] == [
        ("Standard", 15360),
        None,
        ("Standart", 1),
    ]
    bodies = sent(pim_server, "/pim/classes/retrieve")
    assert bodies[0] == {"tids": ["Standard", "nope"]}
    assert sorted(b["ids"][0] for b in bodies[1:]) == [1, 15360, 999_999]


# --- attribute definitions -----------------------------------------------------------------


async def test_attribute_definitions_list_and_query_by_types(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    listed = await client.list_attribute_definitions()
    assert {"product_id", "product_title", "care_note", "gtin"} <= {d.tid for d in listed}
    every = ["text", "date", "number", "boolean", "ref", "table"]
    ids = await client.query_attribute_definitions(every)
    assert sorted(ids) == sorted(d.id for d in listed if d.id is not None)
    assert await client.query_attribute_definitions([]) == []  # answered {"all": false}
    refs = await client.query_attribute_definitions(["ref"])
    assert {d.tid for d in listed if d.id in refs} == {"PRODUCT_REF", "REFERENCE_TABLE"}
    assert sent(pim_server, "/pim/attribute-definitions/query")[:2] == [
        {"types": every},
        {"types": []},
    ]


async def test_query_attribute_definitions_refuses_an_unknown_type(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    with pytest.raises(BadUserInput) as caught:
        await client.query_attribute_definitions(["text", "colour"])
    assert caught.value.item == "types[1]"
    assert pim_server.app.state.log.count() == 0


async def test_retrieve_attribute_definitions_by_tids_ids_and_all(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    by_tid = await client.retrieve_attribute_definitions(tids=["product_id", "product_title"])
    assert [(d.tid, d.id, d.type) for d in by_tid] == [
        ("product_id", 15210, "text"),
        ("product_title", 15211, "text"),
    ]
    assert by_tid[0].name == LocalizedText({"en_EN": "SKU product", "de_DE": "SKU Produkt"})
    (care,) = await client.retrieve_attribute_definitions(ids=[15219])
    assert care.multi_valued is True and care.domain is not None
    assert [v.tid for v in care.domain.values][:2] == [
        "Chlorine bleaching possible",
        "Hand wash only",
    ]
    assert len(await client.retrieve_attribute_definitions()) == len(
        await client.list_attribute_definitions()
    )
    assert sent(pim_server, "/pim/attribute-definitions/retrieve") == [
        {"tids": ["product_id", "product_title"]},
        {"ids": [15219]},
        {"all": True},
    ]


async def test_attribute_definitions_in_slots(client: PimClient) -> None:
    by_tid = await client.attribute_definitions_by_tid(["gtin", "missing", "care_note"])
    assert [d.tid if d else None for d in by_tid] == ["gtin", None, "care_note"]
    by_id = await client.attribute_definitions_by_id([15211, 1, 15210])
    assert [d.tid if d else None for d in by_id] == ["product_title", None, "product_id"]


# --- attributes ------------------------------------------------------------------------------


async def test_query_attributes_by_product_and_by_node_path(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    # Products always include inherited attributes: new2 on /RootNode, new1 on its child.
    assert sorted(await client.query_attributes(product_ids=[44812])) == [44793, 46190]
    assert await client.query_attributes(node_paths=["/RootNode/ChildNode"]) == [46190]
    assert sorted(
        await client.query_attributes(
            node_paths=["/RootNode/ChildNode"], include_parent_attributes=True
        )
    ) == [44793, 46190]
    assert sent(pim_server, "/pim/attributes/query") == [
        {"productId": [44812]},
        {"nodePath": ["/RootNode/ChildNode"]},
        {"nodePath": ["/RootNode/ChildNode"], "includeParentAttributes": True},
    ]


async def test_retrieve_attributes_with_domain_and_default_values(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    (new1,) = await client.retrieve_attributes(
        ids=[46190], with_domain_values=True, with_default_values=True
    )
    assert (new1.id, new1.key, new1.inheritance) == (46190, "new1", "not_visible")
    assert [d.tid for d in new1.default_values] == ["domain1"]
    assert new1.domain is not None and new1.domain.values[0].names.get("de_DE") == "domain1-de"
    assert sent(pim_server, "/pim/attributes/retrieve") == [
        {"ids": [46190], "withDomainValues": True, "withDefaultValues": True}
    ]


async def test_retrieve_attributes_by_nodes_and_products_keeps_each_once(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    by_node = await client.retrieve_attributes(node_ids=[34812], include_parent_attributes=True)
    assert [a.id for a in by_node] == [44793, 46190]
    assert by_node[0].domain is None  # not asked for
    small = PimClient(client.transport, batch_size=1)
    by_product = await small.retrieve_attributes(product_tids=[demo_tid(1), demo_tid(5)])
    # Both products sit on nodes under /Standard: the inherited "gender" comes back twice.
    assert [a.key for a in by_product] == ["gender"]
    assert len(sent(pim_server, "/pim/attributes/retrieve")) == 3


@pytest.mark.parametrize(
    "selectors",
    [{}, {"ids": [1], "node_ids": [2]}, {"node_paths": "/Standard"}, {"ids": ["1"]}],
)
async def test_attribute_selectors_are_checked_before_any_call(
    client: PimClient, pim_server: BackgroundServer, selectors: dict[str, Any]
) -> None:
    with pytest.raises(BadUserInput):
        await client.retrieve_attributes(**selectors)
    assert pim_server.app.state.log.count() == 0


# --- nodes -----------------------------------------------------------------------------------


async def test_query_nodes_by_product(client: PimClient, pim_server: BackgroundServer) -> None:
    found = await client.query_nodes(product_tid=demo_tid(3))  # 3 % 4 == 3: /Standard/Test
    assert found.ids == (114740,) and found.level == 1
    assert sent(pim_server, "/pim/nodes/query") == [{"productTid": demo_tid(3)}]
    with pytest.raises(BadUserInput):
        await client.query_nodes(product_id=1, product_tid="x")


async def test_retrieve_root_and_child_nodes(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    root = await client.retrieve_root_node(classification_tid="Standard")
    assert root is not None and (root.id, root.tid, root.path) == (15270, "Standard", "/Standard")
    assert await client.retrieve_root_node(classification_id=999_999) is None
    children = await client.retrieve_child_nodes("/Standard")
    assert {(n.id, n.path, n.parent_id) for n in children} >= {
        (15271, "/Standard/Bekleidung", 15270),
        (114740, "/Standard/Test", 15270),
    }
    assert all(n.level == 1 for n in children)
    deeper = await client.retrieve_child_nodes("/Standard", level=2)
    assert "/Standard/Bekleidung/Herren" in {n.path for n in deeper}
    assert sent(pim_server, "/pim/nodes/retrieve") == [
        {"classificationTid": "Standard"},
        {"classificationId": 999_999},
        {"path": "/Standard", "level": 1},
        {"path": "/Standard", "level": 2},
    ]


async def test_child_nodes_level_zero_is_refused_before_any_call(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    with pytest.raises(BadUserInput) as caught:
        await client.retrieve_child_nodes("/Standard", level=0)
    assert caught.value.item == "level"
    assert pim_server.app.state.log.count() == 0


async def test_nodes_by_id_in_slots(client: PimClient, pim_server: BackgroundServer) -> None:
    found = await client.nodes_by_id([114740, 999_999, 15271, 114740])
    assert [n.path if n else None for n in found] == [
        "/Standard/Test",
        None,
        "/Standard/Bekleidung",
        "/Standard/Test",
    ]
    assert sent(pim_server, "/pim/nodes/retrieve") == [{"ids": [114740, 999_999, 15271]}]


async def test_nodes_for_a_non_admin_user_are_rejected_with_1010(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    async with httpx.AsyncClient() as admin:
        await admin.post(f"{pim_server.url}/__emulator__/admin-only", json={"enabled": True})
    with pytest.raises(UpstreamRejected) as caught:
        await client.nodes_by_id([114740])
    error = caught.value
    assert (error.status, error.upstream_code, error.code) == (403, "1010", "UPSTREAM_REJECTED")
    assert "forbidden" in error.message and "Nodes retrieve API is restricted" in error.message
    assert DEMO_PIM_TOKEN not in str(error)
    assert pim_server.app.state.log.count() == 1  # a refusal is not retried


# --- products --------------------------------------------------------------------------------


async def test_retrieve_the_sample_product_tree(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    (product,) = await client.retrieve_products(ids=[598800])
    assert (product.tid, product.pim_id, product.node) == (
        DEMO_PRODUCT_TID,
        598800,
        "/Standard/Demo",
    )
    assert product.name == LocalizedText(plain="Product")
    assert product.creation_date == datetime(2022, 12, 27, 6, 24, 56, 610000, tzinfo=UTC)
    (article,) = product.articles
    (variant,) = article.variants
    assert (article.pim_id, variant.pim_id) == (599790, 599791)
    values = {v.attr: v for v in product.values}
    assert [(e.locale, e.value) for e in values["STRING"].entries] == [
        ("en_EN", "3343"),
        ("fr_FR", "French"),
    ]
    assert values["NUMBER_LISTABLE_TABLE"].parent == "TABLE"
    assert sent(pim_server, "/pim/products/retrieve") == [{"ids": [598800]}]


async def test_250_products_by_tid_take_three_calls_of_at_most_100(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    tids = [demo_tid(i) for i in range(1, 251)]
    found = await client.products_by_tid(tids)
    assert [p.tid if p else None for p in found] == tids
    sizes = sorted(len(body["tids"]) for body in sent(pim_server, "/pim/products/retrieve"))
    assert sizes == [50, 100, 100]
    first = found[0]
    assert first is not None and first.node == "/Standard/Bekleidung/Herren/Oberteile"
    gtin = next(v for v in first.values if v.attr == "gtin")
    assert [e.value for e in gtin.entries] == [demo_gtin(1)]
    fourth = found[3]
    assert fourth is not None and fourth.articles[0].variants[0].tid == f"{demo_tid(4)}-A1-V1"


async def test_products_in_slots_with_gaps_and_repeats(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    by_tid = await client.products_by_tid([demo_tid(2), "no-such-tid", demo_tid(2)])
    assert [p.tid if isinstance(p, Product) else None for p in by_tid] == [
        demo_tid(2),
        None,
        demo_tid(2),
    ]
    # Tids are case-sensitive: the seed holds two products whose tids differ only in case.
    upper, lower = await client.products_by_tid(
        ["37590039-3AEA-4A13-9C3A-C6EC3C94ADCE", "37590039-3aea-4a13-9c3a-c6ec3c94adce"]
    )
    assert upper is not None and lower is not None and upper.pim_id != lower.pim_id
    by_id = await client.products_by_id([598800, 1, 26594])
    assert [p.pim_id if p else None for p in by_id] == [598800, None, 26594]
    assert sent(pim_server, "/pim/products/retrieve")[0] == {"tids": [demo_tid(2), "no-such-tid"]}


async def test_retrieve_products_needs_tids_or_ids(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    with pytest.raises(BadUserInput):
        await client.retrieve_products()
    with pytest.raises(BadUserInput):
        await client.retrieve_products(tids=["a"], ids=[1])
    assert await client.products_by_tid([]) == []
    assert pim_server.app.state.log.count() == 0


async def test_query_products_sends_the_sample_body(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    tids = await client.query_products(
        modified_from=datetime(2018, 2, 25, 1),
        modified_until=datetime(2020, 12, 25, 1, tzinfo=UTC),
        node_paths=["/seasons/2021/clothes"],
        search_strategy="defaultSearchStrategy",
    )
    assert tids == []
    assert sent(pim_server, "/pim/products/query") == [
        {
            "modifiedFrom": "2018-02-25T01:00:00.000",
            "modifiedUntil": "2020-12-25T01:00:00.000",
            "nodePaths": ["/seasons/2021/clothes"],
            "searchStrategy": "defaultSearchStrategy",
        }
    ]


async def test_query_products_by_time_and_node(client: PimClient) -> None:
    # Generated product i was modified at 2024-01-01 + i hours, under /Standard/Test if i % 4 == 3.
    tids = await client.query_products(
        modified_from=datetime(2024, 1, 1, 10, tzinfo=UTC),
        modified_until=datetime(2024, 1, 1, 20, tzinfo=UTC),
        node_paths=["/Standard/Test"],
    )
    assert tids == [demo_tid(11), demo_tid(15), demo_tid(19)]
    assert len(await client.query_products()) >= 300


async def test_an_invalid_query_is_rejected_with_1001(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    with pytest.raises(UpstreamRejected) as caught:
        await client.query_products(search_strategy="fastest")
    error = caught.value
    assert (error.status, error.upstream_code) == (400, "1001")
    assert "Invalid input provided" in error.message
    assert "Unknown search strategy 'fastest'" in error.message
    assert "support id" in error.message
    assert pim_server.app.state.log.count() == 1


# --- faults ----------------------------------------------------------------------------------


async def test_a_retrieve_is_retried_after_503(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    pim_server.app.state.faults.set(status=503, count=1, retry_after=0)
    (found,) = await client.products_by_tid([demo_tid(7)])
    assert found is not None and found.tid == demo_tid(7)
    assert len(sent(pim_server, "/pim/products/retrieve")) == 2


async def test_malformed_xml_is_a_bad_response(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    pim_server.app.state.faults.set(malformed=1)
    with pytest.raises(UpstreamBadResponse) as caught:
        await client.products_by_tid([demo_tid(1)])
    assert caught.value.upstream == "pim"
    pim_server.app.state.faults.set(malformed=1, malformed_body=b'{"ids": "oops"}')
    with pytest.raises(UpstreamBadResponse):
        await client.query_attributes(node_ids=[34812])
