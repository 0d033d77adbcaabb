"""Emulator of the omnicommerce API (placeholder until the emulator lands)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from gateway.emulators.recording import Faults, RecordingMiddleware, RequestLog, admin_routes

__all__ = ["create_app"]


def create_app(*, seed: bool = True) -> Starlette:
    log, faults = RequestLog(), Faults()
    app = Starlette(
        routes=admin_routes(log, faults),
        middleware=[Middleware(RecordingMiddleware, log=log, faults=faults)],
    )
    app.state.log, app.state.faults, app.state.store = log, faults, None
    return app
