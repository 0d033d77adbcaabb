"""Emulator of the OMN PIM API (``omn-pim-api.txt``): XML answers, in-memory state, demo seed.

``create_app()`` gives the Starlette app; ``app.state.store`` is its ``Store``.
"""

from __future__ import annotations

from gateway.emulators.pim.app import BASE_PATH, create_app
from gateway.emulators.pim.store import Store

__all__ = ["BASE_PATH", "Store", "create_app"]
