"""OMNICOMMERCE writes with their record: validate, mark PENDING, send, settle, per chunk.

The Data Management API has no read endpoint, so every write is recorded in the read model
(``gateway/readmodel.py``) around the request that carries it:

| step | where | what a kill -9 at this point leaves |
| --- | --- | --- |
| 1. validate every item | here, before any call | nothing |
| 2. ``readmodel.begin`` the chunk (PENDING) | one transaction per chunk | the chunk PENDING, later chunks absent |
| 3. send the chunk | ``OmnicommerceClient`` (100 items, paced at 5 a second) | the chunk PENDING: sent, answer unknown |
| 4. ``readmodel.settle`` the chunk | one transaction per chunk | the chunk ACCEPTED / FAILED / DELETED / UNKNOWN |

The writer drives the chunks itself (one client call per chunk) so that each chunk is begun
right before it leaves and settled as soon as it is answered, not when the whole batch ends.
Up to ``max_in_flight`` chunks are in the air at once; the transport's limiter paces them.

| chunk ends | items become |
| --- | --- |
| answered 202 | ACCEPTED (or DELETED), FAILED with the upstream's reason when in ``failureList`` |
| sent, no readable answer | UNKNOWN |
| refused before processing (4xx, rate limit past retries, no connection) | FAILED with the error's code |
| the request itself is cancelled | UNKNOWN, then the cancellation goes on |
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from gateway.errors import BadUserInput, GatewayError
from gateway.readmodel import CommerceReadModel, Operation
from gateway.upstreams.omnicommerce import OmnicommerceClient, check_commerce_id
from gateway.upstreams.records import (
    CommerceBatchResult,
    CommerceFailure,
    CommerceProduct,
    CommerceProductPatch,
    WriteOutcome,
    WriteStatus,
)

__all__ = ["MAX_ITEMS_PER_CALL", "CommerceWriteReport", "CommerceWriter", "check_product_item"]

MAX_ITEMS_PER_CALL = 10_000
"""Items one mutation may carry: 100 requests, 20 seconds at the upstream's 5 a second."""

UNKNOWN_MESSAGE = "sent, but no answer came back: it may or may not have been applied"

_ACTIONS = {Operation.REGISTER: "create", Operation.UPDATE: "update", Operation.DELETE: "delete"}

Item = dict[str, Any]
Send = Callable[[list[Item]], Awaitable[CommerceBatchResult]]


@dataclass(frozen=True, slots=True)
class CommerceWriteReport:
    """A whole call's outcome: the upstream's counts summed over chunks, and one outcome per item."""

    ids: tuple[str, ...]
    accept: int
    failure: int
    failures: tuple[CommerceFailure, ...]
    unknown: tuple[str, ...]
    outcomes: tuple[WriteOutcome, ...]


@dataclass(frozen=True, slots=True)
class _ChunkEnd:
    ids: tuple[str, ...]
    accept: int
    failure: int
    failures: tuple[CommerceFailure, ...]
    unknown: tuple[str, ...]


class CommerceWriter:
    """Register, update and delete OMNICOMMERCE products, recording each chunk in the read model."""

    def __init__(
        self,
        client: OmnicommerceClient,
        readmodel: CommerceReadModel,
        *,
        max_items: int = MAX_ITEMS_PER_CALL,
        max_in_flight: int = 4,
    ) -> None:
        self.client = client
        self.readmodel = readmodel
        self.max_items = max_items
        self.max_in_flight = max_in_flight

    async def register(
        self, products: Sequence[CommerceProduct], *, block_duplicates: bool = False
    ) -> CommerceWriteReport:
        """``POST``: create or overwrite; ``block_duplicates`` fails ids the upstream already holds."""
        items = self._checked(products, check_product_item)

        async def send(chunk: list[Item]) -> CommerceBatchResult:
            records = [_product_record(i) for i in chunk]
            return await self.client.register(records, block_duplicates=block_duplicates)

        return await self._write(Operation.REGISTER, items, send)

    async def update(self, patches: Sequence[CommerceProductPatch]) -> CommerceWriteReport:
        """``PUT``: change only the fields each patch sets (``metadata`` keys merge)."""
        items = self._checked(patches, _patch_item)

        async def send(chunk: list[Item]) -> CommerceBatchResult:
            return await self.client.update([CommerceProductPatch(**_fields(i)) for i in chunk])

        return await self._write(Operation.UPDATE, items, send)

    async def delete(self, ids: Sequence[str]) -> CommerceWriteReport:
        """``DELETE``: remove products by id."""
        items = self._checked(ids, lambda index, pid: {"id": _id(index, pid)})

        async def send(chunk: list[Item]) -> CommerceBatchResult:
            return await self.client.delete([i["id"] for i in chunk])

        return await self._write(Operation.DELETE, items, send)

    def _checked(self, given: Sequence[Any], check: Callable[[int, Any], Item]) -> list[Item]:
        """Every item checked before any call: size, each item, then repeated ids."""
        if not given:
            raise BadUserInput("give at least one item")
        if len(given) > self.max_items:
            raise BadUserInput(f"at most {self.max_items} items a call, got {len(given)}")
        items = [check(index, one) for index, one in enumerate(given)]
        seen: dict[str, int] = {}
        for index, item in enumerate(items):
            # Chunks fly together, so two writes to one id could land in either order.
            if (first := seen.setdefault(item["id"], index)) != index:
                raise BadUserInput(
                    f"item {index} repeats the id of item {first}: send each id once a call",
                    item=item["id"],
                )
        return items

    async def _write(
        self, operation: Operation, items: list[Item], send: Send
    ) -> CommerceWriteReport:
        size = self.client.chunk_size
        gate = asyncio.Semaphore(self.max_in_flight)
        chunks = [items[at : at + size] for at in range(0, len(items), size)]
        # Tasks start in order and the semaphore is first come, first served: chunks go in order.
        ends = await asyncio.gather(*(self._chunk(operation, c, send, gate) for c in chunks))
        return _report(operation, ends)

    async def _chunk(
        self, operation: Operation, chunk: list[Item], send: Send, gate: asyncio.Semaphore
    ) -> _ChunkEnd:
        ids = tuple(i["id"] for i in chunk)
        async with gate:
            self.readmodel.begin(operation, chunk)
            try:
                answer = await send(chunk)
            except GatewayError as exc:
                # Refused before processing: nothing was applied.
                reason = f"{exc.code}: {exc.message}"
                self.readmodel.settle(operation, (), dict.fromkeys(ids, reason))
                failures = tuple(CommerceFailure(id=i, errors=reason) for i in ids)
                return _ChunkEnd(ids, 0, len(ids), failures, ())
            except BaseException:
                # Cancelled (client gone, shutdown) while in flight: say so, then stop.
                self.readmodel.settle(operation, (), {}, ids)
                raise
            failed = {f.id: f.errors for f in answer.failures if f.id in ids}
            unknown = set(answer.unknown)
            accepted = [i for i in ids if i not in failed and i not in unknown]
            self.readmodel.settle(operation, accepted, failed, [i for i in ids if i in unknown])
            return _ChunkEnd(ids, answer.accept, answer.failure, answer.failures, answer.unknown)


def _report(operation: Operation, ends: Sequence[_ChunkEnd]) -> CommerceWriteReport:
    ids = tuple(i for end in ends for i in end.ids)
    failures = tuple(f for end in ends for f in end.failures)
    unknown = tuple(i for end in ends for i in end.unknown)
    reasons: dict[str, str] = {}
    for failure in failures:
        reasons.setdefault(failure.id, failure.errors)
    return CommerceWriteReport(
        ids=ids,
        accept=sum(end.accept for end in ends),
        failure=sum(end.failure for end in ends),
        failures=failures,
        unknown=unknown,
        outcomes=tuple(_outcome(operation, i, reasons, set(unknown)) for i in ids),
    )


def _outcome(
    operation: Operation, product_id: str, reasons: Mapping[str, str], unknown: set[str]
) -> WriteOutcome:
    action = _ACTIONS[operation]
    ids = {"id": product_id}
    if product_id in reasons:
        return WriteOutcome(WriteStatus.ERROR, action, ids, reasons[product_id])
    if product_id in unknown:
        return WriteOutcome(WriteStatus.UNKNOWN, action, ids, UNKNOWN_MESSAGE)
    return WriteOutcome(WriteStatus.SUCCESS, action, ids)


# --- checks: the client checks again per chunk; these name the item and run before any call.


def _id(index: int, value: object) -> str:
    try:
        return check_commerce_id(value)
    except BadUserInput as exc:
        raise BadUserInput(f"item {index}: {exc.message}", item=exc.item) from None


def check_product_item(index: int, product: CommerceProduct) -> Item:
    pid = _id(index, product.id)
    _url(index, pid, "url", product.url)
    _url(index, pid, "salesUrl", product.sales_url)
    if product.mobile_sales_url is not None:
        _url(index, pid, "mobileSalesUrl", product.mobile_sales_url)
    _detection(index, pid, product.detection)
    _metadata(index, pid, product.metadata)
    return product.to_json()


def _patch_item(index: int, patch: CommerceProductPatch) -> Item:
    pid = _id(index, patch.id)
    for name, value in (
        ("url", patch.url),
        ("salesUrl", patch.sales_url),
        ("mobileSalesUrl", patch.mobile_sales_url),
    ):
        if value is not None:
            _url(index, pid, name, value)
    if patch.detection is not None:
        _detection(index, pid, patch.detection)
    _metadata(index, pid, patch.metadata)
    item = patch.to_json()
    if len(item) == 1:
        raise BadUserInput(f"item {index}: the update changes nothing", item=pid)
    return item


def _url(index: int, pid: str, name: str, value: object) -> None:
    parts = urlsplit(value) if isinstance(value, str) else None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or any(c.isspace() for c in str(value))
    ):
        raise BadUserInput(f"item {index}: {name} must be an absolute http(s) URL", item=pid)


def _detection(index: int, pid: str, value: object) -> None:
    if not (isinstance(value, str) and value.strip()):
        raise BadUserInput(f"item {index}: detection must not be empty", item=pid)


def _metadata(index: int, pid: str, value: object) -> None:
    if value is not None and not isinstance(value, dict):
        raise BadUserInput(f"item {index}: metadata must be a JSON object", item=pid)


_JSON_NAMES = {"salesUrl": "sales_url", "mobileSalesUrl": "mobile_sales_url"}


def _fields(item: Item) -> dict[str, Any]:
    """An item as the document spells it, back into record keyword arguments."""
    return {_JSON_NAMES.get(k, k): v for k, v in item.items()}


def _product_record(item: Item) -> CommerceProduct:
    return CommerceProduct(**_fields(item))
