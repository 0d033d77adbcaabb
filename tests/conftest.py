"""Shared fixtures: each emulator, freshly seeded, served over loopback HTTP per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from gateway.emulators import citrusad, omnicommerce, pim
from gateway.emulators.serving import BackgroundServer


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
