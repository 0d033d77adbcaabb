"""Shared fixtures: each emulator, freshly seeded, served over loopback HTTP per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.emulators import citrusad, omnicommerce, pim
from gateway.emulators.serving import BackgroundServer
from gateway.extensions import ExtensionRegistry
from gateway.security import generate_api_key, hash_api_key
from gateway.settings import load_settings, with_embedded_upstreams

# Keys the test gateway accepts; `stack.query` sends WRITER_KEY unless told otherwise.
WRITER_KEY = generate_api_key()
READER_KEY = generate_api_key()
WRITE_ONLY_KEY = generate_api_key()
TEST_API_KEYS = ",".join(
    [
        f"{hash_api_key(WRITER_KEY)}:read+write:tests",
        f"{hash_api_key(READER_KEY)}:read:reader",
        f"{hash_api_key(WRITE_ONLY_KEY)}:write:writer",
    ]
)


def _serve(app: Starlette) -> Iterator[BackgroundServer]:
    server = BackgroundServer(app).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pim_server() -> Iterator[BackgroundServer]:
    """The OMN PIM emulator with demo data; ``.url`` is the server root, ``.app.state`` its insides."""
    yield from _serve(pim.create_app(seed=True))


@pytest.fixture
def omnicommerce_server() -> Iterator[BackgroundServer]:
    yield from _serve(omnicommerce.create_app(seed=True))


@pytest.fixture
def citrusad_server() -> Iterator[BackgroundServer]:
    yield from _serve(citrusad.create_app(seed=True))


@dataclass
class GatewayStack:
    """The gateway served over loopback in front of the three emulators."""

    gateway: BackgroundServer
    pim: BackgroundServer
    omnicommerce: BackgroundServer
    citrusad: BackgroundServer

    @property
    def url(self) -> str:
        return f"{self.gateway.url}/graphql"

    def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        api_key: str | None = WRITER_KEY,
        **headers: str,
    ) -> dict[str, Any]:
        """POST an operation with the writer's key (``api_key=None``: anonymous)."""
        if api_key is not None:
            headers = {"X-API-Key": api_key, **headers}
        answer = httpx.post(
            self.url,
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=60,
        )
        assert answer.status_code in (200, 400, 401, 403), answer.text
        body: dict[str, Any] = answer.json()
        return body

    def clear_logs(self) -> None:
        for server in (self.pim, self.omnicommerce, self.citrusad):
            server.app.state.log.clear()

    def upstream_calls(self) -> dict[str, int]:
        return {
            name: server.app.state.log.count()
            for name, server in (
                ("pim", self.pim),
                ("omnicommerce", self.omnicommerce),
                ("citrusad", self.citrusad),
            )
        }


def start_stack(
    environ: dict[str, str] | None = None, registry: ExtensionRegistry | None = None
) -> GatewayStack:
    """Emulators and a gateway in development mode (as ``make run``) unless ``environ`` says
    otherwise (e.g. ``GATEWAY_DEVELOPMENT_MODE=false`` for production behaviour)."""
    servers = {
        "pim": BackgroundServer(pim.create_app(seed=True)).start(),
        "omnicommerce": BackgroundServer(omnicommerce.create_app(seed=True)).start(),
        "citrusad": BackgroundServer(citrusad.create_app(seed=True)).start(),
    }
    settings = with_embedded_upstreams(
        load_settings(
            {
                "GATEWAY_API_KEYS": TEST_API_KEYS,
                "GATEWAY_DEVELOPMENT_MODE": "true",
                **(environ or {}),
            }
        ),
        {name: s.url for name, s in servers.items()},
    )
    app = create_app(settings, registry=registry, emulated=tuple(servers))
    gateway = BackgroundServer(app).start()
    return GatewayStack(gateway=gateway, **servers)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[GatewayStack]:
    """A fresh gateway (with its own read-model database) and fresh, seeded emulators per test."""
    running = start_stack({"GATEWAY_DATABASE": str(tmp_path / "gateway.sqlite3")})
    try:
        yield running
    finally:
        for server in (running.gateway, running.pim, running.omnicommerce, running.citrusad):
            server.stop()
