"""What every mutation answers: ``ok`` plus one result per input item, in input order."""

from __future__ import annotations

import enum
from typing import Any

import strawberry

from gateway.upstreams.records import WriteOutcome

__all__ = ["WriteAction", "WritePayload", "WriteResult", "WriteStatus", "job_succeeded"]


@strawberry.enum(description="An item's outcome as the upstream answered it.")
class WriteStatus(enum.Enum):
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    ERROR = "ERROR"
    UNKNOWN = strawberry.enum_value(
        "UNKNOWN", description="Sent, but no answer came back: it may or may not have been applied."
    )
    QUEUED = strawberry.enum_value(
        "QUEUED",
        description="A write job's item not sent yet when the answer was given (the gateway "
        "began stopping); its job says how it ends.",
    )
    SENDING = strawberry.enum_value(
        "SENDING", description="A write job's item on the wire when the answer was given."
    )
    CANCELLED = strawberry.enum_value("CANCELLED", description="Cancelled before it was sent.")


@strawberry.enum
class WriteAction(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    COPY = "copy"
    LINK = "link"
    UNLINK = "unlink"
    UPSERT = "upsert"


@strawberry.type(
    description="A key the upstream answered for an item (e.g. id, tid, path, productId)."
)
class WriteId:
    key: str
    value: str


@strawberry.type(description="One input item's outcome.")
class WriteResult:
    index: int = strawberry.field(description="The item's position in the input list.")
    status: WriteStatus
    action: WriteAction | None
    ids: list[WriteId]
    message: str | None = strawberry.field(description="The upstream's own words, e.g. its error.")
    code: str | None = strawberry.field(
        default=None,
        description="Set when the gateway refused the item itself before sending it, e.g. "
        "BAD_USER_INPUT with the reason in `message`.",
    )

    @classmethod
    def from_outcome(cls, index: int, outcome: WriteOutcome) -> WriteResult:
        try:
            action: WriteAction | None = WriteAction(outcome.action)
        except ValueError:
            action = None
        return cls(
            index=index,
            status=WriteStatus(outcome.status.value),
            action=action,
            ids=[WriteId(key=k, value=v) for k, v in outcome.ids.items()],
            message=outcome.message,
            code=outcome.code,
        )


@strawberry.type(description="A batch write's answer: `ok` is true when no item failed.")
class WritePayload:
    results: list[WriteResult]

    @strawberry.field(description="True when every item ended SUCCESS or WARNING.")
    def ok(self) -> bool:
        return all(r.status in (WriteStatus.SUCCESS, WriteStatus.WARNING) for r in self.results)

    @classmethod
    def from_outcomes(cls, outcomes: list[WriteOutcome]) -> WritePayload:
        return cls(results=[WriteResult.from_outcome(i, o) for i, o in enumerate(outcomes)])


def job_succeeded(job: Any, results: list[WriteResult]) -> bool:
    """A job-backed payload's ``ok``: the job ended and every item succeeded."""
    succeeded = all(r.status in (WriteStatus.SUCCESS, WriteStatus.WARNING) for r in results)
    return bool(job.ended()) and bool(results) and succeeded
