"""What the write-job store holds, as values: a job, its chunks' and items' states, what a
worker claims and what it records. The states' meanings are tabled in ``gateway/writes/jobs.py``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.readmodel import Operation

__all__ = [
    "ChunkState",
    "ClaimedChunk",
    "ItemOutcome",
    "ItemState",
    "Job",
    "JobCounts",
    "JobItem",
    "JobKind",
    "JobState",
    "Recovery",
]


class JobKind(enum.Enum):
    OMNICOMMERCE_REGISTER = "omnicommerce.register"
    OMNICOMMERCE_UPDATE = "omnicommerce.update"
    OMNICOMMERCE_DELETE = "omnicommerce.delete"
    CITRUSAD_SYNC = "citrusad.sync"
    CITRUSAD_INVENTORY = "citrusad.inventory"
    CITRUSAD_DELETE = "citrusad.delete"

    @property
    def upstream(self) -> str:
        return self.value.split(".", 1)[0]

    @property
    def commerce_operation(self) -> Operation | None:
        """The read-model operation an OMNICOMMERCE job records, else None."""
        if self.upstream != "omnicommerce":
            return None
        return Operation(self.value.split(".", 1)[1])


class JobState(enum.Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class ChunkState(enum.Enum):
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    ANSWERED = "ANSWERED"
    UNKNOWN = "UNKNOWN"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class ItemState(enum.Enum):
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    ACCEPTED = "ACCEPTED"
    PROBABLY_ACCEPTED = "PROBABLY_ACCEPTED"
    DELETED = "DELETED"
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class JobCounts:
    """``sent``: items that left the gateway at least once (whatever came back)."""

    total: int = 0
    queued: int = 0
    sending: int = 0
    sent: int = 0
    accepted: int = 0
    failed: int = 0
    unknown: int = 0
    cancelled: int = 0


@dataclass(frozen=True, slots=True)
class Recovery:
    """A chunk taken over from a worker that stopped holding it."""

    at: str
    chunk: int
    was: str  # the chunk's state when taken over: QUEUED (run) or SENDING (replayed)
    previous_owner: str


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    kind: JobKind
    options: dict[str, Any]
    state: JobState
    chunks: int
    counts: JobCounts
    cancel_requested: bool
    recoveries: tuple[Recovery, ...]
    submitted_by: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def done(self) -> bool:
        return self.state in (JobState.COMPLETED, JobState.CANCELLED)


@dataclass(frozen=True, slots=True)
class JobItem:
    index: int
    chunk: int
    key: str
    payload: Any
    state: ItemState
    reason: str | None
    answer: Any = None


@dataclass(frozen=True, slots=True)
class ClaimedChunk:
    """A chunk a worker holds: its job's kind and options, its items, and whether it is a
    replay (it was SENDING under a worker that is gone)."""

    job_id: str
    kind: JobKind
    options: dict[str, Any]
    seq: int
    items: tuple[JobItem, ...]
    replay: bool
    owner: str


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """How an item ended; ``answer`` is what the upstream echoed of it, if it echoes."""

    state: ItemState
    reason: str | None = None
    answer: Any = None
