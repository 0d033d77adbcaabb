"""A read leaves no reference cycle holding its records: they go when the request ends.

A cycle anywhere above the per-request loaders (a loader's batch function bound to the
loaders, graphql-core's executor referring to itself) keeps the request's context, loaders
and every record they loaded alive until a full collection; at 100 products a request, those
collections were a sixth of the gateway's CPU. Each read here runs with the collector saving
what it finds (``DEBUG_SAVEALL``) so that a test can see what only a collection would free.
Only the fast path (the default) is held to it: graphql-core's own executor, which the normal
path runs, refers to itself.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest

from gateway import Gateway
from gateway.emulators import citrusad, omnicommerce, pim
from gateway.emulators.serving import BackgroundServer
from gateway.settings import load_settings, with_embedded_upstreams
from tests.schema.test_read_queries import DEEP

# Types whose instances a read makes only for itself: none may be left in a cycle.
_PER_REQUEST = {"Loaders", "GatewayContext", "DataLoader", "Product", "Article", "Run"}


@pytest.fixture(scope="module")
def emulators() -> Iterator[dict[str, BackgroundServer]]:
    servers = {
        "pim": BackgroundServer(pim.create_app(seed=True)).start(),
        "omnicommerce": BackgroundServer(omnicommerce.create_app(seed=True)).start(),
        "citrusad": BackgroundServer(citrusad.create_app(seed=True)).start(),
    }
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture
async def gateway(
    emulators: dict[str, BackgroundServer], tmp_path: object
) -> AsyncIterator[Gateway]:
    settings = load_settings(
        {
            "GATEWAY_FAST_EXECUTION": "true",
            "GATEWAY_CACHE_ENABLED": "false",
            "GATEWAY_DEVELOPMENT_MODE": "true",
            "GATEWAY_DATABASE": f"{tmp_path}/gateway.sqlite3",
        }
    )
    urls = {name: server.url for name, server in emulators.items()}
    async with Gateway(with_embedded_upstreams(settings, urls)) as gateway:
        yield gateway


async def _cyclic_garbage(
    gateway: Gateway, query: str, variables: dict[str, object]
) -> Counter[str]:
    """The per-request objects of one read that only the collector would have freed."""
    await gateway.execute(query, variables)  # first use: plans, caches, connections
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        before = gateway.schema.fast_execution.stats.fast  # type: ignore[attr-defined]
        answer = await gateway.execute(query, variables)
        assert answer.ok, answer.errors
        assert gateway.schema.fast_execution.stats.fast == before + 1  # type: ignore[attr-defined]
        del answer
        gc.collect()
        return Counter(type(o).__name__ for o in gc.garbage if type(o).__name__ in _PER_REQUEST)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


async def test_a_deep_read_leaves_its_records_to_reference_counting(gateway: Gateway) -> None:
    tids = [f"DEMO-{i:04d}" for i in range(1, 21)]
    assert await _cyclic_garbage(gateway, DEEP, {"tids": tids}) == Counter()


async def test_node_and_attribute_loaders_leave_no_cycle(gateway: Gateway) -> None:
    # These loaders' batch functions call other loaders of the same request.
    query = """{ product(tid: "DEMO-0004") { node { path parent { path } children { path } }
                 attributes(includeInherited: true) { key } } }"""
    assert await _cyclic_garbage(gateway, query, {}) == Counter()
