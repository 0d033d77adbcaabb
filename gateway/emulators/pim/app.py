"""The OMN PIM emulator as a Starlette app: every documented endpoint under ``/api/core/v1``.

| admin route (beside the shared ``/__emulator__`` ones) | effect |
| --- | --- |
| ``POST /__emulator__/admin-only`` ``{"enabled": true}`` | nodes endpoints answer as for a non-admin user (1010) |
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.emulators.pim import (
    routes_attr_defs,
    routes_attributes,
    routes_classes,
    routes_links,
    routes_nodes,
    routes_products,
)
from gateway.emulators.pim.http import endpoint
from gateway.emulators.pim.seed import seed as seed_store
from gateway.emulators.pim.store import Store
from gateway.emulators.recording import (
    ADMIN_PREFIX,
    Faults,
    RecordingMiddleware,
    RequestLog,
    admin_routes,
)
from gateway.settings import DEMO_PIM_TOKEN

__all__ = ["BASE_PATH", "create_app"]

BASE_PATH = "/api/core/v1"
_MODULES = (
    routes_classes,
    routes_attr_defs,
    routes_attributes,
    routes_nodes,
    routes_products,
    routes_links,
)


def create_app(*, seed: bool = True, token: str = DEMO_PIM_TOKEN) -> Starlette:
    """A fresh emulator; ``seed`` loads the document's examples and the demo products."""
    store = Store()
    if seed:
        seed_store(store)
    log, faults = RequestLog(), Faults()
    routes = [
        Route(
            BASE_PATH + path,
            endpoint(store, token, handler, restricted=routes_nodes.RESTRICTED.get(path)),
            methods=[method],
        )
        for module in _MODULES
        for (method, path), handler in module.HANDLERS.items()
    ]
    extra = [Route(f"{ADMIN_PREFIX}/admin-only", _admin_only(store), methods=["POST"])]
    app = Starlette(
        routes=[*admin_routes(log, faults, extra=extra), *routes],
        middleware=[Middleware(RecordingMiddleware, log=log, faults=faults)],
    )
    app.state.log, app.state.faults, app.state.store = log, faults, store
    return app


def _admin_only(store: Store):  # type: ignore[no-untyped-def]
    async def switch(request: Request) -> Response:
        data = await request.json()
        if not isinstance(data, dict) or not isinstance(data.get("enabled"), bool):
            return JSONResponse({"error": 'expected {"enabled": true|false}'}, status_code=400)
        store.nodes_admin_only = data["enabled"]
        return Response(status_code=204)

    return switch
