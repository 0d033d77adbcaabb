"""Reading write jobs: one job, a page of jobs, a job's items; and the row decoders the
store's own transactions share. Plain reads, outside any write transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gateway.storage import Database, Session
from gateway.writes.job_records import (
    ItemState,
    Job,
    JobCounts,
    JobItem,
    JobKind,
    JobState,
    Recovery,
)

__all__ = ["ITEM_SELECT", "JobReads", "decode_items", "recovery_json"]


class JobReads:
    """The read side of ``JobStore``."""

    database: Database

    def state(self, job_id: str) -> JobState | None:
        """The job's state alone: one row, no counting (what a waiting caller polls)."""
        row = self.database.read(
            lambda db: db.execute("SELECT state FROM write_jobs WHERE id=?", (job_id,)).fetchone()
        )
        return JobState(row[0]) if row else None

    def get(self, job_id: str) -> Job | None:
        def query(db: Session) -> Job | None:
            row = db.execute(f"{_JOB_SELECT} WHERE id=?", (job_id,)).fetchone()
            return _job(row, _counts(db, job_id)) if row else None

        job: Job | None = self.database.read(query)
        return job

    def page(
        self, *, first: int, after: str | None = None, state: JobState | None = None
    ) -> tuple[list[Job], bool]:
        """Jobs newest first, after the job ``after``; and whether more follow."""

        def query(db: Session) -> tuple[list[Job], bool]:
            where, params = ["1=1"], []
            if state is not None:
                where.append("state = ?")
                params.append(state.value)
            if after is not None:
                mark = db.execute(
                    "SELECT created_at, id FROM write_jobs WHERE id=?", (after,)
                ).fetchone()
                if mark is not None:
                    where.append("(created_at < ? OR (created_at = ? AND id < ?))")
                    params.extend([mark[0], mark[0], mark[1]])
            rows = db.execute(
                f"{_JOB_SELECT} WHERE {' AND '.join(where)}"
                " ORDER BY created_at DESC, id DESC LIMIT ?",
                (*params, first + 1),
            ).fetchall()
            return [_job(r, _counts(db, r[0])) for r in rows[:first]], len(rows) > first

        result: tuple[list[Job], bool] = self.database.read(query)
        return result

    def items(
        self,
        job_id: str,
        *,
        first: int,
        after: int | None = None,
        states: Sequence[ItemState] = (),
    ) -> tuple[list[JobItem], bool]:
        """A job's items in input order after index ``after``, optionally of some states."""
        where = ["job_id = ?"]
        params: list[Any] = [job_id]
        if after is not None:
            where.append("idx > ?")
            params.append(after)
        if states:
            where.append(f"state IN ({','.join('?' * len(states))})")
            params.extend(s.value for s in states)
        sql = f"{ITEM_SELECT} WHERE {' AND '.join(where)} ORDER BY idx LIMIT ?"
        rows = self.database.read(lambda db: db.execute(sql, (*params, first + 1)).fetchall())
        return decode_items(rows[:first]), len(rows) > first

    def all_items(self, job_id: str) -> list[JobItem]:
        rows = self.database.read(
            lambda db: db.execute(
                f"{ITEM_SELECT} WHERE job_id=? ORDER BY idx", (job_id,)
            ).fetchall()
        )
        return decode_items(rows)


_JOB_SELECT = (
    "SELECT id, kind, options, state, chunks, cancel_requested, recoveries, submitted_by,"
    " created_at, updated_at, finished_at FROM write_jobs"
)
ITEM_SELECT = "SELECT idx, chunk, key, payload, state, reason, answer FROM write_items"


def _job(row: tuple[Any, ...], counts: JobCounts) -> Job:
    (job_id, kind, options, state, chunks, cancel, recoveries, by, created, updated, finished) = row
    return Job(
        id=job_id,
        kind=JobKind(kind),
        options=json.loads(options),
        state=JobState(state),
        chunks=chunks,
        counts=counts,
        cancel_requested=bool(cancel),
        recoveries=tuple(Recovery(**r) for r in json.loads(recoveries)),
        submitted_by=by,
        created_at=datetime.fromisoformat(created),
        updated_at=datetime.fromisoformat(updated),
        finished_at=datetime.fromisoformat(finished) if finished else None,
    )


def _counts(db: Session, job_id: str) -> JobCounts:
    by_state: dict[str, int] = {}
    sent = 0
    for state, was_sent, count in db.execute(
        "SELECT i.state, c.sent_at IS NOT NULL, COUNT(*) FROM write_items i"
        " LEFT JOIN write_chunks c ON c.job_id = i.job_id AND c.seq = i.chunk"
        " WHERE i.job_id=? GROUP BY 1, 2",
        (job_id,),
    ):
        by_state[state] = by_state.get(state, 0) + count
        if was_sent:
            sent += count
    return JobCounts(
        total=sum(by_state.values()),
        queued=by_state.get("QUEUED", 0),
        sending=by_state.get("SENDING", 0),
        sent=sent,
        accepted=sum(by_state.get(s, 0) for s in ("ACCEPTED", "PROBABLY_ACCEPTED", "DELETED")),
        failed=by_state.get("FAILED", 0),
        unknown=by_state.get("UNKNOWN", 0),
        cancelled=by_state.get("CANCELLED", 0),
    )


def decode_items(rows: Sequence[tuple[Any, ...]]) -> list[JobItem]:
    return [
        JobItem(
            index=idx,
            chunk=chunk,
            key=key,
            payload=json.loads(payload),
            state=ItemState(state),
            reason=reason,
            answer=json.loads(answer) if answer is not None else None,
        )
        for idx, chunk, key, payload, state, reason, answer in rows
    ]


def recovery_json(recovery: Recovery) -> dict[str, Any]:
    return {
        "at": recovery.at,
        "chunk": recovery.chunk,
        "was": recovery.was,
        "previous_owner": recovery.previous_owner,
    }
