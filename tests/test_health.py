"""``/readyz``: documented calls with the configured credentials, against the emulators.

A wrong PIM token or CitrusAd key makes the gateway not ready (503, naming the upstream and
why); the write-only OMNICOMMERCE API is checked by a TCP connection and the latest answer to
a write, never by sending one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.emulators.serving import BackgroundServer
from gateway.observability.health import PROBE_CODE, readiness
from gateway.runtime import Runtime
from gateway.settings import (
    DEMO_CITRUSAD_API_KEY,
    DEMO_CITRUSAD_CATALOG_ID,
    DEMO_CITRUSAD_TEAM_ID,
    DEMO_OMNICOMMERCE_API_KEY,
    DEMO_PIM_TOKEN,
    load_settings,
)
from gateway.upstreams.records import CommerceProduct
from tests.conftest import TEST_API_KEYS

Servers = tuple[BackgroundServer, BackgroundServer, BackgroundServer]


@pytest.fixture
def servers(
    pim_server: BackgroundServer,
    omnicommerce_server: BackgroundServer,
    citrusad_server: BackgroundServer,
) -> Servers:
    return pim_server, omnicommerce_server, citrusad_server


def _environ(servers: Servers, tmp_path: Path, **overrides: str) -> dict[str, str]:
    """Every upstream configured as a real one would be: its URL and credentials."""
    pim, omnicommerce, citrusad = servers
    return {
        "GATEWAY_API_KEYS": TEST_API_KEYS,
        "GATEWAY_DATABASE": str(tmp_path / "gateway.sqlite3"),
        "GATEWAY_PIM_URL": f"{pim.url}/api/core/v1",
        "GATEWAY_PIM_TOKEN": DEMO_PIM_TOKEN,
        "GATEWAY_OMNICOMMERCE_URL": f"{omnicommerce.url}/2022-08",
        "GATEWAY_OMNICOMMERCE_API_KEY": DEMO_OMNICOMMERCE_API_KEY,
        "GATEWAY_CITRUSAD_URL": citrusad.url,
        "GATEWAY_CITRUSAD_API_KEY": DEMO_CITRUSAD_API_KEY,
        "GATEWAY_CITRUSAD_TEAM_ID": DEMO_CITRUSAD_TEAM_ID,
        **overrides,
    }


@pytest.fixture
def serve(servers: Servers, tmp_path: Path) -> Iterator[Any]:
    started: list[BackgroundServer] = []

    def start(**overrides: str) -> httpx.Response:
        settings = load_settings(_environ(servers, tmp_path, **overrides))
        gateway = BackgroundServer(create_app(settings)).start()
        started.append(gateway)
        return httpx.get(f"{gateway.url}/readyz", timeout=10)

    yield start
    for gateway in started:
        gateway.stop()


def test_ready_with_the_configured_credentials(serve: Any, servers: Servers) -> None:
    answer = serve()
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["status"], report["unavailable"]) == ("ready", [])
    assert all(entry["ready"] for entry in report["upstreams"].values())
    pim, omnicommerce, citrusad = servers
    assert [(e.method, e.path, e.query) for e in pim.app.state.log.entries()] == [
        ("GET", "/api/core/v1/pim/classes", "")
    ]
    assert [(e.method, e.path, e.query) for e in citrusad.app.state.log.entries()] == [
        ("GET", f"/v1/catalog-products/{DEMO_CITRUSAD_CATALOG_ID}/{PROBE_CODE}", "")
    ]
    assert report["upstreams"]["citrusad"]["answer"] == "not found, as expected for the probe code"
    assert omnicommerce.app.state.log.count() == 0  # a write-only API is never written to
    omni = report["upstreams"]["omnicommerce"]
    assert omni["credentials"] == (
        "not checked: write-only API; no write sent since the gateway started"
    )
    assert omni["checked"].startswith("TCP connection to 127.0.0.1:")


def test_a_wrong_pim_token_is_not_ready_and_says_so(serve: Any) -> None:
    answer = serve(GATEWAY_PIM_TOKEN="wrong-token")
    assert answer.status_code == 503
    report = answer.json()
    assert report["unavailable"] == ["pim"]
    pim = report["upstreams"]["pim"]
    assert (pim["ready"], pim["reachable"]) == (False, True)
    assert pim["error"].startswith("the PIM refused the configured token (401)")
    assert "wrong-token" not in answer.text


def test_a_wrong_citrusad_key_is_not_ready_and_says_so(serve: Any) -> None:
    answer = serve(GATEWAY_CITRUSAD_API_KEY="wrong-key")
    assert answer.status_code == 503
    report = answer.json()
    assert report["unavailable"] == ["citrusad"]
    assert report["upstreams"]["citrusad"]["error"].startswith(
        "CitrusAd refused the configured key (401)"
    )
    assert "wrong-key" not in answer.text


def test_a_login_page_in_front_of_the_pim_is_not_ready(serve: Any, servers: Servers) -> None:
    servers[0].app.state.faults.set(
        malformed=1,
        malformed_body=b"<!DOCTYPE html><html><body>Sign in</body></html>",
        malformed_content_type="text/html",
    )
    answer = serve()
    assert answer.status_code == 503
    assert "the PIM answered HTML (text/html)" in answer.json()["upstreams"]["pim"]["error"]


def _product() -> CommerceProduct:
    return CommerceProduct(
        id="P-1", url="https://img.example/1.jpg", detection="TOP", sales_url="https://s.example/1"
    )


async def test_omnicommerce_reports_the_latest_write_and_a_refused_key(
    servers: Servers, tmp_path: Path
) -> None:
    good = load_settings(_environ(servers, tmp_path))
    async with Runtime.build(good) as runtime:
        await runtime.omnicommerce.register([_product()])
        ready, report = await readiness(runtime)
    assert ready
    assert report["upstreams"]["omnicommerce"]["credentials"].startswith(
        "not checked: write-only API; the latest write was answered 202 at "
    )

    wrong = load_settings(_environ(servers, tmp_path, GATEWAY_OMNICOMMERCE_API_KEY="wrong"))
    async with Runtime.build(wrong) as runtime:
        ready, report = await readiness(runtime)
        assert ready, "nothing says the key is wrong until a write is answered"
        with pytest.raises(Exception):  # noqa: B017 - the only chunk was refused: 401
            await runtime.omnicommerce.register([_product()])
        ready, report = await readiness(runtime)
    assert not ready and report["unavailable"] == ["omnicommerce"]
    entry = report["upstreams"]["omnicommerce"]
    assert entry["error"] == "the latest write was refused (401): the API key is likely wrong"
    assert "answered 401" in entry["credentials"]


async def test_an_unreachable_omnicommerce_is_not_ready(servers: Servers, tmp_path: Path) -> None:
    settings = load_settings(_environ(servers, tmp_path))
    servers[1].stop()
    async with Runtime.build(settings) as runtime:
        ready, report = await readiness(runtime, probe_seconds=1.0)
    assert not ready and report["unavailable"] == ["omnicommerce"]
    entry = report["upstreams"]["omnicommerce"]
    assert entry["reachable"] is False and entry["error"].startswith("cannot connect")


async def test_the_gateways_own_store_is_checked(servers: Servers, tmp_path: Path) -> None:
    settings = load_settings(_environ(servers, tmp_path))
    async with Runtime.build(settings) as runtime:
        ready, report = await readiness(runtime, probe_seconds=2.0)
        assert ready and report["database"]["ready"] is True
        assert report["database"]["checked"].startswith("SELECT 1 on ")
        runtime.database.close()  # the store stops answering (a lost file, a server gone)
        ready, report = await readiness(runtime, probe_seconds=2.0)
    assert not ready and report["unavailable"] == ["database"]
    assert report["database"]["error"].endswith("write jobs and job queries wait")
