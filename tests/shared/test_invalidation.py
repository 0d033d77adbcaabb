"""Two gateway processes (two apps, two runtimes) on one Redis, in front of the same emulators.

A write through one evicts what the other has cached; without Redis, reads still answer,
``/readyz`` says why not ready, and a write to a rate-limited upstream waits unsent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.emulators import citrusad, omnicommerce, pim
from gateway.emulators.serving import BackgroundServer
from gateway.settings import load_settings, with_embedded_upstreams
from tests.conftest import TEST_API_KEYS, WRITER_KEY
from tests.shared.conftest import unused_port

READ = '{ product(tid: "DEMO-0001") { name } }'
RENAME = """mutation($p: [ProductInput!]!) { saveProducts(products: $p) { ok } }"""
PIM_READS = "/api/core/v1/pim/products"


class Upstreams:
    def __init__(self) -> None:
        self.pim = BackgroundServer(pim.create_app(seed=True)).start()
        self.omnicommerce = BackgroundServer(omnicommerce.create_app(seed=True)).start()
        self.citrusad = BackgroundServer(citrusad.create_app(seed=True)).start()

    @property
    def urls(self) -> dict[str, str]:
        return {
            "pim": self.pim.url,
            "omnicommerce": self.omnicommerce.url,
            "citrusad": self.citrusad.url,
        }

    def stop(self) -> None:
        for server in (self.pim, self.omnicommerce, self.citrusad):
            server.stop()


@pytest.fixture
def upstreams() -> Iterator[Upstreams]:
    running = Upstreams()
    try:
        yield running
    finally:
        running.stop()


def gateway(upstreams: Upstreams, redis_url: str, database: Path) -> BackgroundServer:
    settings = load_settings(
        {
            "GATEWAY_API_KEYS": TEST_API_KEYS,
            "GATEWAY_DEVELOPMENT_MODE": "true",
            "GATEWAY_DATABASE": str(database),
            "GATEWAY_REDIS_URL": redis_url,
        }
    )
    app = create_app(
        with_embedded_upstreams(settings, upstreams.urls), emulated=tuple(upstreams.urls)
    )
    return BackgroundServer(app).start()


@pytest.fixture
def replicas(
    upstreams: Upstreams, redis_url: str, tmp_path: Path
) -> Iterator[tuple[BackgroundServer, BackgroundServer]]:
    first = gateway(upstreams, redis_url, tmp_path / "a.sqlite3")
    second = gateway(upstreams, redis_url, tmp_path / "b.sqlite3")
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


def query(server: BackgroundServer, text: str, variables: dict[str, Any] | None = None) -> Any:
    answer = httpx.post(
        f"{server.url}/graphql",
        json={"query": text, "variables": variables or {}},
        headers={"X-API-Key": WRITER_KEY},
        timeout=30,
    )
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]


def pim_reads(upstreams: Upstreams) -> int:
    log = upstreams.pim.app.state.log
    return sum(1 for e in log.entries() if e.path.startswith(PIM_READS))


def test_a_rename_through_one_replica_is_read_through_the_other_at_once(
    upstreams: Upstreams, replicas: tuple[BackgroundServer, BackgroundServer]
) -> None:
    a, b = replicas
    before = query(a, READ)["product"]["name"]
    assert query(b, READ)["product"]["name"] == before
    reads = pim_reads(upstreams)
    assert query(b, READ)["product"]["name"] == before
    assert pim_reads(upstreams) == reads  # B answers from its cache now
    renamed = query(a, RENAME, {"p": [{"tid": "DEMO-0001", "name": "Renamed"}]})
    assert renamed["saveProducts"]["ok"]
    assert query(b, READ)["product"]["name"] == "Renamed"
    assert pim_reads(upstreams) > reads  # B asked the PIM again: its entry was evicted


def test_without_redis_reads_answer_readyz_says_why_and_a_write_waits_unsent(
    upstreams: Upstreams, tmp_path: Path
) -> None:
    server = gateway(upstreams, f"redis://127.0.0.1:{unused_port()}/0", tmp_path / "g.sqlite3")
    try:
        assert query(server, READ)["product"]["name"]
        ready = httpx.get(f"{server.url}/readyz", timeout=30)
        assert ready.status_code == 503
        report = ready.json()
        assert "redis" in report["unavailable"]
        assert report["redis"]["error"].startswith("redis unreachable")
        register = """mutation($p: [CommerceProductInput!]!) {
          registerCommerceProducts(products: $p, mode: JOB) { job { id } } }"""
        product = {
            "id": "P-1",
            "url": "https://img.example/1.jpg",
            "detection": "TOP",
            "salesUrl": "https://shop.example/1",
            "metadata": {"productName": "shirt", "originPrice": 100},
        }
        job = query(server, register, {"p": [product]})
        assert job
        time.sleep(1.5)
        posts = [e for e in upstreams.omnicommerce.app.state.log.entries() if e.method == "POST"]
        assert posts == []  # the chunk waits for the shared window, not sent on a local one
    finally:
        server.stop()
