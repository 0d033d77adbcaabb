"""OMNICOMMERCE writes as jobs: validate every item, record the job, run its chunks, answer.

The Data Management API has no read endpoint, so every write is recorded in the read model
(``gateway/readmodel.py``) in the same transactions as its job (``gateway/writes/jobs.py``):

| step | where | what a kill -9 at this point leaves |
| --- | --- | --- |
| 1. validate every item | ``CommerceWriter``, before anything is recorded | nothing |
| 2. submit the job | one transaction: job, chunks, items QUEUED, read-model rows QUEUED | a job that the next worker runs |
| 3. a worker claims a chunk, waits for a rate slot | lease in ``write_chunks`` | the chunk QUEUED: run again |
| 4. ``on_wire``: the chunk SENDING, then the request leaves | one transaction | the chunk SENDING: replayed (register overwrites, update sends the same fields, delete again) |
| 5. the answer: items ACCEPTED / FAILED / DELETED / UNKNOWN | one transaction with the read model | settled |

| chunk ends | items become |
| --- | --- |
| answered 202 | ACCEPTED (or DELETED), FAILED with the upstream's reason when in ``failureList`` |
| answered 202 to a replay, "Block duplicate products." (register with BLOCK_DUPLICATES) | PROBABLY_ACCEPTED: the first attempt most likely applied it |
| answered 202 to a replay, "product not found" (delete) | PROBABLY_ACCEPTED (deleted by the first attempt) |
| sent, no usable answer (timeout, reset, 5xx, garbled) | UNKNOWN |
| refused before processing (4xx, rate limit past retries, no connection) | FAILED with the error's code |
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from gateway.errors import BadUserInput
from gateway.upstreams.omnicommerce import OmnicommerceClient, check_commerce_id
from gateway.upstreams.records import (
    CommerceFailure,
    CommerceProduct,
    CommerceProductPatch,
    WriteOutcome,
)
from gateway.writes.jobs import ChunkState, ClaimedChunk, ItemOutcome, ItemState, Job, JobKind
from gateway.writes.submit import JobSubmitter, outcome_of, unknown_reason
from gateway.writes.worker import ChunkResult, OnWire

__all__ = [
    "BLOCKED",
    "CommerceWriteReport",
    "CommerceWriter",
    "OmnicommerceChunks",
    "check_product_item",
]

BLOCKED = "Block duplicate products."
NOT_FOUND = "product not found"


PROBABLY_APPLIED = (
    "the request was sent before a restart and replayed after it; the replay was refused "
    "({reason}), so the first attempt most likely applied it"
)

_ACTIONS = {
    JobKind.OMNICOMMERCE_REGISTER: "create",
    JobKind.OMNICOMMERCE_UPDATE: "update",
    JobKind.OMNICOMMERCE_DELETE: "delete",
}

Item = dict[str, Any]


@dataclass(frozen=True, slots=True)
class CommerceWriteReport:
    """A job's outcome as one call answers it: counts, failures, one outcome per item."""

    job: Job
    ids: tuple[str, ...]
    accept: int
    failure: int
    failures: tuple[CommerceFailure, ...]
    unknown: tuple[str, ...]
    outcomes: tuple[WriteOutcome, ...]


class CommerceWriter:
    """Register, update and delete OMNICOMMERCE products as write jobs."""

    def __init__(self, submitter: JobSubmitter) -> None:
        self.submitter = submitter

    def submit_register(
        self,
        products: Sequence[CommerceProduct],
        *,
        block_duplicates: bool = False,
        all_or_nothing: bool = False,
    ) -> str:
        """``POST``: create or overwrite; ``block_duplicates`` fails ids the upstream holds.

        An item that fails its checks fails alone (FAILED, BAD_USER_INPUT, never sent) and
        the others are sent; ``all_or_nothing`` refuses the whole call instead.
        """
        items, refused = self._checked(products, check_product_item, all_or_nothing)
        options = {"block_duplicates": True} if block_duplicates else {}
        return self.submitter.submit(JobKind.OMNICOMMERCE_REGISTER, items, options, refused)

    def submit_update(
        self, patches: Sequence[CommerceProductPatch], *, all_or_nothing: bool = False
    ) -> str:
        """``PUT``: change only the fields each patch sets (``metadata`` keys merge)."""
        items, refused = self._checked(patches, _patch_item, all_or_nothing)
        return self.submitter.submit(JobKind.OMNICOMMERCE_UPDATE, items, {}, refused)

    def submit_delete(self, ids: Sequence[str], *, all_or_nothing: bool = False) -> str:
        """``DELETE``: remove products by id."""
        items, refused = self._checked(
            ids, lambda index, pid: {"id": _id(index, pid)}, all_or_nothing
        )
        return self.submitter.submit(JobKind.OMNICOMMERCE_DELETE, items, {}, refused)

    async def register(
        self, products: Sequence[CommerceProduct], *, block_duplicates: bool = False
    ) -> CommerceWriteReport:
        """Submit and wait for the job (until it ends or the process starts stopping)."""
        return await self.report(self.submit_register(products, block_duplicates=block_duplicates))

    async def update(self, patches: Sequence[CommerceProductPatch]) -> CommerceWriteReport:
        return await self.report(self.submit_update(patches))

    async def delete(self, ids: Sequence[str]) -> CommerceWriteReport:
        return await self.report(self.submit_delete(ids))

    async def report(self, job_id: str) -> CommerceWriteReport:
        job = await self.submitter.wait(job_id)
        return commerce_report(job, self.submitter.store.all_items(job_id))

    def _checked(
        self, given: Sequence[Any], check: Callable[[int, Any], Item], all_or_nothing: bool
    ) -> tuple[list[Item], dict[int, BadUserInput]]:
        """Every item checked before anything is recorded: size, each item, repeated ids.

        The items to record (a refused one as far as it can be read), and the refusals by
        index; with ``all_or_nothing`` the first refusal is raised instead.
        """
        self.submitter.check_size(len(given))
        items: list[Item] = []
        refused: dict[int, BadUserInput] = {}
        seen: dict[str, int] = {}
        for index, one in enumerate(given):
            try:
                item = check(index, one)
                # Chunks fly together, so two writes to one id could land in either order.
                if (first := seen.setdefault(item["id"], index)) != index:
                    raise BadUserInput(
                        f"item {index} repeats the id of item {first}: send each id once a call",
                        item=item["id"],
                    )
            except BadUserInput as exc:
                if all_or_nothing:
                    raise
                refused[index] = exc
                item = {"id": _raw_id(one)}
            items.append(item)
        return items, refused


def commerce_report(job: Job, items: Sequence[Any]) -> CommerceWriteReport:
    """The per-item view of a job (``items``: its ``JobItem`` list, in input order)."""
    action = _ACTIONS[job.kind]
    failures = tuple(
        CommerceFailure(id=i.key, errors=i.reason or "")
        for i in items
        if i.state is ItemState.FAILED
    )
    unknown = tuple(i.key for i in items if i.state is ItemState.UNKNOWN)
    return CommerceWriteReport(
        job=job,
        ids=tuple(i.key for i in items),
        accept=job.counts.accepted,
        failure=job.counts.failed,
        failures=failures,
        unknown=unknown,
        outcomes=tuple(outcome_of(action, {"id": i.key}, i.state, i.reason) for i in items),
    )


class OmnicommerceChunks:
    """Runs one OMNICOMMERCE chunk for the workers: one request, each item's outcome."""

    def __init__(self, client: OmnicommerceClient) -> None:
        self.client = client

    async def run(self, chunk: ClaimedChunk, on_wire: OnWire) -> ChunkResult:
        method, body = _request(chunk)
        ended = await self.client.send_chunk(method, body, before_send=on_wire)
        size = len(chunk.items)
        if ended.unknown is not None:
            reason = unknown_reason(ended.unknown)
            return ChunkResult(
                ChunkState.UNKNOWN, (ItemOutcome(ItemState.UNKNOWN, reason),) * size, reason
            )
        if ended.refused is not None or ended.answer is None:
            error = ended.refused
            reason = f"{error.code}: {error.message}" if error else "refused"
            return ChunkResult(
                ChunkState.FAILED, (ItemOutcome(ItemState.FAILED, reason),) * size, reason
            )
        failed = {f.id: f.errors for f in ended.answer.failures}
        return ChunkResult(
            ChunkState.ANSWERED,
            tuple(_item_outcome(chunk, item.key, failed.get(item.key)) for item in chunk.items),
        )


def _request(chunk: ClaimedChunk) -> tuple[str, dict[str, Any]]:
    payloads = [item.payload for item in chunk.items]
    if chunk.kind is JobKind.OMNICOMMERCE_DELETE:
        return "DELETE", {"productIds": [p["id"] for p in payloads]}
    if chunk.kind is JobKind.OMNICOMMERCE_UPDATE:
        return "PUT", {"products": payloads}
    extra = {"options": ["BLOCK_DUPLICATES"]} if chunk.options.get("block_duplicates") else {}
    return "POST", {**extra, "products": payloads}


def _item_outcome(chunk: ClaimedChunk, key: str, reason: str | None) -> ItemOutcome:
    deleting = chunk.kind is JobKind.OMNICOMMERCE_DELETE
    if reason is None:
        return ItemOutcome(ItemState.DELETED if deleting else ItemState.ACCEPTED)
    replayed_effect = (chunk.kind is JobKind.OMNICOMMERCE_REGISTER and reason == BLOCKED) or (
        deleting and reason == NOT_FOUND
    )
    if chunk.replay and replayed_effect:
        return ItemOutcome(ItemState.PROBABLY_ACCEPTED, PROBABLY_APPLIED.format(reason=reason))
    return ItemOutcome(ItemState.FAILED, reason)


# --- checks: the client checks again per chunk; these name the item and run before any call.


def _raw_id(given: Any) -> str:
    """The id of an item that failed its checks, as given (trimmed), for its result."""
    value = given if isinstance(given, str) else getattr(given, "id", "")
    return str(value)[:64]


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
        ("salesUrl", patch.sales_url),
        ("mobileSalesUrl", patch.mobile_sales_url),
    ):
        if value is not None:
            _url(index, pid, name, value)
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
        # Whitespace, and characters no URL holds unescaped: NUL, controls, bidi overrides.
        # (Every white-space character but the plain space is non-printable: one C-level
        # check per URL, not a Python step per character.)
        or " " in str(value)
        or not str(value).isprintable()
    ):
        raise BadUserInput(f"item {index}: {name} must be an absolute http(s) URL", item=pid)


def _detection(index: int, pid: str, value: object) -> None:
    if not (isinstance(value, str) and value.strip()):
        raise BadUserInput(f"item {index}: detection must not be empty", item=pid)


def _metadata(index: int, pid: str, value: object) -> None:
    if value is not None and not isinstance(value, dict):
        raise BadUserInput(f"item {index}: metadata must be a JSON object", item=pid)
