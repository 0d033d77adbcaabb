"""Write jobs as the schema shows them: state, counts, per-item results, recoveries.

Every field here needs the ``write`` scope (jobs carry what services wrote), whatever the
operation: ``writeJob`` in a query, ``cancelWriteJob``, ``writeJobProgress``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.permission import BasePermission
from strawberry.scalars import JSON

from gateway.errors import BadUserInput, Forbidden
from gateway.graphql.cursors import decode_cursor, decode_index, encode_cursor
from gateway.graphql.info import Info
from gateway.graphql.types.connections import PageInfo
from gateway.writes import jobs as store

__all__ = [
    "MAX_ITEM_PAGE",
    "MAX_JOB_PAGE",
    "NeedsWriteScope",
    "WriteItemState",
    "WriteJob",
    "WriteJobConnection",
    "WriteJobCounts",
    "WriteJobItem",
    "WriteJobItemConnection",
    "WriteJobKind",
    "WriteJobRecovery",
    "WriteJobState",
    "WriteMode",
    "is_job_id",
    "job_after",
    "job_cursor",
]

MAX_JOB_PAGE = 100
MAX_ITEM_PAGE = 1000


class NeedsWriteScope(BasePermission):
    """The caller's principal has ``write`` (in-process callers without one are trusted)."""

    message = "the 'write' scope is required for write jobs"
    error_extensions = {"code": Forbidden.code}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is None or bool(principal.has("write"))


@strawberry.enum(description="How a bulk write answers.")
class WriteMode(enum.Enum):
    WAIT = strawberry.enum_value(
        "WAIT",
        description="Answer when the job has ended, with every item's result (or, if the "
        "gateway begins stopping first, with the job as it stands).",
    )
    JOB = strawberry.enum_value(
        "JOB",
        description="Answer at once with the job (recorded, nothing sent yet); follow it with "
        "`writeJob`, `writeJobs` or the `writeJobProgress` subscription.",
    )


@strawberry.enum(description="What a write job writes.")
class WriteJobKind(enum.Enum):
    OMNICOMMERCE_REGISTER = "omnicommerce.register"
    OMNICOMMERCE_UPDATE = "omnicommerce.update"
    OMNICOMMERCE_DELETE = "omnicommerce.delete"
    CITRUSAD_SYNC = "citrusad.sync"
    CITRUSAD_INVENTORY = "citrusad.inventory"
    CITRUSAD_DELETE = "citrusad.delete"


@strawberry.enum(description="Where a write job stands.")
class WriteJobState(enum.Enum):
    QUEUED = strawberry.enum_value("QUEUED", description="Recorded; no chunk has left yet.")
    RUNNING = strawberry.enum_value("RUNNING", description="Chunks are being sent.")
    COMPLETED = strawberry.enum_value(
        "COMPLETED", description="Every chunk ended; each item says how."
    )
    CANCELLED = strawberry.enum_value(
        "CANCELLED", description="Cancelled: chunks not yet sent were not sent."
    )


@strawberry.enum(description="Where one item of a write job stands: exactly what is known.")
class WriteItemState(enum.Enum):
    QUEUED = strawberry.enum_value("QUEUED", description="Recorded, not sent.")
    SENDING = strawberry.enum_value("SENDING", description="On the wire.")
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="The upstream took it.")
    PROBABLY_ACCEPTED = strawberry.enum_value(
        "PROBABLY_ACCEPTED",
        description="Sent before a restart and replayed after it; the replay was refused as "
        "already done (a duplicate, or not found for a delete), so the first attempt most "
        "likely applied it.",
    )
    DELETED = strawberry.enum_value("DELETED", description="The upstream accepted the delete.")
    FAILED = strawberry.enum_value(
        "FAILED", description="Refused; `reason` gives the upstream's words."
    )
    UNKNOWN = strawberry.enum_value(
        "UNKNOWN",
        description="Sent, but no usable answer came: it may or may not have been applied.",
    )
    CANCELLED = strawberry.enum_value("CANCELLED", description="Cancelled before it was sent.")


@strawberry.type(description="Item counts of a write job.")
class WriteJobCounts:
    total: int
    queued: int = strawberry.field(description="Not sent yet.")
    sending: int = strawberry.field(description="On the wire now.")
    sent: int = strawberry.field(description="Left the gateway at least once, whatever came back.")
    accepted: int = strawberry.field(description="ACCEPTED, PROBABLY_ACCEPTED or DELETED.")
    failed: int
    unknown: int
    cancelled: int


@strawberry.type(description="A chunk taken over from a worker that stopped holding it.")
class WriteJobRecovery:
    at: datetime
    chunk: int = strawberry.field(description="The chunk's number (100 items each, from 0).")
    was: str = strawberry.field(
        description="QUEUED (it had not left: run now) or SENDING (it was on the wire: replayed)."
    )


@strawberry.type(description="One item of a write job, in input order.")
class WriteJobItem:
    index: int = strawberry.field(description="Its position in the input list.")
    key: str = strawberry.field(description="The product id, or catalogId/gtin for CitrusAd.")
    state: WriteItemState
    reason: str | None = strawberry.field(description="The upstream's words, or why not sent.")
    sent: JSON = strawberry.field(description="What is (or was to be) sent for this item.")

    @classmethod
    def from_item(cls, item: store.JobItem) -> WriteJobItem:
        return cls(
            index=item.index,
            key=item.key,
            state=WriteItemState(item.state.value),
            reason=item.reason,
            sent=JSON(item.payload),
        )


@strawberry.type(description="A page of a job's items.")
class WriteJobItemConnection:
    nodes: list[WriteJobItem]
    page_info: PageInfo


@strawberry.type(
    description="A bulk write recorded before anything was sent, run in chunks of 100 by the "
    "gateway's workers, resumed after any restart."
)
class WriteJob:
    id: strawberry.ID
    kind: WriteJobKind
    state: WriteJobState
    counts: WriteJobCounts
    chunks: int = strawberry.field(description="Requests the job takes (100 items each).")
    cancel_requested: bool
    submitted_by: str | None = strawberry.field(description="The API key or token's name.")
    recoveries: list[WriteJobRecovery] = strawberry.field(
        description="Chunks taken over after a worker stopped holding them (a crash, a kill)."
    )
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_job(cls, job: store.Job) -> WriteJob:
        c = job.counts
        return cls(
            id=strawberry.ID(job.id),
            kind=WriteJobKind(job.kind.value),
            state=WriteJobState(job.state.value),
            counts=WriteJobCounts(
                total=c.total,
                queued=c.queued,
                sending=c.sending,
                sent=c.sent,
                accepted=c.accepted,
                failed=c.failed,
                unknown=c.unknown,
                cancelled=c.cancelled,
            ),
            chunks=job.chunks,
            cancel_requested=job.cancel_requested,
            submitted_by=job.submitted_by,
            recoveries=[
                WriteJobRecovery(at=datetime.fromisoformat(r.at), chunk=r.chunk, was=r.was)
                for r in job.recoveries
            ],
            created_at=job.created_at,
            updated_at=job.updated_at,
            finished_at=job.finished_at,
        )

    def ended(self) -> bool:
        return self.state in (WriteJobState.COMPLETED, WriteJobState.CANCELLED)

    @strawberry.field(description="True once the job ended (COMPLETED or CANCELLED).")
    def done(self) -> bool:
        return self.ended()

    @strawberry.field(description="True when it completed and every item was accepted.")
    def ok(self) -> bool:
        c = self.counts
        return self.state is WriteJobState.COMPLETED and c.accepted == c.total

    @strawberry.field(description="The job's items in input order, optionally of some states.")
    def items(
        self,
        info: Info,
        states: list[WriteItemState] | None = None,
        first: int = 100,
        after: str | None = None,
    ) -> WriteJobItemConnection:
        if not 0 <= first <= MAX_ITEM_PAGE:
            raise BadUserInput(f"first must be between 0 and {MAX_ITEM_PAGE}")
        wanted = [store.ItemState(s.value) for s in states or ()]
        start = _item_after(after)
        found, more = info.context.runtime.jobs.items(
            str(self.id), first=first, after=start, states=wanted
        )
        nodes = [WriteJobItem.from_item(i) for i in found]
        return WriteJobItemConnection(
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=more,
                has_previous_page=start is not None,
                start_cursor=_item_cursor(nodes[0].index) if nodes else None,
                end_cursor=_item_cursor(nodes[-1].index) if nodes else None,
            ),
        )


@strawberry.type(description="A page of write jobs, newest first.")
class WriteJobConnection:
    nodes: list[WriteJob]
    page_info: PageInfo


def job_cursor(job_id: str) -> str:
    return encode_cursor("job", job_id)


def is_job_id(value: str) -> bool:
    """Whether ``value`` could name a job: the store's ids are printable ASCII (uuid hex).
    Anything else names no job and must not reach the store: PostgreSQL text cannot hold NUL."""
    return 0 < len(value) <= 64 and value.isascii() and value.isprintable()


def job_after(cursor: str | None) -> str | None:
    return decode_cursor(cursor, "job", is_job_id)


def _item_cursor(index: int) -> str:
    return encode_cursor("item", index)


def _item_after(cursor: str | None) -> int | None:
    return decode_index(cursor, "item")
