"""The OMNICOMMERCE client against the emulator over loopback."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.emulators.serving import BackgroundServer
from gateway.errors import BadUserInput, UpstreamRejected
from gateway.settings import DEMO_OMNICOMMERCE_API_KEY, load_settings
from gateway.upstreams.omnicommerce import OmnicommerceClient
from gateway.upstreams.records import CommerceProduct, CommerceProductPatch
from gateway.upstreams.transport import TransportPool, omnicommerce_config

PATH = "/2022-08/management/products"


def product(i: int | str, **changes: object) -> CommerceProduct:
    base = CommerceProduct(
        id=f"P-{i}",
        url=f"https://img.example/{i}.jpg",
        detection="TOP",
        sales_url=f"https://shop.example/{i}",
        metadata={"productName": f"shirt {i}", "originPrice": 10000},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def client(omnicommerce_server: BackgroundServer) -> AsyncIterator[OmnicommerceClient]:
    config = omnicommerce_config(
        load_settings({}), emulator_url=omnicommerce_server.url + "/2022-08"
    )
    config = dataclasses.replace(
        config, timeout=2.0, backoff_initial=0.01, backoff_max=0.05, backoff_jitter=0.01
    )
    pool = TransportPool()
    yield OmnicommerceClient(pool.add(config))
    await pool.aclose()


def _posts(server: BackgroundServer) -> list[list[str]]:
    return [
        [p["id"] for p in e.json()["products"]]
        for e in server.app.state.log.entries()
        if e.method == "POST" and e.path == PATH
    ]


def _statuses(client: OmnicommerceClient) -> set[str]:
    return {outcome for (_, _, outcome) in client.transport.metrics.calls}


async def test_250_items_become_3_paced_requests_without_429(
    client: OmnicommerceClient, omnicommerce_server: BackgroundServer
) -> None:
    result = await client.register([product(i) for i in range(250)])
    assert (result.accept, result.failure, result.unknown) == (250, 0, ())
    # The chunks go out concurrently (paced, not one after another): they may arrive in any
    # order, each holding consecutive items.
    chunks = sorted(_posts(omnicommerce_server), key=lambda ids: int(ids[0].split("-")[1]))
    assert [len(ids) for ids in chunks] == [100, 100, 50]
    assert [ids[0] for ids in chunks] == ["P-0", "P-100", "P-200"]
    assert [i for ids in chunks for i in ids] == [f"P-{i}" for i in range(250)]
    assert len(omnicommerce_server.app.state.store.products) == 250
    assert _statuses(client) == {"202"}


async def test_six_requests_take_over_a_second_and_none_is_refused(
    client: OmnicommerceClient, omnicommerce_server: BackgroundServer
) -> None:
    started = time.monotonic()
    result = await client.register([product(i) for i in range(550)])
    # 5 per second: the 6th request cannot start within a second of the 1st.
    assert time.monotonic() - started > 1.0
    assert result.accept == 550
    assert len(_posts(omnicommerce_server)) == 6
    assert _statuses(client) == {"202"}


async def test_429_is_waited_out_and_the_same_chunk_resent(
    client: OmnicommerceClient, omnicommerce_server: BackgroundServer
) -> None:
    omnicommerce_server.app.state.faults.set(status=429, count=1, retry_after=1)
    started = time.monotonic()
    result = await client.register([product(i) for i in range(150)])
    assert time.monotonic() - started >= 1.0
    assert (result.accept, result.failure, result.unknown) == (150, 0, ())
    posts = _posts(omnicommerce_server)
    assert len(posts) == 3
    refused = posts[0]
    assert posts.count(refused) == 2  # the refused chunk went again, unchanged
    assert sorted(i for ids in posts[1:] for i in ids) == sorted(f"P-{i}" for i in range(150))
    assert len(omnicommerce_server.app.state.store.products) == 150


async def test_the_emulators_own_rate_window_is_waited_out(
    client: OmnicommerceClient, omnicommerce_server: BackgroundServer
) -> None:
    # Another process on the same key spends the window; our limiter cannot know it.
    headers = {"X-Api-Key": DEMO_OMNICOMMERCE_API_KEY}
    async with httpx.AsyncClient() as other:
        for i in range(5):
            body = {"products": [product(f"other-{i}").to_json()]}
            await other.post(omnicommerce_server.url + PATH, json=body, headers=headers)
    result = await client.register([product(1)])
    assert result.accept == 1
    assert client.transport.metrics.count("omnicommerce", outcome="429") == 1


async def test_write_that_times_out_is_not_resent_and_its_items_are_unknown(
    client: OmnicommerceClient, omnicommerce_server: BackgroundServer
) -> None:
    client.transport.config = dataclasses.replace(client.transport.config, timeout=0.2)
    omnicommerce_server.app.state.faults.set(latency=0.5)
    result = await client.register([product(i) for i in range(3)])
    assert result.unknown == ("P-0", "P-1", "P-2")
    assert (result.accept, result.failure) == (0, 0)
    assert len(_posts(omnicommerce_server)) == 1


async def test_a_5xx_chunk_is_unknown_while_the_others_are_answered(
    client: OmnicommerceClient, omnicommerce_server: BackgroundServer
) -> None:
    omnicommerce_server.app.state.faults.set(status=503, count=1)
    result = await client.register([product(i) for i in range(120)])
    # The two chunks fly together: whichever arrived first got the 503 (read from the log).
    posts = [e for e in omnicommerce_server.app.state.log.entries() if e.method == "POST"]
    assert sorted(e.status for e in posts) == [202, 503]
    (refused,) = [e for e in posts if e.status == 503]
    sent_ids = tuple(p["id"] for p in refused.json()["products"])
    assert result.unknown == sent_ids
    assert result.accept == 120 - len(sent_ids)


async def test_a_refused_call_raises(
    client: OmnicommerceClient, omnicommerce_server: BackgroundServer
) -> None:
    omnicommerce_server.app.state.faults.set(status=400, count=1)
    with pytest.raises(UpstreamRejected) as caught:
        await client.register([product(1)])
    assert (caught.value.status, caught.value.upstream) == (400, "omnicommerce")


async def test_per_item_failures_are_reported(
    client: OmnicommerceClient, omnicommerce_server: BackgroundServer
) -> None:
    await client.register([product(1)])
    result = await client.register(
        [product(1), product(2, url="https://cdn.invalid/x.jpg"), product(3)],
        block_duplicates=True,
    )
    assert (result.accept, result.failure) == (1, 2)
    assert {(f.id, f.errors) for f in result.failures} == {
        ("P-1", "Block duplicate products."),
        ("P-2", "fail to prove image from url."),
    }
    assert omnicommerce_server.app.state.log.entries()[-1].json()["options"] == ["BLOCK_DUPLICATES"]


async def test_update_changes_only_what_is_sent_and_delete_removes(
    client: OmnicommerceClient, omnicommerce_server: BackgroundServer
) -> None:
    store = omnicommerce_server.app.state.store
    await client.register([product(1), product(2)])
    result = await client.update([CommerceProductPatch(id="P-1", metadata={"productName": "new"})])
    assert result.accept == 1
    assert store.products["P-1"]["metadata"] == {"productName": "new", "originPrice": 10000}
    assert store.products["P-1"]["salesUrl"] == "https://shop.example/1"
    result = await client.delete(["P-2", "P-404"])
    assert (result.accept, result.failure) == (1, 1)
    assert result.failures[0].id == "P-404"
    assert set(store.products) == {"P-1"}
    (delete,) = [e for e in omnicommerce_server.app.state.log.entries() if e.method == "DELETE"]
    assert delete.json() == {"productIds": ["P-2", "P-404"]}


@pytest.mark.parametrize(
    ("items", "named"),
    [
        ([product(1), product("bad id")], "P-bad id"),
        ([product(1, id="x" * 51)], "x" * 51),
        ([product(1, id="")], None),
        ([product(2, url="")], "P-2"),
        ([product(3, sales_url="ftp://x")], "P-3"),
        ([product(4, detection=" ")], "P-4"),
        ([product(5), product(5)], "P-5"),
    ],
)
async def test_invalid_items_are_refused_before_any_call(
    client: OmnicommerceClient,
    omnicommerce_server: BackgroundServer,
    items: list[CommerceProduct],
    named: str | None,
) -> None:
    with pytest.raises(BadUserInput) as caught:
        await client.register(items)
    if named is not None:
        assert caught.value.item == named
    assert omnicommerce_server.app.state.log.count() == 0


async def test_invalid_patches_and_ids_are_refused_before_any_call(
    client: OmnicommerceClient, omnicommerce_server: BackgroundServer
) -> None:
    with pytest.raises(BadUserInput, match="changes nothing"):
        await client.update([CommerceProductPatch(id="P-1")])
    with pytest.raises(BadUserInput) as caught:
        await client.delete(["ok", "not/ok"])
    assert caught.value.item == "not/ok"
    assert omnicommerce_server.app.state.log.count() == 0


async def test_nothing_to_send_sends_nothing(
    client: OmnicommerceClient, omnicommerce_server: BackgroundServer
) -> None:
    result = await client.delete([])
    assert (result.accept, result.failure) == (0, 0)
    assert omnicommerce_server.app.state.log.count() == 0


async def test_1000_items_from_8_callers_never_trip_the_limit_under_random_delay(
    client: OmnicommerceClient, omnicommerce_server: BackgroundServer
) -> None:
    # 0 to 0.3 s of delay on the way in: requests sent apart arrive bunched. The pace holds
    # because each slot reopens a window after its answer, not after its start.
    omnicommerce_server.app.state.faults.set(jitter=0.3)
    pushy = OmnicommerceClient(client.transport, max_in_flight=8)
    results = await asyncio.gather(
        *(pushy.register([product(f"{c}-{i}") for i in range(125)]) for c in range(8))
    )
    assert [(r.accept, r.failure, r.unknown) for r in results] == [(125, 0, ())] * 8
    log = omnicommerce_server.app.state.log
    statuses = [e.status for e in log.entries()]
    assert (len(statuses), statuses.count(429)) == (16, 0)
    assert set(statuses) == {202}
    assert log.max_in_window(1.0, "POST", PATH) <= 5  # arrivals, at the upstream's end
    assert len(omnicommerce_server.app.state.store.products) == 1000
