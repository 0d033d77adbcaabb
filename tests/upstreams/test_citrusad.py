"""The CitrusAd client against the emulator over loopback."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from gateway.emulators.citrusad import VARIANTS
from gateway.emulators.serving import BackgroundServer
from gateway.errors import BadUserInput, UpstreamRejected, UpstreamUnavailable
from gateway.settings import DEMO_CITRUSAD_CATALOG_ID, DEMO_CITRUSAD_TEAM_ID, load_settings
from gateway.upstreams.citrusad import CitrusAdClient
from gateway.upstreams.records import CatalogProduct
from gateway.upstreams.transport import TransportPool, citrusad_config

CATALOG = DEMO_CITRUSAD_CATALOG_ID
COVERGIRL = "23556578965543"  # seeded from the document's example


def item(gtin: str, **changes: object) -> CatalogProduct:
    base = CatalogProduct(
        catalog_id=CATALOG,
        gtin=gtin,
        inventory=50,
        price=Decimal("19.99"),
        tags=("imageurl:https://img.example/a.jpg", "name:Foundation"),
        filters=("category:Health&Beauty", "Brand:Covergirl"),
        profit=Decimal("1.50"),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def client(citrusad_server: BackgroundServer) -> AsyncIterator[CitrusAdClient]:
    config = citrusad_config(load_settings({}), emulator_url=citrusad_server.url)
    config = dataclasses.replace(
        config, timeout=2.0, backoff_initial=0.01, backoff_max=0.05, backoff_jitter=0.01
    )
    pool = TransportPool()
    yield CitrusAdClient(pool.add(config), DEMO_CITRUSAD_TEAM_ID, max_concurrency=3)
    await pool.aclose()


def _log(server: BackgroundServer, method: str) -> list[str]:
    return [e.path for e in server.app.state.log.entries() if e.method == method]


async def test_upsert_chunks_of_100_and_echoes_exact_decimals(
    client: CitrusAdClient, citrusad_server: BackgroundServer
) -> None:
    products = [item(f"9{i:012d}", price=Decimal("0.10") * (i + 1)) for i in range(230)]
    echoed = await client.upsert(products)
    assert [e.gtin for e in echoed] == [p.gtin for p in products]
    assert echoed[2].price == Decimal("0.30")  # not 0.30000000000000004
    assert isinstance(echoed[0].price, Decimal) and echoed[0].profit == Decimal("1.5")
    assert echoed[0].team_id == DEMO_CITRUSAD_TEAM_ID
    sizes = [
        len(e.json()["catalogProducts"])
        for e in citrusad_server.app.state.log.entries()
        if e.method == "POST"
    ]
    assert sizes == [100, 100, 30]
    first = citrusad_server.app.state.log.entries()[0]
    assert first.query == f"teamId={DEMO_CITRUSAD_TEAM_ID}"
    assert first.json()["catalogProducts"][0]["price"] == "0.10"  # decimals go out as strings


async def test_get_reads_one_product_and_none_when_not_found(client: CitrusAdClient) -> None:
    found = await client.get(CATALOG, COVERGIRL)
    assert found is not None
    assert (found.gtin, found.price, found.inventory) == (COVERGIRL, Decimal("19.99"), 50)
    assert await client.get(CATALOG, "0000000000000") is None


async def test_ids_in_paths_are_escaped(
    client: CitrusAdClient, citrusad_server: BackgroundServer
) -> None:
    odd = "A?b#c%20d&e"
    await client.upsert([item(odd)])
    found = await client.get(CATALOG, odd)
    assert found is not None and found.gtin == odd
    raw = [e for e in citrusad_server.app.state.log.entries() if e.method == "GET"]
    assert raw[0].path == f"/v1/catalog-products/{CATALOG}/{odd}"  # decoded by the server


async def test_get_many_one_slot_per_key_with_errors_in_their_slots(
    client: CitrusAdClient, citrusad_server: BackgroundServer
) -> None:
    keys = [(CATALOG, COVERGIRL), (CATALOG, "nope"), (CATALOG, "bad/code"), (CATALOG, COVERGIRL)]
    results = await client.get_many(keys)
    assert isinstance(results[0], CatalogProduct) and results[0].gtin == COVERGIRL
    assert results[1] is None
    assert isinstance(results[2], BadUserInput) and results[2].item == "bad/code"
    assert results[3] == results[0]
    assert len(_log(citrusad_server, "GET")) == 2  # distinct valid keys only


async def test_get_many_fans_out_under_the_cap(
    client: CitrusAdClient, citrusad_server: BackgroundServer
) -> None:
    citrusad_server.app.state.faults.set(latency=0.1)
    keys = [(CATALOG, f"code-{i}") for i in range(9)]
    in_flight = 0
    peak = 0
    original = client.transport.request

    async def counting(*args: object, **kwargs: object) -> object:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await original(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            in_flight -= 1

    client.transport.request = counting  # type: ignore[method-assign]
    assert await client.get_many(keys) == [None] * 9
    assert peak == 3


async def test_a_read_is_retried_after_503(
    client: CitrusAdClient, citrusad_server: BackgroundServer
) -> None:
    citrusad_server.app.state.faults.set(status=503, count=1, retry_after=0)
    assert await client.get(CATALOG, COVERGIRL) is not None
    assert len(_log(citrusad_server, "GET")) == 2


async def test_upstream_failure_lands_in_its_slot(
    client: CitrusAdClient, citrusad_server: BackgroundServer
) -> None:
    client.transport.config = dataclasses.replace(client.transport.config, max_retries=0)
    citrusad_server.app.state.faults.set(status=500, count=1)
    results = await client.get_many([(CATALOG, COVERGIRL)])
    assert isinstance(results[0], UpstreamUnavailable) and results[0].status == 500


async def test_delete_with_and_without_seller(
    client: CitrusAdClient, citrusad_server: BackgroundServer
) -> None:
    await client.upsert([item("111"), item("222", seller_id="s-1")])
    assert await client.delete(CATALOG, "111") is True
    assert await client.get(CATALOG, "111") is None
    with pytest.raises(UpstreamRejected) as caught:
        await client.delete(CATALOG, "222")
    assert caught.value.status == 400
    assert await client.delete(CATALOG, "222", seller_id="other") is False
    results = await client.delete_many([(CATALOG, "222", "s-1"), (CATALOG, "333", None)])
    assert results == [True, False]
    deletes = [e for e in citrusad_server.app.state.log.entries() if e.method == "DELETE"]
    assert deletes[-2].query == "sellerId=s-1"  # only sellerId: the document sends no teamId
    assert deletes[-1].query == ""


@pytest.mark.parametrize(
    ("product", "named"),
    [
        (item(""), None),
        (item("a b"), "a b"),
        (item(".."), ".."),
        (item("1", inventory=-1), "catalogProducts[1] (gtin 1)"),
        (item("1", price=Decimal("NaN")), "catalogProducts[1] (gtin 1)"),
        (item("1", profit=Decimal("-0.01")), "catalogProducts[1] (gtin 1)"),
    ],
)
async def test_invalid_products_are_refused_before_any_call(
    client: CitrusAdClient,
    citrusad_server: BackgroundServer,
    product: CatalogProduct,
    named: str | None,
) -> None:
    with pytest.raises(BadUserInput) as caught:
        await client.upsert([item("ok"), product])
    if named is not None:
        assert caught.value.item == named
    assert citrusad_server.app.state.log.count() == 0


async def test_invalid_keys_are_refused_before_any_call(
    client: CitrusAdClient, citrusad_server: BackgroundServer
) -> None:
    with pytest.raises(BadUserInput):
        await client.get(CATALOG, "x" * 129)
    with pytest.raises(BadUserInput):
        await client.delete("cat/../x", "1")
    assert citrusad_server.app.state.log.count() == 0


async def test_garbled_answer_is_a_bad_response(
    client: CitrusAdClient, citrusad_server: BackgroundServer
) -> None:
    from gateway.errors import UpstreamBadResponse

    citrusad_server.app.state.faults.set(malformed=1, malformed_body=b'{"catalogProducts": [1]}')
    with pytest.raises(UpstreamBadResponse):
        await client.get(CATALOG, COVERGIRL)


# --- the documented request, and every "not found" the document leaves possible -------------


async def test_get_and_delete_are_sent_as_the_document_shows(
    client: CitrusAdClient, citrusad_server: BackgroundServer
) -> None:
    await client.upsert([item("111")])
    await client.get(CATALOG, COVERGIRL)
    await client.delete(CATALOG, "111")
    await client.delete(CATALOG, "222", seller_id="abc123")
    sent = [
        (e.method, e.path, e.query, e.headers.get("accept"))
        for e in citrusad_server.app.state.log.entries()
    ]
    one = f"/v1/catalog-products/{CATALOG}"
    assert sent == [
        ("POST", "/v1/catalog-products", f"teamId={DEMO_CITRUSAD_TEAM_ID}", "application/json"),
        ("GET", f"{one}/{COVERGIRL}", "", "application/json"),
        ("DELETE", f"{one}/111", "", "application/json"),
        ("DELETE", f"{one}/222", "sellerId=abc123", "application/json"),
    ]


@pytest.mark.parametrize("variant", VARIANTS)
async def test_every_not_found_answer_means_not_there(
    client: CitrusAdClient, citrusad_server: BackgroundServer, variant: str
) -> None:
    citrusad_server.app.state.not_found.set(variant)
    assert await client.get(CATALOG, "0000000000000") is None
    assert await client.delete(CATALOG, "0000000000000") is False
    found = await client.get_many([(CATALOG, "0000000000000"), (CATALOG, COVERGIRL)])
    assert found[0] is None and isinstance(found[1], CatalogProduct)


@pytest.mark.parametrize(
    ("body", "gtin"),
    [
        (b"{}", None),
        (b'{"catalogProducts": null}', None),
        (b'{"message": "no such product"}', None),
        (b'{"catalogId": "c", "gtin": "23556578965543", "inventory": 1, "price": 1}', COVERGIRL),
        (
            b'{"catalogProducts": [{"catalogId": "c", "gtin": "1", "inventory": 1, "price": 1},'
            b' {"catalogId": "c", "gtin": "23556578965543", "inventory": 1, "price": 2}]}',
            COVERGIRL,
        ),
    ],
    ids=["empty object", "null list", "a message", "a bare product", "the asked one of two"],
)
async def test_a_200_without_a_product_is_none_and_with_one_is_read(
    client: CitrusAdClient, citrusad_server: BackgroundServer, body: bytes, gtin: str | None
) -> None:
    citrusad_server.app.state.faults.set(
        malformed=1, malformed_body=body, malformed_content_type="application/json"
    )
    found = await client.get(CATALOG, COVERGIRL)
    assert (found.gtin if found else None) == gtin


async def test_a_404_on_a_write_is_still_a_refusal(
    client: CitrusAdClient, citrusad_server: BackgroundServer
) -> None:
    """Only the single-product GET and DELETE read a 404 as "not there"."""
    citrusad_server.app.state.faults.set(status=404, count=1)
    with pytest.raises(UpstreamRejected) as caught:
        await client.upsert([item("111")])
    assert caught.value.status == 404
