"""OMNICOMMERCE products as the gateway recorded them, their connection, and write payloads.

The upstream has no read endpoint: a ``CommerceProduct`` is the gateway's read model record
(what it sent, what was answered), not the upstream's own copy.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from gateway.errors import BadUserInput
from gateway.graphql.cursors import decode_cursor, encode_cursor
from gateway.graphql.globalid import encode_global_id
from gateway.graphql.info import Info
from gateway.graphql.scalars import CommerceProductId, is_valid_commerce_id
from gateway.graphql.types.connections import PageInfo
from gateway.graphql.types.jobs import WriteJob
from gateway.graphql.types.node import Node
from gateway.graphql.types.writes import WritePayload, WriteResult, job_succeeded
from gateway.readmodel import CommerceRecord
from gateway.readmodel import CommerceStatus as RecordStatus
from gateway.writes.omnicommerce import CommerceWriteReport

__all__ = [
    "CommerceFailure",
    "CommerceOperation",
    "CommerceProduct",
    "CommerceProductConnection",
    "CommerceProductEdge",
    "CommerceStatus",
    "CommerceWritePayload",
    "commerce_products",
]

MAX_PAGE = 100


@strawberry.enum(description="Where an OMNICOMMERCE product stands, as far as the gateway knows.")
class CommerceStatus(enum.Enum):
    QUEUED = strawberry.enum_value(
        "QUEUED", description="A write of it is recorded in a job and has not left the gateway."
    )
    SENDING = strawberry.enum_value(
        "SENDING",
        description="The request carrying it is on the wire (or was when the gateway stopped: "
        "it is replayed at the next start).",
    )
    ACCEPTED = strawberry.enum_value(
        "ACCEPTED", description="The last write was accepted (202, not in failureList)."
    )
    PROBABLY_ACCEPTED = strawberry.enum_value(
        "PROBABLY_ACCEPTED",
        description="Sent before a restart and replayed after it; the replay was refused as "
        "already done, so the first attempt most likely applied it.",
    )
    FAILED = strawberry.enum_value(
        "FAILED", description="The last write failed; `reason` says why."
    )
    DELETED = strawberry.enum_value("DELETED", description="A delete was accepted.")
    UNKNOWN = strawberry.enum_value(
        "UNKNOWN", description="Sent, but no answer came back: it may or may not have been applied."
    )
    CANCELLED = strawberry.enum_value(
        "CANCELLED",
        description="The last write was cancelled before it was sent; what the upstream holds "
        "is unchanged.",
    )


@strawberry.enum(description="The last operation the gateway sent for a product.")
class CommerceOperation(enum.Enum):
    REGISTER = "register"
    UPDATE = "update"
    DELETE = "delete"


@strawberry.type(
    description="An OMNICOMMERCE product, from the gateway's own record of what it sent and what was answered."
)
class CommerceProduct(Node):
    product_id: CommerceProductId = strawberry.field(
        description="The product id in the OMNICOMMERCE workspace."
    )
    status: CommerceStatus = strawberry.field(description="The last operation's outcome.")
    operation: CommerceOperation = strawberry.field(description="The last operation sent.")
    reason: str | None = strawberry.field(
        description="The upstream's reason when the last operation FAILED."
    )
    pending: JSON | None = strawberry.field(
        description="What the last write carries (the fields sent) while QUEUED, SENDING or UNKNOWN."
    )
    job_id: strawberry.ID | None = strawberry.field(
        description="The write job that last wrote this product (see `writeJob`)."
    )
    created_at: datetime = strawberry.field(description="When the gateway first sent this id.")
    updated_at: datetime = strawberry.field(description="When this record last changed.")
    held: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_record(cls, rec: CommerceRecord) -> CommerceProduct:
        return cls(
            id=strawberry.ID(encode_global_id("CommerceProduct", rec.id)),
            product_id=CommerceProductId(rec.id),
            status=CommerceStatus(rec.status.value),
            operation=CommerceOperation(rec.operation.value),
            reason=rec.reason,
            pending=JSON(rec.pending) if rec.pending is not None else None,
            job_id=strawberry.ID(rec.job_id) if rec.job_id else None,
            created_at=rec.created_at,
            updated_at=rec.updated_at,
            held=rec.payload or {},
        )

    @strawberry.field(description="Image URL the upstream holds (last accepted).")
    def url(self) -> str | None:
        return self.held.get("url")

    @strawberry.field(description="Detection Field value the upstream holds, e.g. TOP.")
    def detection(self) -> str | None:
        return self.held.get("detection")

    @strawberry.field(description="Sales page URL the upstream holds.")
    def sales_url(self) -> str | None:
        return self.held.get("salesUrl")

    @strawberry.field(description="Mobile sales page URL the upstream holds.")
    def mobile_sales_url(self) -> str | None:
        return self.held.get("mobileSalesUrl")

    @strawberry.field(description="Metadata the upstream holds (productName, originPrice ...).")
    def metadata(self) -> JSON | None:
        return self.held.get("metadata")

    @strawberry.field(
        description="Everything the upstream holds as last accepted; null before any acceptance or after a delete."
    )
    def accepted(self) -> JSON | None:
        return JSON(self.held) if self.held else None


@strawberry.type(description="A product in a page of OMNICOMMERCE products.")
class CommerceProductEdge:
    cursor: str = strawberry.field(description="Opaque; pass as `after` to continue after it.")
    node: CommerceProduct = strawberry.field(description="The product.")


@strawberry.type(description="A page of OMNICOMMERCE products, ordered by product id.")
class CommerceProductConnection:
    edges: list[CommerceProductEdge] = strawberry.field(description="The page, in id order.")
    page_info: PageInfo = strawberry.field(description="Where the page sits.")
    total_count: int = strawberry.field(description="How many products match in all.")

    @strawberry.field(description="The page's products, without edges.")
    def nodes(self) -> list[CommerceProduct]:
        return [edge.node for edge in self.edges]


def _cursor(product_id: str) -> str:
    return encode_cursor("commerce", product_id)


def _after(cursor: str | None) -> str | None:
    return decode_cursor(cursor, "commerce", is_valid_commerce_id)


def commerce_products(
    info: Info, *, first: int, after: str | None, status: CommerceStatus | None
) -> CommerceProductConnection:
    """A page of the read model after the product id ``after`` names."""
    if not 0 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 0 and {MAX_PAGE}")
    readmodel = info.context.runtime.readmodel
    wanted = RecordStatus(status.value) if status is not None else None
    records, more = readmodel.page(first=first, after=_after(after), status=wanted)
    edges = [
        CommerceProductEdge(cursor=_cursor(r.id), node=CommerceProduct.from_record(r))
        for r in records
    ]
    return CommerceProductConnection(
        edges=edges,
        total_count=readmodel.count(wanted),
        page_info=PageInfo(
            has_next_page=more,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


@strawberry.type(description="An item the upstream failed, in its own words.")
class CommerceFailure:
    id: str = strawberry.field(description="The product id the upstream named.")
    reason: str = strawberry.field(description="The upstream's `errors` text, verbatim.")


@strawberry.type(
    description="An OMNICOMMERCE write's answer: its job, and (when it waited for the job) one "
    "result per input item with the counts the upstream answered, summed over its chunks of 100."
)
class CommerceWritePayload(WritePayload):
    job: WriteJob = strawberry.field(
        description="The job that carries the write: follow it with `writeJob(id)`."
    )
    accept: int = strawberry.field(
        description="Items the upstream accepted (ACCEPTED, PROBABLY_ACCEPTED or DELETED)."
    )
    failure: int = strawberry.field(description="Items the upstream refused.")
    unknown: int = strawberry.field(
        description="Items sent whose answer never came: they may or may not have been applied."
    )
    failures: list[CommerceFailure] = strawberry.field(
        description="Each failed item with the upstream's reason."
    )
    product_ids: strawberry.Private[tuple[str, ...]]

    @classmethod
    def from_report(cls, report: CommerceWriteReport) -> CommerceWritePayload:
        return cls(
            job=WriteJob.from_job(report.job),
            results=[WriteResult.from_outcome(i, o) for i, o in enumerate(report.outcomes)],
            accept=report.accept,
            failure=report.failure,
            unknown=len(report.unknown),
            failures=[CommerceFailure(id=f.id, reason=f.errors) for f in report.failures],
            product_ids=report.ids,
        )

    @classmethod
    def submitted(cls, job: WriteJob) -> CommerceWritePayload:
        """The answer of a mutation in JOB mode: the job, no results yet."""
        return cls(job=job, results=[], accept=0, failure=0, unknown=0, failures=[], product_ids=())

    @strawberry.field(
        description="True when the job completed and every item ended SUCCESS; false while "
        "it runs (JOB mode, or answered while the gateway was stopping)."
    )
    def ok(self) -> bool:
        return job_succeeded(self.job, self.results)

    @strawberry.field(
        description="The items' records after the write, in input order (see `commerceProduct`); "
        "empty in JOB mode."
    )
    def products(self, info: Info) -> list[CommerceProduct | None]:
        records = info.context.runtime.readmodel.get_many(self.product_ids)
        return [
            CommerceProduct.from_record(records[pid]) if pid in records else None
            for pid in self.product_ids
        ]
