"""The ``/2022-08/management/products`` routes: request-level checks, then per-item outcomes.

Request-level checks, in this order, answer ``{"message": ...}``:

| check | status |
| --- | --- |
| ``X-Api-Key`` missing or wrong | 401 |
| a 6th authenticated request within any 1 second for that key | 429, ``Retry-After`` (whole seconds) |
| POST/PUT not ``application/json``; DELETE with another declared type | 415 |
| body not JSON, not an object, unknown top-level key, unknown option | 400 |
| item list missing, empty, not a list, or over 100 items | 400 |

Everything else is per item: 202 with ``{"accept", "failure", "failureList"}``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.emulators.omnicommerce.ratelimit import SlidingWindow
from gateway.emulators.omnicommerce.store import ProductStore
from gateway.emulators.omnicommerce.validation import (
    BAD_REQUEST,
    BLOCKED,
    NOT_FOUND,
    check_id,
    check_product,
    item_id,
)

__all__ = ["MAX_ITEMS", "PRODUCTS_PATH", "ProductsApi"]

PRODUCTS_PATH = "/2022-08/management/products"
MAX_ITEMS = 100
_OPTIONS = frozenset({"BLOCK_DUPLICATES"})

Failure = tuple[str | None, str]


class _Refused(Exception):
    """The whole request is refused; no item was processed."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}

    def response(self) -> Response:
        return JSONResponse({"message": self.message}, self.status, headers=self.headers)


class ProductsApi:
    """The three handlers over one store, one key and one rate limiter."""

    def __init__(self, store: ProductStore, api_key: str, limiter: SlidingWindow) -> None:
        self.store, self.api_key, self.limiter = store, api_key, limiter

    def routes(self) -> list[Route]:
        return [
            Route(PRODUCTS_PATH, self._guarded(self.register), methods=["POST"]),
            Route(PRODUCTS_PATH, self._guarded(self.update), methods=["PUT"]),
            Route(PRODUCTS_PATH, self._guarded(self.delete), methods=["DELETE"]),
        ]

    def register(self, body: dict[str, Any]) -> list[Failure | None]:
        _only_keys(body, {"options", "products"})
        block = "BLOCK_DUPLICATES" in _options(body)
        return [self._register_one(item, block) for item in _items(body, "products")]

    def update(self, body: dict[str, Any]) -> list[Failure | None]:
        _only_keys(body, {"products"})
        return [self._update_one(item) for item in _items(body, "products")]

    def delete(self, body: dict[str, Any]) -> list[Failure | None]:
        _only_keys(body, {"productIds"})
        return [self._delete_one(pid) for pid in _items(body, "productIds")]

    # Items are processed in request order, so a repeated id sees the earlier one's effect.
    def _register_one(self, item: Any, block: bool) -> Failure | None:
        if (reason := check_product(item, create=True)) is not None:
            return item_id(item), reason
        if block and item["id"] in self.store:
            return item["id"], BLOCKED
        self.store.register(item)
        return None

    def _update_one(self, item: Any) -> Failure | None:
        if (reason := check_product(item, create=False)) is not None:
            return item_id(item), reason
        if item["id"] not in self.store:
            return item["id"], NOT_FOUND
        self.store.update(item)
        return None

    def _delete_one(self, product_id: Any) -> Failure | None:
        if not isinstance(product_id, str):
            return None, BAD_REQUEST
        if (reason := check_id(product_id)) is not None:
            return product_id, reason
        if product_id not in self.store:
            return product_id, NOT_FOUND
        self.store.delete(product_id)
        return None

    def _guarded(
        self, handle: Callable[[dict[str, Any]], list[Failure | None]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                self._admit(request)
                failures = handle(_parse(await request.body()))
            except _Refused as refused:
                return refused.response()
            return _answer(failures)

        return endpoint

    def _admit(self, request: Request) -> None:
        if request.headers.get("x-api-key") != self.api_key:
            raise _Refused(401, "invalid or missing X-Api-Key")
        wait = self.limiter.acquire(self.api_key)
        if wait is not None:
            retry_after = str(max(1, math.ceil(wait)))
            raise _Refused(429, "rate limit exceeded", {"Retry-After": retry_after})
        _check_content_type(request)


def _check_content_type(request: Request) -> None:
    declared = request.headers.get("content-type")
    # The document lists no Content-Type header for DELETE, so an undeclared body is accepted.
    if declared is None and request.method == "DELETE":
        return
    if (declared or "").split(";")[0].strip().lower() != "application/json":
        raise _Refused(415, "Content-Type must be application/json")


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _Refused(400, "request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _Refused(400, "request body must be a JSON object")
    return body


def _only_keys(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise _Refused(400, f"unknown field: {', '.join(unknown)}")


def _options(body: dict[str, Any]) -> list[str]:
    options = body.get("options", [])
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise _Refused(400, "options must be a list of strings")
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise _Refused(400, f"unknown option: {', '.join(unknown)}")
    return options


def _items(body: dict[str, Any], key: str) -> list[Any]:
    items = body.get(key)
    if not isinstance(items, list) or not items:
        raise _Refused(400, f"{key} is required: a list of 1 to {MAX_ITEMS} items")
    if len(items) > MAX_ITEMS:
        raise _Refused(400, f"at most {MAX_ITEMS} {key} per request, got {len(items)}")
    return items


def _answer(failures: list[Failure | None]) -> Response:
    failed = [{"id": pid, "errors": reason} for pid, reason in filter(None, failures)]
    return JSONResponse(
        {"accept": len(failures) - len(failed), "failure": len(failed), "failureList": failed},
        status_code=202,
    )
