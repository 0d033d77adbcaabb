"""The PIM client's writes against the emulator over loopback: bodies as sent, outcomes read."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.emulators.demo import demo_tid
from gateway.emulators.serving import BackgroundServer
from gateway.errors import (
    BadUserInput,
    UpstreamBadResponse,
    UpstreamOutcomeUnknown,
    UpstreamRejected,
)
from gateway.settings import load_settings
from gateway.upstreams.pim import PimClient
from gateway.upstreams.records import (
    Action,
    Article,
    Attribute,
    AttributeDefinition,
    AttributeValue,
    Classification,
    ClassificationNode,
    ItemMeta,
    LocalizedText,
    PimDataType,
    Product,
    ProductLink,
    ValueEntry,
    Variant,
    WriteStatus,
)
from gateway.upstreams.transport import TransportPool, pim_config
from tests.xmltree import assert_xml_equal

API = "/api/core/v1"
EXAMPLES = Path(__file__).parent / "pim_examples"
P_TID = "73c7992f-5f66-4d99-9ca7-9efa3f1b8281"  # the persist samples' product (seeded)
A_TID = "e8712bfd-6701-4833-9197-b259ea42dd84"
B_TID = "ab96e6b1-d874-4cea-9ab9-141fcf6804bc"
SUCCESS, ERROR = WriteStatus.SUCCESS, WriteStatus.ERROR


@pytest.fixture
async def client(pim_server: BackgroundServer) -> AsyncIterator[PimClient]:
    config = pim_config(load_settings({}), emulator_url=f"{pim_server.url}{API}")
    config = dataclasses.replace(
        config, timeout=5.0, backoff_initial=0.01, backoff_max=0.05, backoff_jitter=0.01
    )
    pool = TransportPool()
    yield PimClient(pool.add(config))
    await pool.aclose()


def posted(server: BackgroundServer, path: str) -> list[bytes]:
    return [e.body for e in server.app.state.log.entries() if e.path == API + path]


def plain(text: str) -> LocalizedText:
    return LocalizedText(plain=text)


def texts(**by_locale: str) -> LocalizedText:
    return LocalizedText(by_locale)


def sample(name: str) -> bytes:
    return (EXAMPLES / f"{name}.request.xml").read_bytes()


REQUEST_META = {"messageType": "request", "sourceEnv": "web"}
PIM_ATTR = Attribute(
    key="", level="p", inheritance="visible", restriction="optional", localized=False
)


def pim_attr(key: str, *, node_path: str | None = None, id: int | None = None) -> Attribute:
    """An attribute set up as the document's samples set them."""
    return dataclasses.replace(PIM_ATTR, key=key, node_path=node_path, id=id)


# sample -> (endpoint, the client call that must send exactly that body)
Call = Callable[[PimClient], Awaitable[object]]
SAMPLES: dict[str, tuple[str, Call]] = {
    "classes_perform.1_delete_by_tid": (
        "/pim/classes/perform",
        lambda c: c.perform_classifications(
            [Action.delete(PimDataType.CLASSIFICATION, tid="Classification")]
        ),
    ),
    "classes_perform.2_delete_by_id": (
        "/pim/classes/perform",
        lambda c: c.perform_classifications([Action.delete(PimDataType.CLASSIFICATION, id=24101)]),
    ),
    "attribute_definitions_persist.1_create": (
        "/pim/attribute-definitions/persist",
        lambda c: c.persist_attribute_definitions(
            [
                AttributeDefinition(
                    tid="product_tid",
                    type="text",
                    name=texts(en_GB="SKU product", de_DE="SKU Produkt"),
                )
            ]
        ),
    ),
    "attributes_persist.2_create_by_node_path": (
        "/pim/attributes/persist",
        lambda c: c.persist_attributes([pim_attr("product_id", node_path="/RootNode/someNode")]),
    ),
    "attributes_persist.3_update_by_id": (
        "/pim/attributes/persist",
        lambda c: c.persist_attributes([pim_attr("product_id", id=95547)]),
    ),
    "nodes_persist.create_by_parent_path": (
        "/pim/nodes/persist",
        lambda c: c.persist_nodes(
            [
                ClassificationNode(
                    parent_path="/Standard/Bekleidung",
                    tid="Accessories",
                    name=texts(
                        en_EN="Accessories EN", de_DE="Accessories DE", fr_FR="Accessories FR"
                    ),
                )
            ]
        ),
    ),
    "nodes_persist.create_root": (
        "/pim/nodes/persist",
        lambda c: c.persist_nodes(
            [
                ClassificationNode(
                    classification_tid="Standart",
                    tid="Standart",
                    name=texts(en_EN="Standart EN", de_DE="Standart DE"),
                )
            ]
        ),
    ),
    "nodes_persist.update_by_path": (
        "/pim/nodes/persist",
        lambda c: c.persist_nodes(
            [
                ClassificationNode(
                    path="/Standard",
                    tid="Standard",
                    name=texts(en_EN="Standard EN 1", fr_FR="Standard FR 1"),
                )
            ]
        ),
    ),
    "nodes_perform.delete_by_path": (
        "/pim/nodes/perform",
        lambda c: c.perform_nodes(
            [Action.delete(PimDataType.CLASS_NODE, path="/Root/Node1/Node1.1/")]
        ),
    ),
    "products_persist.1_create_product_with_tid": (
        "/pim/products/persist",
        lambda c: c.persist_products(
            [Product(tid=P_TID, name=plain("Product1"), node="/RootNode/Node")]
        ),
    ),
    "products_persist.2_create_article_with_tid": (
        "/pim/products/persist",
        lambda c: c.persist_products(
            [Product(tid=P_TID, articles=(Article(tid=A_TID, name=plain("Article1")),))]
        ),
    ),
    "products_persist.4_rename_product_by_id": (
        "/pim/products/persist",
        lambda c: c.persist_products([Product(meta=ItemMeta(id=26594), name=plain("Product2"))]),
    ),
    "products_persist.7_save_values_and_name": (
        "/pim/products/persist",
        lambda c: c.persist_products(
            [
                Product(
                    tid=P_TID,
                    name=plain("Product2"),
                    values=(
                        AttributeValue("STRING_SIMPLE", (ValueEntry("string"),)),
                        AttributeValue("NUMBER_SIMPLE", (ValueEntry("6395629"),)),
                        AttributeValue(
                            "ENUMERATION_L",
                            (ValueEntry("Brown", "en_EN", 0), ValueEntry("Yellow", "en_EN", 1)),
                            type="multi_loc",
                        ),
                    ),
                )
            ]
        ),
    ),
    "products_perform.delete_by_tid": (
        "/pim/products/perform",
        lambda c: c.perform_products(
            [Action.delete(PimDataType.PRODUCT, tid="37590039-3AEA-4A13-9C3A-C6EC3C94ADCE")]
        ),
    ),
    "products_perform.copy_by_id": (
        "/pim/products/perform",
        lambda c: c.copy_product(
            id=123123, new_name="NewProduct", new_tid="37590039-aaaa-4a13-9c3a-c6ec3c94adce"
        ),
    ),
    "products_links_persist.5_several_to_several_by_tids": (
        "/pim/products/links/persist",
        lambda c: c.persist_links(
            [
                ProductLink(
                    (P_TID, "28e09c5f-9f23-4274-8bb5-4e0924d52076"),
                    target_product_tids=(B_TID, A_TID),
                )
            ]
        ),
    ),
    "products_links_persist.4_single_to_several_by_tids": (
        "/pim/products/links/persist",
        lambda c: c.persist_links([ProductLink((P_TID,), target_product_tids=(B_TID, A_TID))]),
    ),
    "products_links_perform.1_unlink_by_tid": (
        "/pim/products/links/perform",
        lambda c: c.perform_links(
            [ProductLink(("product_tid",), target_product_tids=("targetProduct_tid",))],
            meta=REQUEST_META,
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
async def test_the_body_sent_is_the_documents_request_sample(
    client: PimClient, pim_server: BackgroundServer, name: str
) -> None:
    path, call = SAMPLES[name]
    await call(client)
    (entry,) = pim_server.app.state.log.entries()
    assert entry.path == API + path
    assert entry.headers["content-type"] == "application/xml; charset=UTF-8"
    assert_xml_equal(entry.body, sample(name))


# --- outcomes --------------------------------------------------------------------------------


def outcomes(responses: list[Any]) -> list[tuple[WriteStatus, str | None]]:
    return [(r.status, r.action) for r in responses]


async def test_classification_with_nodes_is_created_then_deleted(client: PimClient) -> None:
    shoes = Classification(
        tid="Shoes",
        name=texts(en_GB="Shoes", de_DE="Schuhe"),
        nodes=(
            ClassificationNode(classification="Shoes", path="/Shoes"),
            ClassificationNode(
                classification="Shoes", path="/Shoes/Boots", name=texts(en_GB="Boots")
            ),
        ),
    )
    (created,) = await client.persist_classifications([shoes])
    assert (created.status, created.action, created.tid) == (SUCCESS, "create", "Shoes")
    (found,) = await client.retrieve_classifications(tids=["Shoes"], with_nodes=True)
    assert found.name == texts(en_GB="Shoes", de_DE="Schuhe")
    assert [n.path for n in found.nodes] == ["/Shoes", "/Shoes/Boots"]
    responses = await client.perform_classifications(
        [
            Action.delete(PimDataType.CLASSIFICATION, tid="Shoes"),
            Action.delete(PimDataType.CLASSIFICATION, tid="Shoes"),
        ]
    )
    assert outcomes(responses) == [(SUCCESS, "delete"), (ERROR, "delete")]
    assert responses[1].description == "The classification not found by given tid: 'Shoes'"
    assert await client.classifications_by_tid(["Shoes"]) == [None]


async def test_attribute_definitions_are_saved_and_deleted(client: PimClient) -> None:
    created = await client.persist_attribute_definitions(
        [AttributeDefinition(tid="heel_height", type="number", name=texts(en_GB="Heel height"))]
    )
    assert outcomes(created) == [(SUCCESS, "create")]
    updated = await client.persist_attribute_definitions(
        [AttributeDefinition(tid="heel_height", name=texts(en_GB="Heel", de_DE="Absatz"))]
    )
    assert outcomes(updated) == [(SUCCESS, "update")]
    (definition,) = await client.attribute_definitions_by_tid(["heel_height"])
    assert definition is not None and definition.type == "number"
    assert definition.name == texts(en_GB="Heel", de_DE="Absatz")
    responses = await client.perform_attribute_definitions(
        [
            Action.delete(PimDataType.ATTRIBUTE_DEFINITION, id=definition.id),
            Action.delete(PimDataType.ATTRIBUTE_DEFINITION, tid="gender"),  # attached to /Standard
        ]
    )
    assert outcomes(responses) == [(SUCCESS, "delete"), (ERROR, "delete")]
    assert "could not be deleted" in (responses[1].description or "")


async def test_attributes_are_attached_updated_and_deleted(client: PimClient) -> None:
    (created,) = await client.persist_attributes(
        [pim_attr("product_id", node_path="/Standard/Test")]
    )
    assert (created.status, created.action) == (SUCCESS, "create") and created.id is not None
    (updated,) = await client.persist_attributes(
        [Attribute(key="product_id", id=int(created.id), restriction="mandatory")]
    )
    assert (updated.status, updated.action) == (SUCCESS, "update")
    (attr,) = await client.retrieve_attributes(ids=[int(created.id)])
    assert (attr.key, attr.restriction, attr.level) == ("product_id", "mandatory", "p")
    missing = await client.persist_attributes([Attribute(key="no_such_definition", node_id=15270)])
    assert missing[0].status is ERROR
    assert missing[0].description == "Attribute definition: 'no_such_definition' cannot be found"
    deleted = await client.perform_attributes(
        [Action.delete(PimDataType.ATTRIBUTE, id=int(created.id))] * 2
    )
    assert outcomes(deleted) == [(SUCCESS, "delete"), (ERROR, "delete")]


async def test_nodes_are_created_in_order_renamed_and_deleted(client: PimClient) -> None:
    responses = await client.persist_nodes(
        [
            ClassificationNode(parent_path="/Standard", tid="Shoes", name=texts(en_GB="Shoes")),
            ClassificationNode(parent_path="/Standard/Shoes", tid="Boots"),
            ClassificationNode(parent_id=999_999, tid="Orphan"),
        ]
    )
    assert outcomes(responses) == [(SUCCESS, "create"), (SUCCESS, "create"), (ERROR, "create")]
    assert responses[1].path == "/Standard/Shoes/Boots"
    assert "Node with id 999999 does not exist." in (responses[2].description or "")
    (renamed,) = await client.persist_nodes(
        [ClassificationNode(path="/Standard/Shoes", tid="Shoes", name=texts(en_GB="Footwear"))]
    )
    assert (renamed.status, renamed.action) == (SUCCESS, "update")
    (shoes,) = await client.nodes_by_id([int(responses[0].id or 0)])
    assert shoes is not None and shoes.name == texts(en_GB="Footwear")
    deleted = await client.perform_nodes(
        [
            Action.delete(PimDataType.CLASS_NODE, path="/Standard/Shoes/Boots"),
            Action.delete(PimDataType.CLASS_NODE, path="/Standard/Test"),  # products live there
        ]
    )
    assert outcomes(deleted) == [(SUCCESS, "delete"), (ERROR, "delete")]


async def test_nodes_writes_for_a_non_admin_user(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    async with httpx.AsyncClient() as admin:
        await admin.post(f"{pim_server.url}/__emulator__/admin-only", json={"enabled": True})
    with pytest.raises(UpstreamRejected) as caught:
        await client.persist_nodes([ClassificationNode(parent_path="/Standard", tid="X")])
    assert (caught.value.status, caught.value.upstream_code) == (403, "1010")
    # The document answers a restricted delete inside a 200: an ERROR response, not a 1010.
    (refused,) = await client.perform_nodes([Action.delete(PimDataType.CLASS_NODE, id=114740)])
    assert refused.status is ERROR and "restricted" in (refused.description or "")
    assert pim_server.app.state.log.count() == 2


async def test_a_product_tree_with_values_is_created_and_renamed(client: PimClient) -> None:
    gtin = AttributeValue("gtin", (ValueEntry("4006381333931"),))
    product = Product(
        tid="SHOE-1",
        name=plain("Shoe"),
        node="/Standard/Test",
        values=(gtin,),
        articles=(
            Article(
                tid="SHOE-1-A", name=plain("Shoe black"), variants=(Variant(name=plain("Size 42")),)
            ),
        ),
    )
    responses = await client.persist_products([product])
    assert [(r.status, r.data_type, r.action) for r in responses] == [
        (SUCCESS, "product", "create"),
        (SUCCESS, "article", "create"),
        (SUCCESS, "variant", "create"),
    ]
    (found,) = await client.products_by_tid(["SHOE-1"])
    assert found is not None and found.node == "/Standard/Test"
    assert [e.value for v in found.values if v.attr == "gtin" for e in v.entries] == [
        "4006381333931"
    ]
    (article,) = found.articles
    assert article.tid == "SHOE-1-A" and article.variants[0].name == plain("Size 42")
    renamed = await client.persist_products(
        [Product(meta=ItemMeta(id=found.pim_id), name=plain("Boot"))]
    )
    assert outcomes(renamed) == [(SUCCESS, "update")]
    duplicate = await client.persist_products([Product(name=plain("Boot"), node="/Standard/Test")])
    assert duplicate[0].status is ERROR and "duplicated" in (duplicate[0].description or "")


async def test_products_are_copied_and_deleted(client: PimClient) -> None:
    copied = await client.copy_product(tid=demo_tid(8), new_tid="DEMO-0008-COPY")
    assert (copied.status, copied.action, copied.tid) == (SUCCESS, "copy", demo_tid(8))
    (twin,) = await client.products_by_id([int(copied.details["productId"])])
    assert twin is not None and twin.tid == "DEMO-0008-COPY"
    assert twin.name == plain("Demo product 008 - Copy")
    assert twin.articles[0].variants  # the whole tree was copied
    responses = await client.perform_products(
        [
            Action.delete(PimDataType.PRODUCT, tid="DEMO-0008-COPY"),
            Action.delete(PimDataType.PRODUCT, id=1),
        ]
    )
    assert outcomes(responses) == [(SUCCESS, "delete"), (ERROR, "delete")]
    assert await client.products_by_tid(["DEMO-0008-COPY"]) == [None]


async def test_products_are_linked_and_unlinked(client: PimClient) -> None:
    (linked,) = await client.persist_links(
        [ProductLink((demo_tid(1),), target_product_tids=(demo_tid(2), demo_tid(3)))]
    )
    assert (linked.status, linked.action) == (SUCCESS, "link")
    assert linked.links == (
        ProductLink((demo_tid(1),), target_product_tids=(demo_tid(2), demo_tid(3))),
    )

    async def targets() -> list[str]:
        (product,) = await client.products_by_tid([demo_tid(1)])
        assert product is not None and product.links is not None
        group = next(g for g in product.links if g.type == "products")
        return [link.key or "" for inner in group.lists for link in inner.links]

    assert await targets() == [demo_tid(2), demo_tid(3)]
    unlinked = await client.perform_links(
        [
            ProductLink((demo_tid(1),), target_product_tids=(demo_tid(2),)),
            ProductLink((demo_tid(1),), target_product_tids=("no-such-product",)),
        ]
    )
    assert outcomes(unlinked) == [(SUCCESS, "unlink"), (ERROR, "unlink")]
    assert await targets() == [demo_tid(3)]


# --- refused before any call -----------------------------------------------------------------

INVALID: list[tuple[str, Call, str]] = [
    ("empty", lambda c: c.persist_products([]), "products"),
    ("empty actions", lambda c: c.perform_classifications([]), "actions"),
    (
        "class without tid or id",
        lambda c: c.persist_classifications([Classification(name=plain("x"))]),
        "classifications[0]",
    ),
    (
        "root node not first",
        lambda c: c.persist_classifications(
            [
                Classification(
                    tid="C",
                    nodes=(
                        ClassificationNode(path="/C/a"),
                        ClassificationNode(path="/C"),
                    ),
                )
            ]
        ),
        "classifications[0].nodes[1]",
    ),
    (
        "node create without parent",
        lambda c: c.persist_nodes([ClassificationNode(tid="ok"), ClassificationNode(tid="Lost")]),
        "nodes[0] (tid ok)",
    ),
    (
        "root node named otherwise",
        lambda c: c.persist_nodes([ClassificationNode(tid="Root", classification_tid="Standard")]),
        "nodes[0] (tid Root)",
    ),
    (
        "definition type",
        lambda c: c.persist_attribute_definitions([AttributeDefinition(tid="t", type="colour")]),
        "attributeDefinitions[0]",
    ),
    (
        "attribute without node",
        lambda c: c.persist_attributes([Attribute(key="gtin")]),
        "attributes[0]",
    ),
    (
        "product create without node",
        lambda c: c.persist_products([Product(tid="P"), Product(name=plain("New"))]),
        "products[1]",
    ),
    (
        "variant without anything",
        lambda c: c.persist_products(
            [Product(tid="P", articles=(Article(tid="A", variants=(Variant(),)),))]
        ),
        "products[0].articles[0].variants[0]",
    ),
    (
        "delete without tid or id",
        lambda c: c.perform_products(
            [Action.delete(PimDataType.PRODUCT, tid="x"), Action.delete(PimDataType.PRODUCT)]
        ),
        "actions[1]",
    ),
    (
        "attribute delete by tid",
        lambda c: c.perform_attributes([Action.delete(PimDataType.ATTRIBUTE, tid="gtin")]),
        "actions[0]",
    ),
    (
        "another resource's action",
        lambda c: c.perform_nodes([Action.delete(PimDataType.PRODUCT, tid="x")]),
        "actions[0]",
    ),
    (
        "copy of a class",
        lambda c: c.perform_classifications([Action("copy", "classification", tid="C")]),
        "actions[0]",
    ),
    (
        "link without targets",
        lambda c: c.persist_links([ProductLink((demo_tid(1),))]),
        "links[0]",
    ),
    (
        "unlink of two products",
        lambda c: c.perform_links(
            [ProductLink((demo_tid(1), demo_tid(2)), target_product_tids=(demo_tid(3),))]
        ),
        "links[0]",
    ),
]


@pytest.mark.parametrize(("case", "call", "item"), INVALID, ids=[case for case, _, _ in INVALID])
async def test_invalid_writes_are_refused_before_any_call(
    client: PimClient, pim_server: BackgroundServer, case: str, call: Call, item: str
) -> None:
    with pytest.raises(BadUserInput) as caught:
        await call(client)
    assert caught.value.item == item
    assert caught.value.upstream == "pim"
    assert pim_server.app.state.log.count() == 0


# --- faults ----------------------------------------------------------------------------------


async def test_a_persist_is_not_retried_after_503(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    pim_server.app.state.faults.set(status=503, count=1, retry_after=0)
    with pytest.raises(UpstreamOutcomeUnknown) as caught:
        await client.persist_products(
            [Product(tid="NEW-1", name=plain("New"), node="/Standard/Test")]
        )
    assert caught.value.status == 503 and caught.value.upstream == "pim"
    assert len(posted(pim_server, "/pim/products/persist")) == 1
    # The emulated 503 came before the emulator saved anything; a real one may come after.
    assert await client.products_by_tid(["NEW-1"]) == [None]


async def test_an_unreadable_answer_to_a_write_is_an_unknown_outcome(
    client: PimClient, pim_server: BackgroundServer
) -> None:
    pim_server.app.state.faults.set(malformed=1)
    with pytest.raises(UpstreamOutcomeUnknown) as caught:
        await client.perform_products([Action.delete(PimDataType.PRODUCT, tid=demo_tid(9))])
    assert isinstance(caught.value.__cause__, UpstreamBadResponse)
    assert len(posted(pim_server, "/pim/products/perform")) == 1
