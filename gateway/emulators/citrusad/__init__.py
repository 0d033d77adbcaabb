"""Emulator of CitrusAd catalog-products (``/v1/catalog-products``).

Built from ``upstream-docs/citrusad-catalog-products.ko.txt``. What the document leaves open,
decided here:

| question | decision |
| --- | --- |
| auth | ``Authorization: Basic <api key>``, the key as is (not base64 of ``user:pass``) |
| ``teamId`` | required on POST (400 without); another team is 403; optional on GET/DELETE, checked if sent |
| POST answer | 200, ``{"catalogProducts": [...]}`` echoing each item: teamId, price/profit as numbers with the digits sent, ``groups: []``, ``profit: null`` when absent |
| an invalid item | the whole request is 400, naming each item ``catalogProducts[i] (gtin ...)``; nothing is stored |
| upsert | keyed by (catalogId, gtin); a re-sync replaces the whole product; last one wins within a request |
| catalogs | any catalogId is accepted (the emulator does not model catalog creation) |
| GET answer | wrapped like POST's: ``{"catalogProducts": [item]}`` (the document shows no example) |
| DELETE answer | 204, immediate (the real deletion takes 30 to 60 minutes); a wrong sellerId is 404 |
| ingestion | ``ingestion_delay`` seconds after a sync, GET sees it; until then the previous version or 404 |
| errors | ``{"message": ...}``; unknown codes: 404 ``catalog product not found`` |
| seed | the document's Covergirl and Kellogg's products plus one per demo product (``seed.py``), visible at once |
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware

from gateway.emulators.citrusad.app import MAX_ITEMS, NOT_FOUND, CatalogProductsApi
from gateway.emulators.citrusad.seed import DEMO_SELLER_ID, demo_items
from gateway.emulators.citrusad.store import CatalogStore
from gateway.emulators.citrusad.validation import to_record
from gateway.emulators.recording import Faults, RecordingMiddleware, RequestLog, admin_routes
from gateway.settings import (
    DEMO_CITRUSAD_API_KEY,
    DEMO_CITRUSAD_CATALOG_ID,
    DEMO_CITRUSAD_TEAM_ID,
)

__all__ = ["DEMO_SELLER_ID", "MAX_ITEMS", "NOT_FOUND", "CatalogStore", "create_app"]


def create_app(
    *,
    seed: bool = True,
    api_key: str = DEMO_CITRUSAD_API_KEY,
    team_id: str = DEMO_CITRUSAD_TEAM_ID,
    catalog_id: str = DEMO_CITRUSAD_CATALOG_ID,
    ingestion_delay: float = 0.0,
    clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    """A fresh emulator; ``seed`` fills ``catalog_id`` with the demo catalog.

    ``clock`` drives ingestion (tests pass a fake one to step time without sleeping).
    """
    log, faults = RequestLog(), Faults()
    store = CatalogStore(ingestion_delay, clock)
    if seed:
        for item in demo_items(catalog_id):
            store.upsert(to_record(item, team_id), delay=0.0)
    api = CatalogProductsApi(store, api_key, team_id)
    app = Starlette(
        routes=[*api.routes(), *admin_routes(log, faults)],
        middleware=[Middleware(RecordingMiddleware, log=log, faults=faults)],
    )
    app.state.log, app.state.faults, app.state.store = log, faults, store
    return app
