"""Publish PIM products to the channels: load in batches, map, write, one outcome per product.

```python
from gateway.writes.publishing import publish

report = await publish(runtime, ["DEMO-0001", "DEMO-0002"], dry_run=True)
for product in report.products:
    print(product.tid, [(o.channel, o.status.value, o.payload) for o in product.outcomes])
```

Products go through in batches of ``pim_batch_size`` (100), one batch after the other:

| step | upstream calls per batch | a failure here |
| --- | --- | --- |
| load the products | one ``products/retrieve`` (fresh, not from the cache: what is sent must be current) | every product of the batch ERROR |
| load their nodes | at most one ``nodes/retrieve``, through the shared cache | the mapping gets ``node=None`` |
| map, per channel | none (the channel's mapping: an extension's, else ``gateway.mappings``) | that product ERROR on that channel |
| check each payload | none (the writers' own checks, one item at a time) | that product ERROR on that channel |
| write, per channel | OMNICOMMERCE: one register call (paced at 5 a second, recorded in the read model); CitrusAd: one upsert | the upstream's per-item outcome |

A product missing from the PIM, a mapping that raised, a CitrusAd product without GTIN, a
payload the writer would refuse or a key (OMNICOMMERCE id, CitrusAd GTIN) that an earlier
product of the same publish already took: each fails that product alone, with the reason in
its outcome; the others go on. A mapping that returns ``None`` leaves the product out of the
channel (SKIPPED). With ``dry_run`` nothing is written: each outcome is MAPPED, with its payload.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.errors import BadUserInput, GatewayError
from gateway.loaders import Loaders
from gateway.mappings import (
    CHANNELS,
    DEFAULT_MAPPINGS,
    ChannelMapping,
    MappingContext,
    MappingError,
)
from gateway.runtime import Runtime
from gateway.upstreams.records import (
    CatalogProduct,
    ClassificationNode,
    CommerceProduct,
    Product,
    WriteOutcome,
)
from gateway.writes.citrusad import CatalogJobs, check_catalog_product
from gateway.writes.omnicommerce import CommerceWriter, check_product_item

__all__ = [
    "CHANNELS",
    "MAX_PRODUCTS",
    "ChannelOutcome",
    "ProductOutcome",
    "PublishReport",
    "PublishStatus",
    "Publisher",
    "publish",
    "select_tids",
]

MAX_PRODUCTS = 10_000
"""Products one publish may carry: 100 OMNICOMMERCE calls, 20 seconds at 5 a second."""

_RECORDS: dict[str, type] = {"omnicommerce": CommerceProduct, "citrusad": CatalogProduct}


class PublishStatus(enum.Enum):
    """One product's outcome on one channel."""

    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    ERROR = "ERROR"
    UNKNOWN = "UNKNOWN"  # sent, no answer: it may or may not have been applied
    SKIPPED = "SKIPPED"  # the mapping returned None
    MAPPED = "MAPPED"  # dry run: mapped and checked, not written


_FAILED = (PublishStatus.ERROR, PublishStatus.UNKNOWN)


@dataclass(frozen=True, slots=True)
class ChannelOutcome:
    """``payload`` is what was (or in a dry run, would have been) sent, as JSON."""

    channel: str
    status: PublishStatus
    message: str | None = None
    ids: Mapping[str, str] = field(default_factory=dict)
    payload: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status not in _FAILED


@dataclass(frozen=True, slots=True)
class ProductOutcome:
    tid: str
    outcomes: tuple[ChannelOutcome, ...]

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    def on(self, channel: str) -> ChannelOutcome | None:
        return next((o for o in self.outcomes if o.channel == channel), None)


@dataclass(frozen=True, slots=True)
class PublishReport:
    """Every product's outcomes, in the order the tids were given (each tid once)."""

    products: tuple[ProductOutcome, ...]
    channels: tuple[str, ...]
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.products)

    def counts(self) -> dict[str, dict[PublishStatus, int]]:
        """Per channel, how many products ended in each status."""
        counts = {channel: dict.fromkeys(PublishStatus, 0) for channel in self.channels}
        for product in self.products:
            for outcome in product.outcomes:
                counts[outcome.channel][outcome.status] += 1
        return counts


OnBatch = Callable[[Sequence[ProductOutcome]], Any]


@dataclass(slots=True)
class _Item:
    """One product's way through a batch: its record, then one outcome or payload per channel."""

    tid: str
    product: Product | None = None
    node: ClassificationNode | None = None
    mapped: dict[str, Any] = field(default_factory=dict)
    outcomes: dict[str, ChannelOutcome] = field(default_factory=dict)


class Publisher:
    """Publishes through one runtime, with its extensions' mappings (or ``mappings=``)."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        mappings: Mapping[str, ChannelMapping] | None = None,
        batch_size: int | None = None,
    ) -> None:
        self.runtime = runtime
        chosen = {**DEFAULT_MAPPINGS, **runtime.extensions.mappings, **(mappings or {})}
        self.mappings: dict[str, ChannelMapping] = chosen
        self.batch_size = batch_size or runtime.settings.pim_batch_size
        self._loaders = Loaders(runtime)
        self._commerce = CommerceWriter(runtime.submitter("publish"))
        self._catalog = CatalogJobs(runtime.submitter("publish"))

    async def publish(
        self,
        tids: Sequence[str],
        channels: Sequence[str] = CHANNELS,
        *,
        dry_run: bool = False,
        on_batch: OnBatch | None = None,
    ) -> PublishReport:
        """Publish ``tids`` to ``channels``; ``on_batch(outcomes)`` follows progress."""
        wanted = _checked_channels(channels)
        distinct = _checked_tids(tids)
        # Keys taken by earlier products of this publish, per channel: a second product with
        # the same GTIN would silently replace the first one upstream.
        taken: dict[str, dict[Any, str]] = {channel: {} for channel in wanted}
        done: list[ProductOutcome] = []
        for at in range(0, len(distinct), self.batch_size):
            batch = [_Item(tid) for tid in distinct[at : at + self.batch_size]]
            await self._load(batch, wanted)
            for channel in wanted:
                await self._map(batch, channel, taken[channel])
            if not dry_run:
                await asyncio.gather(*(self._write(batch, channel) for channel in wanted))
            outcomes = [_product_outcome(item, wanted) for item in batch]
            done += outcomes
            if on_batch is not None:
                on_batch(outcomes)
        return PublishReport(tuple(done), wanted, dry_run)

    async def _load(self, batch: list[_Item], channels: Sequence[str]) -> None:
        try:
            found = await self.runtime.pim.products_by_tid([item.tid for item in batch])
        except GatewayError as exc:
            failed = _error(f"PIM read failed: {exc.code}: {exc.message}")
            for item in batch:
                item.outcomes = dict.fromkeys(channels, failed)
            return
        for item, product in zip(batch, found, strict=True):
            item.product = product
        paths = sorted({p.node for p in found if p is not None and p.node})
        nodes = await asyncio.gather(
            *(self._loaders.node_by_path.load(path) for path in paths), return_exceptions=True
        )
        by_path = {
            p: n for p, n in zip(paths, nodes, strict=True) if isinstance(n, ClassificationNode)
        }
        for item in batch:
            if item.product is not None and item.product.node:
                item.node = by_path.get(item.product.node)

    async def _map(self, batch: list[_Item], channel: str, taken: dict[Any, str]) -> None:
        mapping = self.mappings[channel]
        for item in batch:
            if channel in item.outcomes:
                continue
            if item.product is None:
                item.outcomes[channel] = _error(f"no product with tid {item.tid!r} in the PIM")
                continue
            context = MappingContext.for_settings(self.runtime.settings, item.node)
            try:
                record = await _call(mapping, item.product, context)
                payload = _checked_record(channel, record)
            except Exception as exc:
                item.outcomes[channel] = _error(_reason(exc))
                continue
            if payload is None:
                item.outcomes[channel] = ChannelOutcome(channel, PublishStatus.SKIPPED)
                continue
            key = _key(channel, record)
            if (first := taken.setdefault(key, item.tid)) != item.tid:
                message = f"{_key_name(channel)} {key[-1]} is taken by {first} in this publish"
                item.outcomes[channel] = _error(message, payload)
                continue
            item.mapped[channel] = record

    async def _write(self, batch: list[_Item], channel: str) -> None:
        ready = [item for item in batch if channel in item.mapped]
        if not ready:
            return
        records = [item.mapped[channel] for item in ready]
        try:
            if channel == "omnicommerce":
                answers = (await self._commerce.register(records)).outcomes
            else:
                job_id = self._catalog.submit_sync(records)
                answers = (await self._catalog.report(job_id)).outcomes
        except GatewayError as exc:
            for item, record in zip(ready, records, strict=True):
                item.outcomes[channel] = _error(_reason(exc), record.to_json())
            return
        for item, record, answer in zip(ready, records, answers, strict=True):
            item.outcomes[channel] = _written(channel, answer, record.to_json())


async def publish(
    runtime: Runtime,
    tids: Sequence[str],
    channels: Sequence[str] = CHANNELS,
    *,
    dry_run: bool = False,
    on_batch: OnBatch | None = None,
) -> PublishReport:
    """``Publisher(runtime).publish(...)``: the mappings are the runtime's extensions' or the defaults."""
    return await Publisher(runtime).publish(tids, channels, dry_run=dry_run, on_batch=on_batch)


async def select_tids(
    runtime: Runtime,
    *,
    node_paths: Sequence[str] = (),
    modified_from: datetime | None = None,
    modified_until: datetime | None = None,
) -> list[str]:
    """Tids of the products matching every criterion given (one ``products/query``)."""
    if not (node_paths or modified_from or modified_until):
        raise BadUserInput("give node paths or a modification date range")
    return await runtime.pim.query_products(
        node_paths=node_paths, modified_from=modified_from, modified_until=modified_until
    )


# --- helpers ------------------------------------------------------------------------------


def _checked_channels(channels: Iterable[str]) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(c.lower() for c in channels))
    if not wanted:
        raise BadUserInput("give at least one channel")
    for channel in wanted:
        if channel not in CHANNELS:
            raise BadUserInput(f"unknown channel {channel!r}: use {' or '.join(CHANNELS)}")
    return wanted


def _checked_tids(tids: Sequence[str]) -> list[str]:
    distinct = list(dict.fromkeys(tids))
    if not distinct:
        raise BadUserInput("give at least one product tid")
    if len(distinct) > MAX_PRODUCTS:
        raise BadUserInput(f"at most {MAX_PRODUCTS} products a publish, got {len(distinct)}")
    for index, tid in enumerate(distinct):
        if not isinstance(tid, str) or not tid.strip():
            raise BadUserInput(f"tid {index} is empty")
    return distinct


async def _call(mapping: ChannelMapping, product: Product, context: MappingContext) -> Any:
    result = mapping(product, context)
    return await result if inspect.isawaitable(result) else result


def _checked_record(channel: str, record: object) -> dict[str, Any] | None:
    """The record as JSON once the writer's own checks pass; ``None`` for a skipped product."""
    if record is None:
        return None
    expected = _RECORDS[channel]
    if not isinstance(record, expected):
        raise TypeError(
            f"the {channel} mapping returned {type(record).__name__}, "
            f"expected {expected.__name__} or None"
        )
    if isinstance(record, CommerceProduct):
        return check_product_item(0, record)
    assert isinstance(record, CatalogProduct)
    check_catalog_product(0, record)
    return record.to_json()


def _key(channel: str, record: Any) -> tuple[str, ...]:
    if channel == "omnicommerce":
        return (record.id,)
    return (record.catalog_id, record.gtin)


def _key_name(channel: str) -> str:
    return "id" if channel == "omnicommerce" else "GTIN"


def _reason(exc: Exception) -> str:
    if isinstance(exc, BadUserInput):
        # The writers' checks name the item by its position in a one-item call: drop that.
        return f"invalid payload: {exc.message.removeprefix('item 0: ')}"
    if isinstance(exc, GatewayError):
        return f"{exc.code}: {exc.message}"
    if isinstance(exc, MappingError):
        return str(exc)
    return f"mapping failed: {type(exc).__name__}: {exc}"


def _error(message: str, payload: dict[str, Any] | None = None) -> ChannelOutcome:
    # The channel is filled in by _product_outcome: one failure may stand for several channels.
    return ChannelOutcome("", PublishStatus.ERROR, message, payload=payload)


def _written(channel: str, answer: WriteOutcome, payload: dict[str, Any]) -> ChannelOutcome:
    status = PublishStatus(answer.status.value)
    return ChannelOutcome(channel, status, answer.message, dict(answer.ids), payload)


def _product_outcome(item: _Item, channels: Sequence[str]) -> ProductOutcome:
    outcomes: list[ChannelOutcome] = []
    for channel in channels:
        outcome = item.outcomes.get(channel)
        if outcome is None:  # mapped, and not written: a dry run
            record = item.mapped[channel]
            ids = {"id": record.id} if channel == "omnicommerce" else _catalog_ids(record)
            outcome = ChannelOutcome(channel, PublishStatus.MAPPED, None, ids, record.to_json())
        elif outcome.channel != channel:
            outcome = ChannelOutcome(
                channel, outcome.status, outcome.message, outcome.ids, outcome.payload
            )
        outcomes.append(outcome)
    return ProductOutcome(item.tid, tuple(outcomes))


def _catalog_ids(record: CatalogProduct) -> dict[str, str]:
    return {"catalogId": record.catalog_id, "gtin": record.gtin}
