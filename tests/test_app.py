from __future__ import annotations

import httpx
import pytest

from gateway.emulators.serving import BackgroundServer
from tests.conftest import GatewayStack


@pytest.fixture
def gateway_server(stack: GatewayStack) -> BackgroundServer:
    return stack.gateway


def test_healthz(gateway_server: BackgroundServer) -> None:
    answer = httpx.get(f"{gateway_server.url}/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_graphql_answers_a_query(gateway_server: BackgroundServer) -> None:
    answer = httpx.post(f"{gateway_server.url}/graphql", json={"query": "{ gatewayVersion }"})
    assert answer.status_code == 200
    assert answer.json()["data"]["gatewayVersion"] == "0.1.0"


def test_graphiql_is_served_to_browsers(gateway_server: BackgroundServer) -> None:
    answer = httpx.get(f"{gateway_server.url}/graphql", headers={"Accept": "text/html"})
    assert answer.status_code == 200
    assert "graphiql" in answer.text.lower()
