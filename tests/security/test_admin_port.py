"""``GATEWAY_ADMIN_PORT``: /metrics leaves the public port for an admin listener (issue 14)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.emulators.serving import BackgroundServer
from tests.conftest import GatewayStack, start_stack
from tests.test_serving import _free_port, _process


@pytest.fixture
def admin_stack(tmp_path: Path) -> Iterator[GatewayStack]:
    running = start_stack(
        {"GATEWAY_DATABASE": str(tmp_path / "g.sqlite3"), "GATEWAY_ADMIN_PORT": "0"}
    )
    try:
        yield running
    finally:
        for server in (running.gateway, running.pim, running.omnicommerce, running.citrusad):
            server.stop()


def test_metrics_leave_the_public_port_for_the_admin_app(admin_stack: GatewayStack) -> None:
    public = admin_stack.gateway.url
    assert httpx.get(f"{public}/metrics").status_code == 404
    assert httpx.get(f"{public}/readyz").status_code == 200  # probes stay where they were
    assert httpx.get(f"{public}/healthz").status_code == 200
    # Its own loop here, so /readyz (the runtime's loop) is checked with `gateway serve` below.
    admin = BackgroundServer(admin_stack.gateway.app.state.admin_app).start()
    try:
        metrics = httpx.get(f"{admin.url}/metrics")
        graphql = httpx.post(f"{admin.url}/graphql", json={"query": "{ __typename }"})
    finally:
        admin.stop()
    assert metrics.status_code == 200
    assert "gateway_circuit_breaker_open" in metrics.text
    assert graphql.status_code == 404  # the admin listener serves no GraphQL


def test_without_the_setting_metrics_stay_on_the_public_port(stack: GatewayStack) -> None:
    assert stack.gateway.app.state.admin_app is None
    assert httpx.get(f"{stack.gateway.url}/metrics").status_code == 200


def test_gateway_serve_listens_on_the_admin_port() -> None:
    port, admin_port = _free_port(), _free_port()
    env = {
        "GATEWAY_PORT": str(port),
        "GATEWAY_ADMIN_PORT": str(admin_port),
        "GATEWAY_DEVELOPMENT_MODE": "true",
    }
    with _process(["serve"], env, f"http://127.0.0.1:{port}", "/healthz"):
        public = httpx.get(f"http://127.0.0.1:{port}/metrics")
        admin = httpx.get(f"http://127.0.0.1:{admin_port}/metrics")
        ready = httpx.get(f"http://127.0.0.1:{admin_port}/readyz", timeout=30)
    assert public.status_code == 404
    assert admin.status_code == 200
    assert "gateway_" in admin.text
    assert ready.status_code == 200
    assert set(ready.json()["upstreams"]) == {"pim", "omnicommerce", "citrusad"}
