"""Submitting write jobs and waiting for them: what every bulk writer shares.

| call | does |
| --- | --- |
| ``check_size(n)`` | refuses an empty write or one over ``write_max_items`` before anything is recorded |
| ``submit(kind, items, options)`` | records the job (nothing sent yet) and wakes the workers |
| ``wait(job_id)`` | the job once it ended, or as it stands when the process starts stopping or the operation's deadline is near (``WAIT_MARGIN``, ``WAIT_SHARE``): the job runs on, the answer carries it |
| ``outcome_of(action, ids, state, reason)`` | an item's job state as a mutation's per-item result |
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from gateway import deadlines
from gateway.errors import BadUserInput, GatewayError
from gateway.upstreams.records import WriteOutcome, WriteStatus
from gateway.writes.jobs import ItemState, Job, JobKind, JobStore
from gateway.writes.worker import WritePool

__all__ = [
    "REFUSED",
    "UNKNOWN_MESSAGE",
    "WAIT_MARGIN",
    "JobSubmitter",
    "outcome_of",
    "unknown_reason",
]

# A caller stops waiting this long before its operation's deadline (or a quarter of the
# operation's time, if more: a busy process may need it), to answer with the job.
WAIT_MARGIN = 0.5
WAIT_SHARE = 0.25

_STATUS = {
    ItemState.QUEUED: WriteStatus.QUEUED,
    ItemState.SENDING: WriteStatus.SENDING,
    ItemState.ACCEPTED: WriteStatus.SUCCESS,
    ItemState.PROBABLY_ACCEPTED: WriteStatus.SUCCESS,
    ItemState.DELETED: WriteStatus.SUCCESS,
    ItemState.FAILED: WriteStatus.ERROR,
    ItemState.UNKNOWN: WriteStatus.UNKNOWN,
    ItemState.CANCELLED: WriteStatus.CANCELLED,
}


class JobSubmitter:
    """The job store and the workers, for one caller (``submitted_by`` names it in the job)."""

    def __init__(
        self,
        store: JobStore,
        pool: WritePool,
        *,
        max_items: int,
        submitted_by: str | None = None,
    ) -> None:
        self.store = store
        self.pool = pool
        self.max_items = max_items
        self.submitted_by = submitted_by

    def check_size(self, count: int) -> None:
        if count == 0:
            raise BadUserInput("give at least one item")
        if count > self.max_items:
            raise BadUserInput(f"at most {self.max_items} items a call, got {count}")

    def submit(
        self,
        kind: JobKind,
        items: Sequence[Mapping[str, Any]],
        options: dict[str, Any],
        refused: Mapping[int, BadUserInput] | None = None,
    ) -> str:
        """Record a job whose items are keyed by their ``id`` (OMNICOMMERCE) or code;
        ``refused`` items (by index) failed their checks: FAILED at once, never sent."""
        keyed = [(_key_of(item), dict(item)) for item in items]
        reasons = {index: f"{REFUSED}{error.message}" for index, error in (refused or {}).items()}
        job_id = self.store.submit(
            kind, keyed, options=options, submitted_by=self.submitted_by, refused=reasons
        )
        self.pool.wake()
        return job_id

    async def wait(self, job_id: str) -> Job:
        with contextlib.suppress(TimeoutError):
            async with deadlines.answer_by(WAIT_MARGIN, WAIT_SHARE):
                return await self.pool.wait(job_id)
        # The answer is due: the job keeps running, and the caller gets it (its id, its state
        # RUNNING, items QUEUED or SENDING) rather than an error that hides it.
        job = self.store.get(job_id)
        if job is None:
            raise LookupError(job_id)
        return job


REFUSED = "BAD_USER_INPUT: "
"""How the reason of an item refused by the gateway's own checks begins."""


def _key_of(item: Mapping[str, Any]) -> str:
    if "id" in item:
        return str(item["id"])
    return f"{item['catalogId']}/{item['gtin']}"


def outcome_of(
    action: str, ids: dict[str, str], state: ItemState, reason: str | None
) -> WriteOutcome:
    if reason is not None and reason.startswith(REFUSED):
        return WriteOutcome(
            _STATUS[state], action, ids, reason[len(REFUSED) :], code=BadUserInput.code
        )
    return WriteOutcome(_STATUS[state], action, ids, reason)


UNKNOWN_MESSAGE = "it may or may not have been applied"


def unknown_reason(error: GatewayError) -> str:
    """Why a sent item's outcome is unknown, in the error's own words (a timeout, a 5xx
    after receipt, a garbled answer), always saying that it may have been applied."""
    words = f"{error.code}: {error.message}"
    return words if UNKNOWN_MESSAGE in words else f"{words}: {UNKNOWN_MESSAGE}"
