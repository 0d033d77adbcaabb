"""Publishing PIM products to the channels: batching, the stored payloads, dry runs, custom
mappings, failures that stay with their product, and the ``publishProducts`` mutation."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gateway import Gateway, load_settings
from gateway.emulators.demo import demo_gtin, demo_tid
from gateway.mappings import (
    DEFAULT_DETECTION,
    MappingContext,
    MappingError,
    default_catalog_mapping,
    default_commerce_mapping,
    detection_for,
    image_url,
    node_segments,
    product_name,
    text_of,
)
from gateway.upstreams.records import AttributeValue as Value
from gateway.upstreams.records import (
    CatalogProduct,
    CommerceProduct,
    Link,
    LinkGroup,
    LinkList,
    LocalizedText,
    Product,
    ValueEntry,
)
from gateway.writes.publishing import Publisher, PublishStatus, publish
from tests.conftest import GatewayStack

ALL = [demo_tid(i) for i in range(1, 301)]
SAMPLE = "78fc9abb-2223-40dc-ac3e-26d42102d050"  # the PIM document's product: no GTIN value
COMMERCE_PATH = "/2022-08/management/products"
CATALOG_PATH = "/v1/catalog-products"


@pytest.fixture
async def gw(tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = load_settings({"GATEWAY_DATABASE": str(tmp_path / "gateway.sqlite3")})
    async with Gateway(settings) as gateway:
        yield gateway


def _emulator(gw: Gateway, name: str) -> Any:
    assert gw.emulators is not None
    return getattr(gw.emulators, name).state


def _calls(gw: Gateway, name: str, suffix: str) -> list[Any]:
    return [e for e in _emulator(gw, name).log.entries() if e.path.endswith(suffix)]


def _clear_logs(gw: Gateway) -> None:
    for name in ("pim", "omnicommerce", "citrusad"):
        _emulator(gw, name).log.clear()


# --- the done-when: 300 demo products to both channels ------------------------------------


async def test_300_products_take_3_reads_3_paced_registers_3_upserts_and_land_as_mapped(
    gw: Gateway,
) -> None:
    _clear_logs(gw)
    batches: list[int] = []
    started = time.monotonic()
    report = await publish(gw.runtime, ALL, on_batch=lambda done: batches.append(len(done)))
    elapsed = time.monotonic() - started

    assert report.ok, [o for p in report.products for o in p.outcomes if not o.ok][:3]
    assert [p.tid for p in report.products] == ALL
    assert batches == [100, 100, 100]
    reads = _calls(gw, "pim", "/products/retrieve")
    assert [len(r.json()["tids"]) for r in reads] == [100, 100, 100]
    # Three calls exactly: a 429 would have been retried and shown up as a fourth.
    registers = _calls(gw, "omnicommerce", COMMERCE_PATH)
    assert [len(r.json()["products"]) for r in registers] == [100, 100, 100]
    upserts = _calls(gw, "citrusad", CATALOG_PATH)
    assert [(u.method, len(u.json()["catalogProducts"])) for u in upserts] == [("POST", 100)] * 3
    assert elapsed < 10

    # The emulators hold exactly what the default mapping makes of each product.
    products = await gw.runtime.pim.products_by_tid(ALL)
    context = MappingContext.for_settings(gw.settings)
    held = _emulator(gw, "omnicommerce").store.products
    catalog = _emulator(gw, "citrusad").store.products
    for product, outcome in zip(products, report.products, strict=True):
        assert product is not None
        commerce = default_commerce_mapping(product, context)
        assert held[product.tid] == commerce.to_json()
        listed = default_catalog_mapping(product, context)
        stored = catalog[(listed.catalog_id, listed.gtin)]
        assert {k: stored[k] for k in ("gtin", "inventory", "tags", "filters")} == {
            "gtin": listed.gtin,
            "inventory": listed.inventory,
            "tags": list(listed.tags),
            "filters": list(listed.filters),
        }
        assert stored["price"] == listed.price
        assert outcome.on("omnicommerce").payload == commerce.to_json()  # type: ignore[union-attr]
        assert outcome.on("citrusad").payload == listed.to_json()  # type: ignore[union-attr]

    accepted = await gw.execute("{ commerceProducts(status: ACCEPTED) { totalCount } }")
    assert accepted.data == {"commerceProducts": {"totalCount": 300}}


async def test_dry_run_maps_and_writes_nothing(gw: Gateway) -> None:
    before = dict(_emulator(gw, "citrusad").store.products)
    _clear_logs(gw)
    report = await publish(gw.runtime, ALL[:120], dry_run=True)

    assert report.dry_run and report.ok
    assert _emulator(gw, "omnicommerce").log.count() == 0
    assert _emulator(gw, "citrusad").log.count() == 0
    assert _emulator(gw, "omnicommerce").store.products == {}
    assert _emulator(gw, "citrusad").store.products == before
    assert report.counts()["omnicommerce"][PublishStatus.MAPPED] == 120
    first = report.products[0]
    assert first.on("omnicommerce").payload["detection"] == "TOP"  # type: ignore[index,union-attr]
    assert first.on("citrusad").ids == {  # type: ignore[union-attr]
        "catalogId": gw.settings.citrusad_catalog_id,
        "gtin": demo_gtin(1),
    }


async def test_the_custom_mapping_example_changes_what_is_written(tmp_path: Path) -> None:
    settings = load_settings({"GATEWAY_DATABASE": str(tmp_path / "gateway.sqlite3")})
    async with Gateway(settings, extensions=["examples.custom_mapping"]) as gw:
        report = await publish(gw.runtime, ["DEMO-0002", "DEMO-0004", "DEMO-0001", SAMPLE])
        held = _emulator(gw, "omnicommerce").store.products
        catalog = _emulator(gw, "citrusad").store.products

    assert all(p.ok for p in report.products[:3])
    assert set(held) == {"acme-DEMO-0002", "acme-DEMO-0004", "acme-DEMO-0001"}
    assert held["acme-DEMO-0002"]["detection"] == "PANTS"  # Jeans
    assert held["acme-DEMO-0004"]["detection"] == "DRESS"  # Damen, WHOLEBODY by default
    assert held["acme-DEMO-0001"]["detection"] == "TOP"
    assert held["acme-DEMO-0004"]["metadata"] == {
        "productName": "Demoprodukt 4",
        "brand": "Acme",
        "season": "2024-SS",
        "gtin": demo_gtin(4),
    }
    sample = report.products[3]
    assert sample.on("omnicommerce").status is PublishStatus.SKIPPED  # type: ignore[union-attr]
    # CitrusAd keeps the default mapping: the sample has no GTIN there either.
    assert sample.on("citrusad").status is PublishStatus.ERROR  # type: ignore[union-attr]
    key = (settings.citrusad_catalog_id, demo_gtin(2))
    assert catalog[key]["filters"] == [
        "category:Bekleidung",
        "category:Herren",
        "category:Unterteile",
        "category:Jeans",
    ]


# --- failures stay with their product -----------------------------------------------------


async def test_each_failure_fails_its_product_alone_with_the_reason(gw: Gateway) -> None:
    def mapping(product: Product, context: MappingContext) -> CommerceProduct | None:
        mapped = default_commerce_mapping(product, context)
        match product.tid:
            case "DEMO-0002":
                raise RuntimeError("boom")
            case "DEMO-0003":
                raise MappingError("not for sale")
            case "DEMO-0004":
                return replace(mapped, detection=" ")
            case "DEMO-0005":
                return replace(mapped, url="https://img.invalid/x.jpg")  # the emulator refuses
            case "DEMO-0006":
                return replace(mapped, id="DEMO-0001")  # taken by the first product
            case "DEMO-0007":
                return None
        return mapped

    async def catalog(product: Product, context: MappingContext) -> Any:
        if product.tid == "DEMO-0008":
            return {"gtin": "not a record"}
        return default_catalog_mapping(product, context)

    _clear_logs(gw)
    tids = [demo_tid(i) for i in range(1, 10)] + ["NOPE", SAMPLE]
    publisher = Publisher(gw.runtime, mappings={"omnicommerce": mapping, "citrusad": catalog})
    report = await publisher.publish(tids)

    def outcome(tid: str, channel: str) -> tuple[str, str | None]:
        found = next(p for p in report.products if p.tid == tid).on(channel)
        assert found is not None
        return found.status.value, found.message

    assert not report.ok
    assert outcome("DEMO-0001", "omnicommerce") == ("SUCCESS", None)
    assert outcome("DEMO-0002", "omnicommerce") == ("ERROR", "mapping failed: RuntimeError: boom")
    assert outcome("DEMO-0003", "omnicommerce") == ("ERROR", "not for sale")
    assert outcome("DEMO-0004", "omnicommerce") == (
        "ERROR",
        "invalid payload: detection must not be empty",
    )
    assert outcome("DEMO-0005", "omnicommerce") == ("ERROR", "fail to prove image from url.")
    assert outcome("DEMO-0006", "omnicommerce") == (
        "ERROR",
        "id DEMO-0001 is taken by DEMO-0001 in this publish",
    )
    assert outcome("DEMO-0007", "omnicommerce") == ("SKIPPED", None)
    assert outcome("DEMO-0008", "citrusad") == (
        "ERROR",
        "mapping failed: TypeError: the citrusad mapping returned dict, "
        "expected CatalogProduct or None",
    )
    assert outcome("NOPE", "citrusad") == ("ERROR", "no product with tid 'NOPE' in the PIM")
    assert outcome(SAMPLE, "citrusad") == ("ERROR", "no GTIN: the product has no 'gtin' value")
    assert outcome(SAMPLE, "omnicommerce") == ("SUCCESS", None)

    held = _emulator(gw, "omnicommerce").store.products
    assert set(held) == {"DEMO-0001", "DEMO-0008", "DEMO-0009", SAMPLE}
    # One request per channel: the failed products were left out, not the batch.
    sent = _calls(gw, "omnicommerce", COMMERCE_PATH)
    assert [[p["id"] for p in r.json()["products"]] for r in sent] == [
        ["DEMO-0001", "DEMO-0005", "DEMO-0008", "DEMO-0009", SAMPLE]
    ]
    assert len(_calls(gw, "citrusad", CATALOG_PATH)) == 1


async def test_a_failed_pim_read_fails_its_batch_and_the_next_batches_go_on(gw: Gateway) -> None:
    _emulator(gw, "pim").faults.set(status=400, count=1)
    report = await publish(gw.runtime, ALL[:150], channels=["citrusad"])
    statuses = [p.on("citrusad").status for p in report.products]  # type: ignore[union-attr]
    assert statuses == [PublishStatus.ERROR] * 100 + [PublishStatus.SUCCESS] * 50
    message = report.products[0].on("citrusad").message  # type: ignore[union-attr]
    assert message is not None and message.startswith("PIM read failed: ")
    assert report.channels == ("citrusad",)
    assert _emulator(gw, "omnicommerce").log.count() == 0


async def test_bad_arguments_are_refused_before_any_call(gw: Gateway) -> None:
    from gateway.errors import BadUserInput

    with pytest.raises(BadUserInput, match="unknown channel 'shop'"):
        await publish(gw.runtime, ["DEMO-0001"], channels=["shop"])
    with pytest.raises(BadUserInput, match="at least one product"):
        await publish(gw.runtime, [])
    with pytest.raises(BadUserInput, match="at least one channel"):
        await publish(gw.runtime, ["DEMO-0001"], channels=[])


# --- the GraphQL mutation -----------------------------------------------------------------

PUBLISH = """mutation($tids: [String!]!, $channels: [Channel!], $dry: Boolean) {
  publishProducts(tids: $tids, channels: $channels, dryRun: $dry) {
    ok dryRun products { tid ok channels { channel status ok message ids { key value } payload } }
  }
}"""


def test_publish_products_over_http_writes_the_chosen_channel(stack: GatewayStack) -> None:
    stack.clear_logs()
    answer = stack.query(
        PUBLISH.replace("$channels: [Channel!]", "$channels: [Channel!]!"),
        {"tids": ["DEMO-0002", "DEMO-0002", "NOPE"], "channels": ["OMNICOMMERCE"]},
    )
    assert "errors" not in answer, answer
    payload = answer["data"]["publishProducts"]
    assert (payload["ok"], payload["dryRun"]) == (False, False)
    assert [p["tid"] for p in payload["products"]] == ["DEMO-0002", "NOPE"]
    first = payload["products"][0]["channels"]
    assert [(c["channel"], c["status"], c["ok"]) for c in first] == [
        ("OMNICOMMERCE", "SUCCESS", True)
    ]
    assert first[0]["ids"] == [{"key": "id", "value": "DEMO-0002"}]
    held = stack.omnicommerce.app.state.store.products
    assert held["DEMO-0002"] == first[0]["payload"]
    assert stack.upstream_calls()["citrusad"] == 0


def test_publish_products_dry_run_over_http_returns_payloads(stack: GatewayStack) -> None:
    stack.clear_logs()
    answer = stack.query(
        PUBLISH.replace("$channels: [Channel!], ", "").replace("channels: $channels, ", ""),
        {"tids": ["DEMO-0004"], "dry": True},
    )
    payload = answer["data"]["publishProducts"]
    assert payload["ok"] and payload["dryRun"]
    channels = payload["products"][0]["channels"]
    assert [(c["channel"], c["status"]) for c in channels] == [
        ("OMNICOMMERCE", "MAPPED"),
        ("CITRUSAD", "MAPPED"),
    ]
    assert channels[0]["payload"]["detection"] == "WHOLEBODY"
    assert channels[1]["payload"]["price"] == "0.00"
    calls = stack.upstream_calls()
    assert (calls["omnicommerce"], calls["citrusad"]) == (0, 0)


def test_publish_products_refuses_an_empty_list(stack: GatewayStack) -> None:
    answer = stack.query(PUBLISH, {"tids": []})
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- the default mapping's rules ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "detection"),
    [
        ("/Standard/Bekleidung/Herren/Oberteile", "TOP"),
        ("/Standard/Bekleidung/Herren/Unterteile/Jeans", "PANTS"),
        ("/Standard/Bekleidung/Herren/Unterteile", "PANTS"),
        ("/Standard/Bekleidung/Damen", "WHOLEBODY"),
        ("/Standard/Bekleidung/Damen/Kleider", "DRESS"),
        ("/Standard/Test", DEFAULT_DETECTION),
        (None, DEFAULT_DETECTION),
    ],
)
def test_detection_follows_the_deepest_segment_with_a_rule(
    path: str | None, detection: str
) -> None:
    assert detection_for(path) == detection


def _product(**changes: Any) -> Product:
    values = (
        Value("gtin", (ValueEntry("4000000000013"),), "text", "simple"),
        Value(
            "product_title",
            (ValueEntry("Shirt", locale="en_GB"), ValueEntry("Hemd", locale="de_DE")),
            "text",
            "localized",
        ),
        Value("price", (ValueEntry("19.99"),), "number", "simple"),
        Value("inventory", (ValueEntry("7"),), "number", "simple"),
        Value("brand", (ValueEntry("", key="Acme"),), "text", "domain"),
        Value("currency", (ValueEntry("EUR"),), "text", "simple"),
    )
    base = Product(
        tid="P-1",
        name=LocalizedText(plain="Internal name"),
        values=values,
        node="/Standard/Bekleidung/Herren/Oberteile",
    )
    return replace(base, **changes)


BASES = {
    "GATEWAY_SHOP_BASE_URL": "https://shop.example.com/products",
    "GATEWAY_IMAGE_BASE_URL": "https://images.example.com",
}


def test_default_mappings_take_price_stock_brand_and_assets_from_the_product() -> None:
    settings = load_settings(BASES)
    asset = LinkGroup("assets", lists=(LinkList("IMG", links=(Link("k", "/a/shirt 1.jpg"),)),))
    product = _product(links=(asset,))
    context = MappingContext.for_settings(settings)

    commerce = default_commerce_mapping(product, context)
    assert commerce.url == "https://images.example.com/a/shirt%201.jpg"
    assert commerce.sales_url == "https://shop.example.com/products/P-1"
    assert commerce.metadata == {
        "productName": "Shirt",
        "pimTid": "P-1",
        "gtin": "4000000000013",
        "brand": "Acme",
        "currency": "EUR",
        "originPrice": 19.99,  # a number, as the document's example sends it
        "category": "Bekleidung > Herren > Oberteile",
    }
    catalog = default_catalog_mapping(product, context)
    assert catalog == CatalogProduct(
        catalog_id=settings.citrusad_catalog_id,
        gtin="4000000000013",
        inventory=7,
        price=Decimal("19.99"),
        tags=("imageurl:https://images.example.com/a/shirt%201.jpg", "name:Shirt"),
        filters=("category:Bekleidung", "category:Herren", "category:Oberteile", "Brand:Acme"),
    )


def test_mapping_helpers() -> None:
    product = _product(values=(), links=None)
    assert product_name(product, ("en_GB",)) == "Internal name"
    assert product_name(_product(), ("de_DE",)) == "Hemd"
    assert image_url(product, "https://images.example.com") is None  # no asset: no image
    asset = LinkGroup("assets", links=(Link("k", "/a.jpg"),))
    assert image_url(_product(links=(asset,)), None) is None  # relative, and no base
    absolute = LinkGroup("assets", links=(Link("k", "https://cdn.example.org/a.jpg"),))
    assert image_url(_product(links=(absolute,)), None) == "https://cdn.example.org/a.jpg"
    assert text_of(_product(), "brand") == "Acme"
    assert node_segments("/Standard") == ()
    with pytest.raises(MappingError, match="no GTIN"):
        default_catalog_mapping(product, MappingContext.for_settings(load_settings({})))
    bad_price = _product(values=(Value("price", (ValueEntry("cheap"),)),))
    with pytest.raises(MappingError, match="price value 'cheap' is not a number"):
        default_commerce_mapping(bad_price, MappingContext.for_settings(load_settings(BASES)))


def test_without_shop_or_image_base_urls_the_commerce_mapping_refuses_with_the_reason() -> None:
    """The PIM knows neither where a product is sold nor where images are served from."""
    asset = LinkGroup("assets", links=(Link("k", "/a.jpg"),))
    product = _product(links=(asset,))
    with pytest.raises(MappingError, match="GATEWAY_SHOP_BASE_URL"):
        default_commerce_mapping(product, MappingContext.for_settings(load_settings({})))
    only_shop = {"GATEWAY_SHOP_BASE_URL": "https://shop.example.com/p"}
    with pytest.raises(MappingError, match="GATEWAY_IMAGE_BASE_URL"):
        default_commerce_mapping(product, MappingContext.for_settings(load_settings(only_shop)))
    catalog = default_catalog_mapping(product, MappingContext.for_settings(load_settings({})))
    assert not any(tag.startswith("imageurl:") for tag in catalog.tags)  # a tag is optional
