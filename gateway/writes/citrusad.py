"""CitrusAd catalog writes: sync, set inventory, delete; as write jobs; per-item outcomes.

``CatalogJobs`` checks every item and records a job (``gateway/writes/jobs.py``); the workers
run its chunks of 100 through ``CitrusAdChunks``, which calls ``CatalogWriter`` below for one
chunk. Every write here is safe to replay after a crash: an upsert writes the same product
again, and deleting a deleted product answers "not found" (then PROBABLY_ACCEPTED).

| call | upstream | per item |
| --- | --- | --- |
| ``sync(products)`` | ``POST /v1/catalog-products`` in chunks of 100, in order | upsert; the echo is the result |
| ``set_inventory(items)`` | one fresh GET per code, then ``sync`` of those found | the product re-synced with the new inventory |
| ``delete(items)`` | one ``DELETE`` per code (``?sellerId=`` when given) | completes upstream 30 to 60 minutes later |

Everything is checked before any call. A chunk that fails does not stop the next one: each
item gets its own outcome (ERROR when the upstream refused it, UNKNOWN when it was sent but
no answer came). Every key a call touched is evicted from the shared cache afterwards, even
when the call failed, since a write whose answer was lost may still have landed.

Out of stock means ``inventory: 0``, never a delete: the document warns that a deleted product
drops out of advertisers' choice even once it is back in stock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from gateway.cache import SharedCache
from gateway.errors import (
    BadUserInput,
    GatewayError,
    UpstreamBadResponse,
    UpstreamOutcomeUnknown,
    UpstreamUnavailable,
)
from gateway.upstreams.citrusad import NOT_FOUND, CatalogKey, CitrusAdClient, check_code
from gateway.upstreams.records import CatalogProduct, WriteOutcome, WriteStatus
from gateway.writes.jobs import (
    CHUNK_SIZE,
    ChunkState,
    ClaimedChunk,
    ItemOutcome,
    ItemState,
    Job,
    JobKind,
)
from gateway.writes.submit import JobSubmitter, outcome_of, unknown_reason
from gateway.writes.worker import ChunkResult, OnWire

__all__ = [
    "DELETION_NOTICE",
    "MAX_ITEMS_PER_CALL",
    "CatalogDeletion",
    "CatalogInventory",
    "CatalogJobs",
    "CatalogWriteReport",
    "CatalogWriter",
    "CitrusAdChunks",
    "check_catalog_product",
]

MAX_ITEMS_PER_CALL = 10_000
UPSERT_IN_FLIGHT = 4  # chunks of 100 sent at once; CitrusAd documents no rate limit
DELETION_NOTICE = (
    "CitrusAd completes a deletion 30 to 60 minutes after accepting it; until then the product "
    "may still be read and advertised. To mark a product out of stock, set its inventory to 0 "
    "instead: a deleted product can no longer be chosen by advertisers, even once back in stock."
)
_RESOURCE = ("citrusad", "catalog_product")


@dataclass(frozen=True, slots=True)
class CatalogInventory:
    """A new inventory for one catalog product."""

    catalog_id: str
    gtin: str
    inventory: int


@dataclass(frozen=True, slots=True)
class CatalogDeletion:
    """One catalog product to delete; ``seller_id`` is required when the product carries one."""

    catalog_id: str
    gtin: str
    seller_id: str | None = None


@dataclass(frozen=True, slots=True)
class CatalogWriteReport:
    """One outcome per input item, in order, and the products CitrusAd echoed (``None`` if none)."""

    outcomes: tuple[WriteOutcome, ...]
    products: tuple[CatalogProduct | None, ...]


class CatalogJobs:
    """CitrusAd writes as jobs: every item checked, then the job recorded (nothing sent yet)."""

    def __init__(self, submitter: JobSubmitter) -> None:
        self.submitter = submitter

    def submit_sync(self, products: Sequence[CatalogProduct]) -> str:
        self.submitter.check_size(len(products))
        _check_unique([(p.catalog_id, p.gtin) for p in products])
        for index, product in enumerate(products):
            check_catalog_product(index, product)
        return self.submitter.submit(JobKind.CITRUSAD_SYNC, [p.to_json() for p in products], {})

    def submit_inventory(self, items: Sequence[CatalogInventory]) -> str:
        self.submitter.check_size(len(items))
        _check_unique([(i.catalog_id, i.gtin) for i in items])
        for index, item in enumerate(items):
            _check_key(index, item.catalog_id, item.gtin)
            _check_inventory(index, item.gtin, item.inventory)
        payloads = [
            {"catalogId": i.catalog_id, "gtin": i.gtin, "inventory": i.inventory} for i in items
        ]
        return self.submitter.submit(JobKind.CITRUSAD_INVENTORY, payloads, {})

    def submit_delete(self, items: Sequence[CatalogDeletion]) -> str:
        self.submitter.check_size(len(items))
        _check_unique([(i.catalog_id, i.gtin) for i in items])
        for index, item in enumerate(items):
            _check_key(index, item.catalog_id, item.gtin)
            if item.seller_id is not None:
                _code(index, item.gtin, item.seller_id, "sellerId")
        payloads = [
            {"catalogId": i.catalog_id, "gtin": i.gtin, "sellerId": i.seller_id} for i in items
        ]
        return self.submitter.submit(JobKind.CITRUSAD_DELETE, payloads, {})

    async def report(self, job_id: str) -> CatalogWriteReport:
        """Wait for the job; one outcome per item, and the products as sent when accepted."""
        job = await self.submitter.wait(job_id)
        return catalog_report(job, self.submitter.store.all_items(job_id))


def catalog_report(job: Job, items: Sequence[Any]) -> CatalogWriteReport:
    action = "delete" if job.kind is JobKind.CITRUSAD_DELETE else "upsert"
    outcomes, products = [], []
    for item in items:
        ids = _ids(item.payload["catalogId"], item.payload["gtin"])
        outcomes.append(outcome_of(action, ids, item.state, item.reason))
        echoed = item.state is ItemState.ACCEPTED and item.answer is not None
        products.append(_record(item.answer) if echoed else None)
    return CatalogWriteReport(tuple(outcomes), tuple(products))


class CitrusAdChunks:
    """Runs one CitrusAd chunk for the workers through ``CatalogWriter``."""

    def __init__(self, writer: CatalogWriter) -> None:
        self.writer = writer

    async def run(self, chunk: ClaimedChunk, on_wire: OnWire) -> ChunkResult:
        payloads = [item.payload for item in chunk.items]
        # CitrusAd documents no rate limit: nothing waits between here and the wire.
        await on_wire()
        if chunk.kind is JobKind.CITRUSAD_SYNC:
            report = await self.writer.sync([_record(p) for p in payloads])
        elif chunk.kind is JobKind.CITRUSAD_INVENTORY:
            report = await self.writer.set_inventory(
                [CatalogInventory(p["catalogId"], p["gtin"], p["inventory"]) for p in payloads]
            )
        else:
            report = await self.writer.delete(
                [CatalogDeletion(p["catalogId"], p["gtin"], p.get("sellerId")) for p in payloads]
            )
        deleting = chunk.kind is JobKind.CITRUSAD_DELETE
        outcomes = tuple(
            _item_outcome(o, p, deleting, chunk.replay)
            for o, p in zip(report.outcomes, report.products, strict=True)
        )
        states = {o.state for o in outcomes}
        if states == {ItemState.FAILED}:
            return ChunkResult(ChunkState.FAILED, outcomes, outcomes[0].reason)
        if ItemState.UNKNOWN in states:
            return ChunkResult(ChunkState.UNKNOWN, outcomes)
        return ChunkResult(ChunkState.ANSWERED, outcomes)


def _item_outcome(
    outcome: WriteOutcome, echoed: CatalogProduct | None, deleting: bool, replay: bool
) -> ItemOutcome:
    if outcome.status is WriteStatus.SUCCESS:
        state = ItemState.DELETED if deleting else ItemState.ACCEPTED
        return ItemOutcome(state, outcome.message, _echo_json(echoed) if echoed else None)
    if outcome.status is WriteStatus.UNKNOWN:
        return ItemOutcome(ItemState.UNKNOWN, outcome.message)
    if deleting and replay and outcome.message == NOT_FOUND:
        return ItemOutcome(
            ItemState.PROBABLY_ACCEPTED,
            "the delete was sent before a restart and replayed after it; the replay found no "
            "product, so the first attempt most likely deleted it",
        )
    return ItemOutcome(ItemState.FAILED, outcome.message)


def _echo_json(product: CatalogProduct) -> dict[str, Any]:
    return {**product.to_json(), "teamId": product.team_id, "groups": list(product.groups)}


def _record(payload: dict[str, Any]) -> CatalogProduct:
    return CatalogProduct(
        team_id=payload.get("teamId"),
        groups=tuple(payload.get("groups", ())),
        catalog_id=payload["catalogId"],
        gtin=payload["gtin"],
        inventory=payload["inventory"],
        price=Decimal(payload["price"]),
        tags=tuple(payload.get("tags", ())),
        filters=tuple(payload.get("filters", ())),
        profit=Decimal(payload["profit"]) if payload.get("profit") is not None else None,
        seller_id=payload.get("sellerId"),
    )


class CatalogWriter:
    """One chunk's CitrusAd writes, sent now (the workers' path): its client, and its cache
    to evict from."""

    def __init__(
        self, client: CitrusAdClient, cache: SharedCache[Any, Any], *, max_items: int = CHUNK_SIZE
    ) -> None:
        self.client = client
        self.cache = cache
        self.max_items = max_items

    async def sync(self, products: Sequence[CatalogProduct]) -> CatalogWriteReport:
        """Upsert ``products`` (a re-sync replaces the whole product)."""
        _check_size(products, self.max_items)
        _check_unique([(p.catalog_id, p.gtin) for p in products])
        for index, product in enumerate(products):
            check_catalog_product(index, product)
        try:
            return await self._upsert(products)
        finally:
            self._evict((p.catalog_id, p.gtin) for p in products)

    async def set_inventory(self, items: Sequence[CatalogInventory]) -> CatalogWriteReport:
        """Re-sync each product as it stands now, with the new inventory."""
        _check_size(items, self.max_items)
        keys = [(i.catalog_id, i.gtin) for i in items]
        _check_unique(keys)
        for index, item in enumerate(items):
            _check_key(index, item.catalog_id, item.gtin)
            _check_inventory(index, item.gtin, item.inventory)
        # Read fresh, not through the cache: the whole product is written back, so a stale
        # copy would undo a price change made meanwhile.
        current = await self.client.get_many(keys)
        outcomes: list[WriteOutcome | None] = []
        found: list[CatalogProduct] = []
        for item, now in zip(items, current, strict=True):
            if isinstance(now, CatalogProduct):
                found.append(replace(now, inventory=item.inventory))
                outcomes.append(None)
            else:
                outcomes.append(_read_failure(item.catalog_id, item.gtin, now))
        try:
            synced = await self._upsert(found) if found else CatalogWriteReport((), ())
        finally:
            self._evict(keys)
        answered = iter(zip(synced.outcomes, synced.products, strict=True))
        merged = [(o, None) if o is not None else next(answered) for o in outcomes]
        return CatalogWriteReport(tuple(o for o, _ in merged), tuple(p for _, p in merged))

    async def delete(self, items: Sequence[CatalogDeletion]) -> CatalogWriteReport:
        """Delete each product, one call per code; see ``DELETION_NOTICE``."""
        _check_size(items, self.max_items)
        _check_unique([(i.catalog_id, i.gtin) for i in items])
        for index, item in enumerate(items):
            _check_key(index, item.catalog_id, item.gtin)
            if item.seller_id is not None:
                _code(index, item.gtin, item.seller_id, "sellerId")
        try:
            answers = await self.client.delete_many(
                [(i.catalog_id, i.gtin, i.seller_id) for i in items]
            )
        finally:
            self._evict((i.catalog_id, i.gtin) for i in items)
        outcomes = tuple(
            _deleted(i.catalog_id, i.gtin, answer) for i, answer in zip(items, answers, strict=True)
        )
        return CatalogWriteReport(outcomes, (None,) * len(items))

    async def _upsert(self, products: Sequence[CatalogProduct]) -> CatalogWriteReport:
        """Chunks go out ``UPSERT_IN_FLIGHT`` at a time: a call never repeats a key (checked
        before), so no chunk can overtake another's write to the same product, and CitrusAd
        documents no rate limit. Outcomes stay in input order."""
        size = self.client.chunk_size
        chunks = [products[at : at + size] for at in range(0, len(products), size)]
        gate = asyncio.Semaphore(UPSERT_IN_FLIGHT)

        async def one(chunk: Sequence[CatalogProduct]) -> list[tuple[WriteOutcome, Any]]:
            async with gate:
                try:
                    answer = await self.client.upsert(chunk)
                except GatewayError as exc:
                    return [(_failed("upsert", p.catalog_id, p.gtin, exc), None) for p in chunk]
            by_key = {(p.catalog_id, p.gtin): p for p in answer}
            return [
                (_success("upsert", p.catalog_id, p.gtin), by_key.get((p.catalog_id, p.gtin)))
                for p in chunk
            ]

        done = [pair for part in await asyncio.gather(*map(one, chunks)) for pair in part]
        return CatalogWriteReport(tuple(o for o, _ in done), tuple(e for _, e in done))

    def _evict(self, keys: Iterable[CatalogKey]) -> None:
        self.cache.evict(*_RESOURCE, list(keys))

    def evict_keys(self, keys: Iterable[CatalogKey]) -> None:
        """Forget cached reads of ``keys`` (a chunk of a job settled)."""
        self._evict(keys)


def _ids(catalog_id: str, gtin: str) -> dict[str, str]:
    return {"catalogId": catalog_id, "gtin": gtin}


def _success(action: str, catalog_id: str, gtin: str, message: str | None = None) -> WriteOutcome:
    return WriteOutcome(WriteStatus.SUCCESS, action, _ids(catalog_id, gtin), message)


def _failed(action: str, catalog_id: str, gtin: str, exc: GatewayError) -> WriteOutcome:
    # Sent but unanswered (or answered unreadably, or a 5xx after receipt): it may have landed.
    unknown = isinstance(exc, UpstreamOutcomeUnknown | UpstreamBadResponse) or (
        isinstance(exc, UpstreamUnavailable) and exc.status is not None
    )
    if unknown:
        return WriteOutcome(
            WriteStatus.UNKNOWN, action, _ids(catalog_id, gtin), unknown_reason(exc)
        )
    return WriteOutcome(
        WriteStatus.ERROR, action, _ids(catalog_id, gtin), f"{exc.code}: {exc.message}"
    )


def _read_failure(catalog_id: str, gtin: str, answer: object) -> WriteOutcome:
    if isinstance(answer, GatewayError):
        return WriteOutcome(
            WriteStatus.ERROR, "upsert", _ids(catalog_id, gtin), f"{answer.code}: {answer.message}"
        )
    if isinstance(answer, Exception):
        return WriteOutcome(WriteStatus.ERROR, "upsert", _ids(catalog_id, gtin), str(answer))
    # Not synced, or synced so recently that CitrusAd has not ingested it yet.
    message = f"{NOT_FOUND}: sync it with a price first (a recent sync may not be ingested yet)"
    return WriteOutcome(WriteStatus.ERROR, "upsert", _ids(catalog_id, gtin), message)


def _deleted(catalog_id: str, gtin: str, answer: bool | Exception) -> WriteOutcome:
    if answer is True:
        return _success("delete", catalog_id, gtin, "accepted; completes in 30 to 60 minutes")
    if isinstance(answer, GatewayError):
        return _failed("delete", catalog_id, gtin, answer)
    message = NOT_FOUND if answer is False else str(answer)
    return WriteOutcome(WriteStatus.ERROR, "delete", _ids(catalog_id, gtin), message)


# --- checks: before any call, each naming the item by position and code.


def _check_size(items: Sequence[object], most: int) -> None:
    if not items:
        raise BadUserInput("give at least one item")
    if len(items) > most:
        raise BadUserInput(f"at most {most} items a call, got {len(items)}")


def _check_unique(keys: Sequence[CatalogKey]) -> None:
    seen: dict[CatalogKey, int] = {}
    for index, key in enumerate(keys):
        if (first := seen.setdefault(key, index)) != index:
            raise BadUserInput(
                f"item {index} repeats catalog product {key[1]} of item {first}: "
                "send each product once a call",
                item=key[1],
            )


def _code(index: int, gtin: str, value: object, name: str) -> None:
    """``check_code``, naming the item by position and product code."""
    try:
        check_code(value, name)
    except BadUserInput as exc:
        raise BadUserInput(f"item {index}: {exc.message}", item=gtin[:128]) from None


def _check_key(index: int, catalog_id: str, gtin: str) -> None:
    _code(index, gtin, catalog_id, "catalogId")
    _code(index, gtin, gtin, "gtin")


def _check_inventory(index: int, gtin: str, inventory: int) -> None:
    if isinstance(inventory, bool) or not isinstance(inventory, int) or inventory < 0:
        raise BadUserInput(f"item {index}: inventory must be an integer >= 0", item=gtin)


def check_catalog_product(index: int, product: CatalogProduct) -> None:
    _check_key(index, product.catalog_id, product.gtin)
    _check_inventory(index, product.gtin, product.inventory)
    for name, value in (("price", product.price), ("profit", product.profit)):
        if value is not None and not (
            isinstance(value, Decimal) and value.is_finite() and value >= 0
        ):
            raise BadUserInput(f"item {index}: {name} must be a decimal >= 0", item=product.gtin)
    if product.seller_id is not None:
        _code(index, product.gtin, product.seller_id, "sellerId")
    for name, values in (("tags", product.tags), ("filters", product.filters)):
        if any(not value.strip() for value in values):
            raise BadUserInput(
                f"item {index}: {name} must not hold empty strings", item=product.gtin
            )
