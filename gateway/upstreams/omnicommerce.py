"""OMNICOMMERCE Data Management API client: register, update and delete products in chunks.

| method | request | per call |
| --- | --- | --- |
| ``register(products, block_duplicates=)`` | ``POST /management/products`` | 100 items |
| ``update(patches)`` | ``PUT /management/products`` | 100 items |
| ``delete(ids)`` | ``DELETE /management/products`` ``{"productIds"}`` | 100 ids |

Items are validated before any call. Chunks go out in order, paced by the transport's limiter
(5 a second per key); a 429 is waited out and the same chunk re-sent by the transport. Each
chunk ends one of three ways, merged in input order into one ``CommerceBatchResult``:

| chunk | lands in |
| --- | --- |
| answered 202 | ``accept`` / ``failure`` + ``failures`` as the upstream said |
| sent, no readable answer (timeout, reset, 5xx, garbled body) | ``unknown``: it may have been applied; ``ChunkAnswer.unknown.message`` says which (e.g. "the upstream answered 503 (Service Unavailable) after receiving the request: it may or may not have been applied") |
| refused before processing (4xx, 429 past retries, breaker open, no connection) | ``failures`` with the error's code |

If every chunk was refused before processing, the call itself failed: its first error is raised.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gateway.errors import (
    BadUserInput,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamOutcomeUnknown,
    UpstreamUnavailable,
)
from gateway.upstreams.records import (
    CommerceBatchResult,
    CommerceFailure,
    CommerceProduct,
    CommerceProductPatch,
)
from gateway.upstreams.transport import UpstreamTransport
from gateway.upstreams.transport._transport import BeforeSend

__all__ = ["MAX_ITEMS", "ChunkAnswer", "OmnicommerceClient", "check_commerce_id"]

MAX_ITEMS = 100
_PATH = "/management/products"
_ID = re.compile(r"[0-9A-Za-z._~-]{1,50}")
_URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)


def check_commerce_id(value: object, item: str | None = None) -> str:
    """``value`` if it is a valid product id (1..50 of ``0-9 a-z A-Z - . _ ~``), else BadUserInput."""
    if isinstance(value, str) and _ID.fullmatch(value):
        return value
    raise BadUserInput(
        "product id must be 1 to 50 characters of 0-9 a-z A-Z - . _ ~",
        item=item or (value if isinstance(value, str) else None),
    )


@dataclass(frozen=True, slots=True)
class _Chunk:
    ids: tuple[str, ...]
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChunkAnswer:
    """One request's ending: the upstream's answer, no usable answer (``unknown``, with the
    error that says why), or a refusal before processing."""

    answer: CommerceBatchResult | None = None
    unknown: UpstreamError | None = None
    refused: UpstreamError | None = None


@dataclass(frozen=True, slots=True)
class _Settled:
    chunk: _Chunk
    answer: CommerceBatchResult | None = None
    unknown: bool = False
    refused: UpstreamError | None = None


class OmnicommerceClient:
    def __init__(
        self, transport: UpstreamTransport, *, chunk_size: int = MAX_ITEMS, max_in_flight: int = 4
    ) -> None:
        if not 1 <= chunk_size <= MAX_ITEMS:
            raise ValueError(f"chunk_size must be 1..{MAX_ITEMS}")
        self.transport = transport
        self.chunk_size = chunk_size
        self.max_in_flight = max_in_flight

    async def register(
        self, products: Sequence[CommerceProduct], *, block_duplicates: bool = False
    ) -> CommerceBatchResult:
        """Register (or overwrite) products; ``block_duplicates`` fails ids already there."""
        items = [_checked_product(p) for p in products]
        _no_repeats([p.id for p in products])
        extra = {"options": ["BLOCK_DUPLICATES"]} if block_duplicates else {}
        return await self._send("POST", "products", items, extra)

    async def update(self, patches: Sequence[CommerceProductPatch]) -> CommerceBatchResult:
        """Change only the fields each patch sets (``metadata`` keys merge upstream)."""
        items = [_checked_patch(p) for p in patches]
        _no_repeats([p.id for p in patches])
        return await self._send("PUT", "products", items, {})

    async def delete(self, ids: Sequence[str]) -> CommerceBatchResult:
        checked = [check_commerce_id(i) for i in ids]
        _no_repeats(checked)
        return await self._send("DELETE", "productIds", checked, {})

    async def _send(
        self, method: str, key: str, items: list[Any], extra: dict[str, Any]
    ) -> CommerceBatchResult:
        if not items:
            return CommerceBatchResult(accept=0, failure=0)
        chunks = [
            _Chunk(
                ids=tuple(_id_of(i) for i in items[at : at + self.chunk_size]),
                body={**extra, key: items[at : at + self.chunk_size]},
            )
            for at in range(0, len(items), self.chunk_size)
        ]
        # Tasks start in order and the limiter is first come, first served: chunks go in order.
        gate = asyncio.Semaphore(self.max_in_flight)
        settled = await asyncio.gather(*(self._settle(method, c, gate) for c in chunks))
        return _merge(settled)

    async def _settle(self, method: str, chunk: _Chunk, gate: asyncio.Semaphore) -> _Settled:
        async with gate:
            ended = await self.send_chunk(method, chunk.body)
        return _Settled(chunk, ended.answer, ended.unknown is not None, ended.refused)

    async def send_chunk(
        self,
        method: str,
        body: dict[str, Any],
        *,
        before_send: BeforeSend | None = None,
    ) -> ChunkAnswer:
        """One request of at most 100 already-checked items (``body`` as the document has
        it); ``before_send`` is awaited right before it leaves (after pacing)."""
        try:
            answer = await self.transport.request(
                method, _PATH, json=body, endpoint=f"{method} {_PATH}", before_send=before_send
            )
            return ChunkAnswer(answer=_parse(answer.json(), self.transport.name))
        except (UpstreamOutcomeUnknown, UpstreamBadResponse) as exc:
            return ChunkAnswer(unknown=exc)
        except UpstreamUnavailable as exc:
            # A 5xx came after the chunk was received; a refused connection never sent it.
            if exc.status is not None:
                return ChunkAnswer(unknown=_after_receipt(exc))
            return ChunkAnswer(refused=exc)
        except UpstreamError as exc:
            return ChunkAnswer(refused=exc)


def _after_receipt(exc: UpstreamUnavailable) -> UpstreamUnavailable:
    """The 5xx, in words that say an answer came and what it leaves unknown."""
    return UpstreamUnavailable(
        f"{exc.message} after receiving the request: it may or may not have been applied",
        upstream=exc.upstream,
        status=exc.status,
    )


def _merge(settled: Sequence[_Settled]) -> CommerceBatchResult:
    refusals = [s.refused for s in settled if s.refused is not None]
    if len(refusals) == len(settled):
        raise refusals[0]
    accept = failure = 0
    failures: list[CommerceFailure] = []
    unknown: list[str] = []
    for one in settled:
        if one.answer is not None:
            accept += one.answer.accept
            failure += one.answer.failure
            failures.extend(one.answer.failures)
        elif one.unknown:
            unknown.extend(one.chunk.ids)
        elif one.refused is not None:
            reason = f"{one.refused.code}: {one.refused.message}"
            failure += len(one.chunk.ids)
            failures.extend(CommerceFailure(id=i, errors=reason) for i in one.chunk.ids)
    return CommerceBatchResult(accept, failure, tuple(failures), tuple(unknown))


def _parse(data: Any, upstream: str) -> CommerceBatchResult:
    """A ``202`` body: ``{"accept": n, "failure": m, "failureList": [{"id", "errors"}]}``."""
    try:
        accept, failure, listed = data["accept"], data["failure"], data.get("failureList") or []
        failures = tuple(
            CommerceFailure(id=str(f.get("id") or ""), errors=str(f["errors"])) for f in listed
        )
    except (TypeError, KeyError, AttributeError) as exc:
        raise UpstreamBadResponse("unexpected answer shape", upstream=upstream) from exc
    if not (isinstance(accept, int) and isinstance(failure, int)):
        raise UpstreamBadResponse("accept and failure must be integers", upstream=upstream)
    return CommerceBatchResult(accept, failure, failures)


def _checked_product(product: CommerceProduct) -> dict[str, Any]:
    check_commerce_id(product.id)
    for name, value in (("url", product.url), ("salesUrl", product.sales_url)):
        _check_url(name, value, product.id)
    if not (isinstance(product.detection, str) and product.detection.strip()):
        raise BadUserInput("detection is required", item=product.id)
    if product.mobile_sales_url is not None:
        _check_url("mobileSalesUrl", product.mobile_sales_url, product.id)
    _check_metadata(product.metadata, product.id)
    return product.to_json()


def _checked_patch(patch: CommerceProductPatch) -> dict[str, Any]:
    check_commerce_id(patch.id)
    for name, value in (
        ("salesUrl", patch.sales_url),
        ("mobileSalesUrl", patch.mobile_sales_url),
    ):
        if value is not None:
            _check_url(name, value, patch.id)
    _check_metadata(patch.metadata, patch.id)
    data = patch.to_json()
    if len(data) == 1:
        raise BadUserInput("the update changes nothing", item=patch.id)
    return data


def _check_url(name: str, value: object, item: str) -> None:
    if not (isinstance(value, str) and _URL.fullmatch(value)):
        raise BadUserInput(f"{name} must be an absolute http(s) URL", item=item)


def _check_metadata(metadata: object, item: str) -> None:
    if metadata is not None and not isinstance(metadata, dict):
        raise BadUserInput("metadata must be an object", item=item)


def _no_repeats(ids: Sequence[str]) -> None:
    # Chunks may be in flight together, so two writes to one id would race: refuse them.
    seen: set[str] = set()
    for product_id in ids:
        if product_id in seen:
            raise BadUserInput("the same product id appears twice", item=product_id)
        seen.add(product_id)


def _id_of(item: Any) -> str:
    return str(item["id"]) if isinstance(item, dict) else str(item)
