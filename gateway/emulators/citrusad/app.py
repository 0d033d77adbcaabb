"""The ``/v1/catalog-products`` routes. Request-level errors answer ``{"message": ...}``.

| request | success | errors |
| --- | --- | --- |
| ``POST /v1/catalog-products?teamId=`` | 200 ``{"catalogProducts": [echo...]}`` | 401, 400 (no teamId, body, >100 items, invalid item: nothing stored), 403 (other team), 415 |
| ``GET /v1/catalog-products/{catalogId}/{code}`` | 200 ``{"catalogProducts": [echo]}`` | 401, 403, not found as the switch says (``not_found.py``) |
| ``DELETE /v1/catalog-products/{catalogId}/{code}[?sellerId=]`` | 204 | 401, 403, 400 (sellerId missing), not found (unknown, or other seller) |
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.emulators.citrusad.jsonnum import DecimalJSONResponse, loads
from gateway.emulators.citrusad.not_found import ENGLISH, NotFoundAnswer
from gateway.emulators.citrusad.store import CatalogStore, Key
from gateway.emulators.citrusad.validation import check_item, item_label, to_record

__all__ = ["MAX_ITEMS", "NOT_FOUND", "CatalogProductsApi"]

MAX_ITEMS = 100
NOT_FOUND = ENGLISH
_COLLECTION = "/v1/catalog-products"
_ONE = _COLLECTION + "/{catalog_id}/{product_code}"


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class _NotThere(Exception):
    """No such product: answered as the not-found switch says."""


class CatalogProductsApi:
    """The handlers over one store, one API key and one team."""

    def __init__(
        self,
        store: CatalogStore,
        api_key: str,
        team_id: str,
        not_found: NotFoundAnswer | None = None,
    ) -> None:
        self.store, self.api_key, self.team_id = store, api_key, team_id
        self.not_found = not_found or NotFoundAnswer()

    def routes(self) -> list[Route]:
        return [
            Route(_COLLECTION, self._guarded(self.sync), methods=["POST"]),
            Route(_ONE, self._guarded(self.get), methods=["GET"]),
            Route(_ONE, self._guarded(self.delete), methods=["DELETE"]),
        ]

    async def sync(self, request: Request) -> Response:
        if not request.query_params.get("teamId"):
            raise _Refused(400, "teamId is required")
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise _Refused(415, "Content-Type must be application/json")
        items = _items(await request.body())
        problems = [
            f"{item_label(i, item)}: {problem}"
            for i, item in enumerate(items)
            for problem in check_item(item)
        ]
        if problems:
            raise _Refused(400, "; ".join(problems))
        records = [to_record(item, self.team_id) for item in items]
        for record in records:
            self.store.upsert(record)
        return DecimalJSONResponse({"catalogProducts": records})

    async def get(self, request: Request) -> Response:
        record = self._find(request)
        return DecimalJSONResponse({"catalogProducts": [record]})

    async def delete(self, request: Request) -> Response:
        record = self._find(request)
        seller = request.query_params.get("sellerId")
        if "sellerId" in record and not seller:
            raise _Refused(400, "sellerId is required: this catalog product carries one")
        if seller and seller != record.get("sellerId"):
            raise _NotThere
        self.store.delete(_key(request))
        return Response(status_code=204)

    def _find(self, request: Request) -> dict[str, Any]:
        record = self.store.visible(_key(request))
        if record is None:
            raise _NotThere
        return record

    def _guarded(
        self, handle: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                self._admit(request)
                return await handle(request)
            except _Refused as refused:
                return DecimalJSONResponse({"message": refused.message}, refused.status)
            except _NotThere:
                return self.not_found.answer(request.method)

        return endpoint

    def _admit(self, request: Request) -> None:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic" or credential.strip() != self.api_key:
            raise _Refused(401, "invalid or missing API key")
        team = request.query_params.get("teamId")
        if team and team != self.team_id:
            raise _Refused(403, "the API key has no access to this team")


def _key(request: Request) -> Key:
    return request.path_params["catalog_id"], request.path_params["product_code"]


def _items(raw: bytes) -> list[Any]:
    try:
        body = loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _Refused(400, "request body is not valid JSON") from None
    items = body.get("catalogProducts") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise _Refused(400, f"catalogProducts is required: a list of 1 to {MAX_ITEMS} items")
    if len(items) > MAX_ITEMS:
        raise _Refused(400, f"at most {MAX_ITEMS} catalogProducts per request, got {len(items)}")
    return items
