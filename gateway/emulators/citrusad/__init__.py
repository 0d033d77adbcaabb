"""Emulator of CitrusAd catalog-products (``/v1/catalog-products``).

Built from ``upstream-docs/citrusad-catalog-products.ko.txt``. What the document leaves open,
decided here:

| question | decision |
| --- | --- |
| auth | ``Authorization: Basic <api key>``, the key as is (not base64 of ``user:pass``) |
| ``teamId`` | required on POST (400 without); another team is 403. GET and DELETE are documented without it (the gateway sends none): still tolerated there, and checked if sent, as a server that reads the query string would; tests check the gateway's URLs in the log |
| ``accept`` | not checked: the samples send ``application/json``; tests read it from the log |
| POST answer | 200, ``{"catalogProducts": [...]}`` echoing each item: teamId, price/profit as numbers with the digits sent, ``groups: []``, ``profit: null`` when absent |
| an invalid item | the whole request is 400, naming each item ``catalogProducts[i] (gtin ...)``; nothing is stored |
| upsert | keyed by (catalogId, gtin); a re-sync replaces the whole product; last one wins within a request |
| catalogs | any catalogId is accepted (the emulator does not model catalog creation) |
| GET answer | wrapped like POST's: ``{"catalogProducts": [item]}`` (the document shows no example) |
| DELETE answer | 204, immediate (the real deletion takes 30 to 60 minutes); a wrong sellerId is 404 |
| ingestion | ``ingestion_delay`` seconds after a sync, GET sees it; until then the previous version or 404 |
| errors | ``{"message": ...}`` |
| unknown codes | the document gives no status or body: a switch picks one of five answers (``not_found.py``: 404 English, 404 Korean, 404 empty, 404 ``{}``, 200 with an empty list) |
| seed | the document's Covergirl and Kellogg's products plus one per demo product (``seed.py``), visible at once |
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware

from gateway.emulators.citrusad.app import MAX_ITEMS, NOT_FOUND, CatalogProductsApi
from gateway.emulators.citrusad.not_found import VARIANTS, NotFoundAnswer
from gateway.emulators.citrusad.seed import DEMO_SELLER_ID, demo_items
from gateway.emulators.citrusad.store import CatalogStore
from gateway.emulators.citrusad.validation import to_record
from gateway.emulators.recording import Faults, RecordingMiddleware, RequestLog, admin_routes
from gateway.settings import (
    DEMO_CITRUSAD_API_KEY,
    DEMO_CITRUSAD_CATALOG_ID,
    DEMO_CITRUSAD_TEAM_ID,
)

__all__ = [
    "DEMO_SELLER_ID",
    "MAX_ITEMS",
    "NOT_FOUND",
    "VARIANTS",
    "CatalogStore",
    "NotFoundAnswer",
    "create_app",
]


def create_app(
    *,
    seed: bool = True,
    api_key: str = DEMO_CITRUSAD_API_KEY,
    team_id: str = DEMO_CITRUSAD_TEAM_ID,
    catalog_id: str = DEMO_CITRUSAD_CATALOG_ID,
    ingestion_delay: float = 0.0,
    clock: Callable[[], float] = time.monotonic,
    not_found: str = "english",
) -> Starlette:
    """A fresh emulator; ``seed`` fills ``catalog_id`` with the demo catalog.

    ``clock`` drives ingestion (tests pass a fake one to step time without sleeping);
    ``not_found`` picks how an unknown code is answered (``app.state.not_found`` switches it).
    """
    log, faults = RequestLog(), Faults()
    store = CatalogStore(ingestion_delay, clock)
    if seed:
        for item in demo_items(catalog_id):
            store.upsert(to_record(item, team_id), delay=0.0)
    answer = NotFoundAnswer()
    answer.set(not_found)
    api = CatalogProductsApi(store, api_key, team_id, answer)
    app = Starlette(
        routes=[*api.routes(), *admin_routes(log, faults, [answer.route()])],
        middleware=[Middleware(RecordingMiddleware, log=log, faults=faults)],
    )
    app.state.log, app.state.faults, app.state.store = log, faults, store
    app.state.not_found = answer
    return app
