"""Emulator of the OMNICOMMERCE Data Management API (``/2022-08/management/products``).

Built from ``upstream-docs/omnicommerce-data-management-api.txt``. What the document leaves
open, decided here:

| question | decision |
| --- | --- |
| rate window | sliding 1 s per key, 5 calls, counted when a call reaches the handler (after the ``latency`` and ``jitter`` faults, as the real API counts arrivals); only authenticated calls count, refused ones don't |
| ``Retry-After`` | whole seconds, at least 1 |
| Detection Field values | TOP, WHOLEBODY, PANTS (the document's) + OUTER, SKIRT, DRESS, SHOES, BAG, HAT, ACCESSORY; case-sensitive |
| "bad reqeust" | answered verbatim (typo kept) for an item that is not a JSON object |
| PUT without ``salesUrl`` | accepted (the document's own example omits it); ``url`` and ``detection`` are not PUT fields in the document: the item fails with ``unknown field: <name>`` |
| ``metadata`` on PUT | shallow key merge; a ``null`` value is stored as ``null`` |
| unknown item fields | the item fails with ``unknown field: <name>`` |
| unknown id on PUT / DELETE | the item fails with ``product not found`` |
| image fetch | none; a ``url`` on a ``.invalid`` host fails with ``fail to prove image from url.`` |
| processing | synchronous: the store holds the outcome when the 202 arrives |
| seed | none: the workspace starts empty (the gateway's read model is what it sent) |

Admin: ``GET /__emulator__/products`` lists the store (the real API has no read endpoint).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.emulators.omnicommerce.app import MAX_ITEMS, PRODUCTS_PATH, ProductsApi
from gateway.emulators.omnicommerce.ratelimit import SlidingWindow
from gateway.emulators.omnicommerce.store import ProductStore
from gateway.emulators.omnicommerce.validation import DETECTIONS
from gateway.emulators.recording import (
    ADMIN_PREFIX,
    Faults,
    RecordingMiddleware,
    RequestLog,
    admin_routes,
)
from gateway.settings import DEMO_OMNICOMMERCE_API_KEY

__all__ = ["DETECTIONS", "MAX_ITEMS", "PRODUCTS_PATH", "ProductStore", "create_app"]


def create_app(
    *,
    seed: bool = True,
    api_key: str = DEMO_OMNICOMMERCE_API_KEY,
    rate_limit: int = 5,
    clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    """A fresh emulator. ``seed`` is accepted for symmetry: the workspace always starts empty.

    ``clock`` drives the rate window (tests pass a fake one to step time without sleeping).
    """
    log, faults, store = RequestLog(), Faults(), ProductStore()
    api = ProductsApi(store, api_key, SlidingWindow(rate_limit, 1.0, clock))
    app = Starlette(
        routes=[*api.routes(), *admin_routes(log, faults, extra=[_products_route(store)])],
        middleware=[Middleware(RecordingMiddleware, log=log, faults=faults)],
    )
    app.state.log, app.state.faults, app.state.store = log, faults, store
    return app


def _products_route(store: ProductStore) -> Route:
    async def list_products(request: Request) -> Response:
        return JSONResponse(store.snapshot())

    return Route(f"{ADMIN_PREFIX}/products", list_products, methods=["GET"])
