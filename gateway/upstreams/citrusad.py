"""CitrusAd catalog-products client: upsert in chunks, get and delete one code a call.

| method | request (as the document's samples, ``accept: application/json``) | per call |
| --- | --- | --- |
| ``upsert(products)`` | ``POST /v1/catalog-products?teamId=`` | 100 items, chunks in order |
| ``get(catalog_id, code)`` | ``GET /v1/catalog-products/{catalog}/{code}`` (no query) | one code; ``None`` if not there |
| ``get_many(keys)`` | one GET per distinct key, at most ``max_concurrency`` at once | one slot per key |
| ``delete(catalog_id, code, seller_id=)`` | ``DELETE .../{catalog}/{code}[?sellerId=]`` | ``False`` if not there |
| ``delete_many(keys)`` | one DELETE per key, under the same cap | one slot per key |

Only POST carries ``teamId``: the document's GET and DELETE samples have none (DELETE only
``sellerId``, when the product carries one).

"Not there". The document calls an unknown code an error ("제품 광고를 찾을 수 없음",
"catalog product not found") but gives neither its status nor its body, so a careful client
of an unknown server reads every one of these as "not there", never as a failure:

| answer to a single-product GET or DELETE | read as |
| --- | --- |
| 404, whatever the body (a Korean or English message, empty, ``{}``, a proxy's page) | not there |
| 200 with a JSON object holding no product: ``{"catalogProducts": []}``, ``null``, ``{}`` (GET) | not there |
| 200 ``{"catalogProducts": [product]}`` or a bare product object (GET) | the product |
| 200 with several products (GET) | the one with the asked code, else UpstreamBadResponse |

Prices and profits are exact: answers are parsed with ``parse_float=Decimal``. Ids placed in
URL paths are percent-escaped and validated first (no ``/``: proxies decode ``%2F``).
Ingestion is not immediate upstream: a product just upserted may read as ``None`` for a while.
An upsert chunk that fails raises; the chunks before it were applied (an upsert is safe to
repeat by hand, but not blindly after a timeout, since a later write may have overtaken it).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

from gateway.errors import BadUserInput, UpstreamBadResponse, UpstreamRejected
from gateway.upstreams.records import CatalogProduct
from gateway.upstreams.transport import UpstreamTransport

__all__ = ["MAX_ITEMS", "NOT_FOUND", "CatalogKey", "CitrusAdClient", "check_code"]

MAX_ITEMS = 100
NOT_FOUND = "catalog product not found"
# Every sample of the document sends it; httpx would send */* otherwise.
_ACCEPT = {"Accept": "application/json"}
_COLLECTION = "/v1/catalog-products"
_ONE = _COLLECTION + "/{catalogId}/{code}"
_CODE = re.compile(r"[^\s/\\\x00-\x1f\x7f]{1,128}")

CatalogKey = tuple[str, str]
T = TypeVar("T")


def check_code(value: object, name: str = "code") -> str:
    """``value`` if usable as a path segment (1..128 visible characters, no ``/``), else BadUserInput."""
    if isinstance(value, str) and _CODE.fullmatch(value) and value not in (".", ".."):
        return value
    raise BadUserInput(
        f"{name} must be 1 to 128 visible characters without '/' or spaces",
        item=value if isinstance(value, str) else None,
    )


class CitrusAdClient:
    def __init__(
        self,
        transport: UpstreamTransport,
        team_id: str,
        *,
        chunk_size: int = MAX_ITEMS,
        max_concurrency: int = 8,
    ) -> None:
        if not 1 <= chunk_size <= MAX_ITEMS:
            raise ValueError(f"chunk_size must be 1..{MAX_ITEMS}")
        self.transport = transport
        self.team_id = team_id
        self.chunk_size = chunk_size
        self.max_concurrency = max_concurrency

    async def upsert(self, products: Sequence[CatalogProduct]) -> list[CatalogProduct]:
        """Sync products (create or replace); returns what CitrusAd echoed, in input order."""
        items = [_checked(i, p) for i, p in enumerate(products)]
        echoed: list[CatalogProduct] = []
        for at in range(0, len(items), self.chunk_size):
            answer = await self.transport.request(
                "POST",
                _COLLECTION,
                params={"teamId": self.team_id},
                json={"catalogProducts": items[at : at + self.chunk_size]},
                headers=_ACCEPT,
                endpoint=f"POST {_COLLECTION}",
            )
            echoed.extend(_products(answer.json(parse_float=Decimal), self.transport.name))
        return echoed

    async def get(self, catalog_id: str, code: str) -> CatalogProduct | None:
        """The product, or ``None`` when CitrusAd says it is not there (see the table above)."""
        path = _path(catalog_id, code)
        try:
            answer = await self.transport.request(
                "GET", path, headers=_ACCEPT, endpoint=f"GET {_ONE}"
            )
        except UpstreamRejected as exc:
            if exc.status == 404:
                return None
            raise
        return _one(answer.json(parse_float=Decimal), code, self.transport.name)

    async def get_many(self, keys: Sequence[CatalogKey]) -> list[CatalogProduct | Exception | None]:
        """One slot per key, in order; a failing key gets its exception in its slot."""
        return await self._fan_out(keys, lambda key: self.get(*key))

    async def delete(self, catalog_id: str, code: str, seller_id: str | None = None) -> bool:
        """Delete one product (upstream completes it in 30 to 60 minutes); False if not found.

        To mark a product out of stock, upsert it with ``inventory=0`` instead: a deleted
        product can no longer be chosen by advertisers, even once back in stock.
        """
        path = _path(catalog_id, code)
        params = {} if seller_id is None else {"sellerId": check_code(seller_id, "sellerId")}
        try:
            await self.transport.request(
                "DELETE", path, params=params or None, headers=_ACCEPT, endpoint=f"DELETE {_ONE}"
            )
        except UpstreamRejected as exc:
            if exc.status == 404:
                return False
            raise
        return True

    async def delete_many(
        self, keys: Sequence[tuple[str, str, str | None]]
    ) -> list[bool | Exception]:
        """``keys`` are (catalogId, code, sellerId or None); one slot per key."""
        return await self._fan_out(keys, lambda key: self.delete(*key))

    async def _fan_out(
        self, keys: Sequence[Any], call: Callable[[Any], Awaitable[T]]
    ) -> list[T | Exception]:
        gate = asyncio.Semaphore(self.max_concurrency)
        distinct = list(dict.fromkeys(keys))

        async def one(key: Any) -> T | Exception:
            async with gate:
                try:
                    return await call(key)
                except Exception as exc:  # the slot carries it: one key never fails the batch
                    return exc

        results = dict(
            zip(distinct, await asyncio.gather(*(one(k) for k in distinct)), strict=True)
        )
        return [results[key] for key in keys]


def _path(catalog_id: str, code: str) -> str:
    catalog = quote(check_code(catalog_id, "catalogId"), safe="")
    return f"{_COLLECTION}/{catalog}/{quote(check_code(code), safe='')}"


def _checked(index: int, product: CatalogProduct) -> dict[str, Any]:
    label = f"catalogProducts[{index}] (gtin {product.gtin})"
    check_code(product.catalog_id, "catalogId")
    check_code(product.gtin, "gtin")
    problems = []
    if isinstance(product.inventory, bool) or not isinstance(product.inventory, int):
        problems.append("inventory must be an integer")
    elif product.inventory < 0:
        problems.append("inventory must be >= 0")
    for name, value in (("price", product.price), ("profit", product.profit)):
        if value is not None and not (
            isinstance(value, Decimal) and value.is_finite() and value >= 0
        ):
            problems.append(f"{name} must be a finite decimal >= 0")
    if product.seller_id is not None:
        check_code(product.seller_id, "sellerId")
    if problems:
        raise BadUserInput("; ".join(problems), item=label)
    return product.to_json()


def _one(data: Any, code: str, upstream: str) -> CatalogProduct | None:
    """A single-product GET's 200 body: the product, or ``None`` when it holds none."""
    if not isinstance(data, dict):
        raise UpstreamBadResponse("expected a JSON object", upstream=upstream)
    if "catalogProducts" not in data and "gtin" in data:
        data = {"catalogProducts": [data]}  # a bare product object
    if not data.get("catalogProducts"):
        return None  # [], null, or no product at all (``{}``)
    found = _products(data, upstream)
    if len(found) > 1:
        found = [p for p in found if p.gtin == code]
    if len(found) != 1:
        raise UpstreamBadResponse("expected one catalog product", upstream=upstream)
    return found[0]


def _products(data: Any, upstream: str) -> list[CatalogProduct]:
    try:
        return [_product(item) for item in data["catalogProducts"]]
    except (TypeError, KeyError, ValueError, ArithmeticError) as exc:
        raise UpstreamBadResponse("unexpected catalog product shape", upstream=upstream) from exc


def _product(item: dict[str, Any]) -> CatalogProduct:
    inventory = item["inventory"]
    if isinstance(inventory, bool) or not isinstance(inventory, int):
        raise ValueError("inventory is not an integer")
    return CatalogProduct(
        catalog_id=str(item["catalogId"]),
        gtin=str(item["gtin"]),
        inventory=inventory,
        price=_decimal(item["price"]),
        tags=tuple(str(t) for t in item.get("tags") or ()),
        filters=tuple(str(f) for f in item.get("filters") or ()),
        profit=None if item.get("profit") is None else _decimal(item["profit"]),
        seller_id=None if item.get("sellerId") is None else str(item["sellerId"]),
        team_id=None if item.get("teamId") is None else str(item["teamId"]),
        groups=tuple(str(g) for g in item.get("groups") or ()),
    )


def _decimal(value: Any) -> Decimal:
    # Floats never reach here (parse_float=Decimal); ints and strings convert exactly.
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValueError("not a number")
    return Decimal(value)
