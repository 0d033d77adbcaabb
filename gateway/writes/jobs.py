"""Write jobs: every bulk write recorded before it leaves, in chunks, each chunk's state known.

A job is its items (what to send), cut into chunks of at most 100 (what one request carries),
committed in one transaction with the read-model rows that describe them (a transactional
outbox), before anything is sent. Workers (``gateway/writes/worker.py``) then claim chunks
under a lease and move them along:

| chunk state | meaning | a kill -9 here leaves |
| --- | --- | --- |
| QUEUED | not sent; maybe claimed by a worker waiting for a rate slot | QUEUED: run after the lease (or at once when its process is gone) |
| SENDING | the request is on the wire | SENDING: replayed by the next worker (every write here is safe to repeat) |
| ANSWERED | the upstream answered; each item holds its outcome | done |
| UNKNOWN | sent, but no usable answer came (timeout, reset, 5xx, garbled) | done: items UNKNOWN |
| FAILED | refused before processing (4xx, no connection, breaker open) | done: items FAILED |
| CANCELLED | cancelled before it was sent | done |

| item state | meaning |
| --- | --- |
| QUEUED | recorded, not sent |
| SENDING | on the wire |
| ACCEPTED | the upstream took it |
| PROBABLY_ACCEPTED | replayed after a crash and refused as a duplicate ("Block duplicate products."): the first attempt most likely applied it |
| DELETED | a delete was accepted |
| FAILED | refused, with the upstream's reason |
| UNKNOWN | sent, no usable answer: it may or may not have been applied |
| CANCELLED | cancelled before it was sent |

A job is QUEUED until its first chunk leaves, RUNNING until no chunk is QUEUED or SENDING,
then COMPLETED (or CANCELLED when cancelled before every chunk was sent).

Recovery: a chunk whose lease ran out (its worker's process died or hung) is claimed by the
next worker; one that was SENDING is replayed. Each takeover is written to the job's
``recoveries`` and logged once.

Several processes (on several hosts, with PostgreSQL) share the store: a claim locks its
chunk and passes over chunks other claims hold (``SELECT ... FOR UPDATE SKIP LOCKED``), and
every transaction locks chunk rows, then the job row, then read-model rows in id order, so
none waits on another in a circle. Jobs stay plain SQL beside the read model rather than in
a queue library (procrastinate, pgqueuer): a job's rows and the read-model rows describing
it must commit in one transaction, which a library's own tables and connection would split.

The values (``Job``, ``ClaimedChunk``, the states) are in ``job_records``; the reads
(``get``, ``page``, ``items``) in ``job_reads``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from gateway.readmodel import CommerceReadModel, CommerceStatus
from gateway.storage import Database, Session
from gateway.writes.job_reads import ITEM_SELECT, JobReads, decode_items, recovery_json
from gateway.writes.job_records import (
    ChunkState,
    ClaimedChunk,
    ItemOutcome,
    ItemState,
    Job,
    JobCounts,
    JobItem,
    JobKind,
    JobState,
    Recovery,
)

__all__ = [
    "CHUNK_SIZE",
    "ChunkState",
    "ClaimedChunk",
    "ItemOutcome",
    "ItemState",
    "Job",
    "JobCounts",
    "JobItem",
    "JobKind",
    "JobState",
    "JobStore",
    "Recovery",
]

log = logging.getLogger("gateway.writes")

CHUNK_SIZE = 100


class JobStore(JobReads):
    """Jobs, chunks and items in the gateway's database, beside the OMNICOMMERCE read model."""

    def __init__(
        self,
        database: Database,
        *,
        chunk_size: int = CHUNK_SIZE,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """``clock`` (seconds since 1970) times leases; unset, the database's clock does, so
        processes on hosts whose clocks disagree agree on when a lease ran out."""
        self.database = database
        self.chunk_size = chunk_size
        self._clock = clock

    # --- submitting ----------------------------------------------------------------------------

    def submit(
        self,
        kind: JobKind,
        items: Sequence[tuple[str, Any]],
        *,
        options: dict[str, Any] | None = None,
        submitted_by: str | None = None,
        refused: Mapping[int, str] | None = None,
    ) -> str:
        """Record a job of ``(key, payload)`` items, all QUEUED; its id. Nothing is sent yet.

        ``refused`` (index -> reason) are items checked and refused before anything was
        recorded: they are FAILED at once, in no chunk, and never sent.
        """
        job_id = uuid.uuid4().hex
        now = _now()
        size = self.chunk_size
        refused = refused or {}
        placed: list[tuple[int, int, str, Any, str, str | None]] = []
        to_send = 0
        for index, (key, payload) in enumerate(items):
            if index in refused:
                placed.append((index, -1, key, payload, "FAILED", refused[index]))
            else:
                placed.append((index, to_send // size, key, payload, "QUEUED", None))
                to_send += 1
        chunks = (len(items) - len(refused) + size - 1) // size
        with self.database.transaction() as db:
            db.execute(
                "INSERT INTO write_jobs (id, kind, options, state, total, chunks, submitted_by,"
                " created_at, updated_at) VALUES (?, ?, ?, 'QUEUED', ?, ?, ?, ?, ?)",
                (job_id, kind.value, json.dumps(options or {}), len(items), chunks,
                 submitted_by, now, now),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO write_chunks (job_id, seq, state, queued_at) VALUES (?, ?, 'QUEUED', ?)",
                [(job_id, seq, now) for seq in range(chunks)],
            )
            db.executemany(
                "INSERT INTO write_items (job_id, idx, chunk, key, payload, state, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (job_id, index, chunk, key, json.dumps(payload), state, reason)
                    for index, chunk, key, payload, state, reason in placed
                ],
            )
            operation = kind.commerce_operation
            if operation is not None:
                queued = [payload for _, chunk, _, payload, _, _ in placed if chunk >= 0]
                CommerceReadModel.queue(db, job_id, operation, queued, now)
            self._finish_if_done(db, job_id, now)
        return job_id

    # --- workers -------------------------------------------------------------------------------

    def claim(self, owner: str, lease_seconds: float) -> ClaimedChunk | None:
        """The oldest runnable chunk, now held by ``owner`` until the lease ends, or None.

        Runnable: QUEUED and not held, or held under a lease that ran out (QUEUED: run it;
        SENDING: replay it).
        """
        now, at = self._now_sql()
        with self.database.transaction() as db:
            # On PostgreSQL the chunk is locked until commit and chunks other claims hold
            # are passed over (SKIP LOCKED): concurrent claims never take the same chunk
            # and never wait on each other. SQLite's write lock serializes claims instead.
            row = db.execute(
                "SELECT c.job_id, c.seq, c.state, c.owner FROM write_chunks c"  # noqa: S608 (dialect fragments, no input)
                " JOIN write_jobs j ON j.id = c.job_id"
                " WHERE c.state IN ('QUEUED', 'SENDING')"
                f" AND (c.owner IS NULL OR c.lease_until < {now})"
                " ORDER BY j.created_at, c.job_id, c.seq LIMIT 1"
                f"{db.dialect.lock('c', skip_locked=True)}",
                at,
            ).fetchone()
            if row is None:
                return None
            job_id, seq, state, previous = row
            db.execute(
                f"UPDATE write_chunks SET owner=?, lease_until={now} + ? WHERE job_id=? AND seq=?",  # noqa: S608 (dialect fragments, no input)
                (owner, *at, lease_seconds, job_id, seq),
            )
            if previous is not None:
                self._record_recovery(db, job_id, Recovery(_now(), seq, state, previous))
            kind, options = db.execute(
                "SELECT kind, options FROM write_jobs WHERE id=?", (job_id,)
            ).fetchone()
            items = decode_items(
                db.execute(
                    f"{ITEM_SELECT} WHERE job_id=? AND chunk=? ORDER BY idx", (job_id, seq)
                ).fetchall()
            )
        return ClaimedChunk(
            job_id=job_id,
            kind=JobKind(kind),
            options=json.loads(options),
            seq=seq,
            items=tuple(items),
            replay=state == "SENDING",
            owner=owner,
        )

    def renew(self, owner: str, lease_seconds: float) -> None:
        """Extend every lease ``owner`` holds (its heartbeat)."""
        now, at = self._now_sql()
        with self.database.transaction() as db:
            db.execute(
                f"UPDATE write_chunks SET lease_until={now} + ? WHERE owner=?"  # noqa: S608 (dialect fragments, no input)
                " AND state IN ('QUEUED','SENDING')",
                (*at, lease_seconds, owner),
            )

    def mark_sending(self, chunk: ClaimedChunk) -> bool:
        """Record that ``chunk`` is going on the wire now; False when it may not (cancelled,
        or its lease was lost to another worker)."""
        now = _now()
        with self.database.transaction() as db:
            changed = db.execute(
                "UPDATE write_chunks SET state='SENDING', attempts=attempts+1,"
                " sent_at=COALESCE(sent_at, ?) WHERE job_id=? AND seq=? AND owner=?"
                " AND state IN ('QUEUED','SENDING')",
                (now, chunk.job_id, chunk.seq, chunk.owner),
            ).rowcount
            if not changed:
                return False
            db.execute(
                "UPDATE write_items SET state='SENDING' WHERE job_id=? AND chunk=?",
                (chunk.job_id, chunk.seq),
            )
            db.execute(
                "UPDATE write_jobs SET state='RUNNING', updated_at=? WHERE id=? AND state='QUEUED'",
                (now, chunk.job_id),
            )
            if chunk.kind.commerce_operation is not None:
                CommerceReadModel.sending(db, chunk.job_id, [i.key for i in chunk.items], now)
        return True

    def settle(
        self,
        chunk: ClaimedChunk,
        state: ChunkState,
        outcomes: Sequence[ItemOutcome],
        error: str | None = None,
    ) -> bool:
        """Record the chunk's ending and each item's outcome (aligned with ``chunk.items``);
        False when the chunk is no longer this worker's (nothing is written then)."""
        now = _now()
        with self.database.transaction() as db:
            changed = db.execute(
                "UPDATE write_chunks SET state=?, owner=NULL, lease_until=NULL, settled_at=?,"
                " error=? WHERE job_id=? AND seq=? AND owner=? AND state IN ('QUEUED','SENDING')",
                (state.value, now, error, chunk.job_id, chunk.seq, chunk.owner),
            ).rowcount
            if not changed:
                return False
            self._lock_job(db, chunk.job_id)
            db.executemany(
                "UPDATE write_items SET state=?, reason=?, answer=? WHERE job_id=? AND idx=?",
                [
                    (
                        o.state.value,
                        o.reason,
                        json.dumps(o.answer) if o.answer is not None else None,
                        chunk.job_id,
                        item.index,
                    )
                    for item, o in zip(chunk.items, outcomes, strict=True)
                ],
            )
            operation = chunk.kind.commerce_operation
            if operation is not None:
                CommerceReadModel.settle(
                    db,
                    chunk.job_id,
                    operation,
                    {
                        item.key: (CommerceStatus(o.state.value), o.reason)
                        for item, o in zip(chunk.items, outcomes, strict=True)
                    },
                    now,
                )
            self._finish_if_done(db, chunk.job_id, now)
        return True

    def release(self, chunk: ClaimedChunk) -> None:
        """Give a chunk back unprocessed, QUEUED and free: the process stops while it waited
        for a rate slot, or while it waited to retry an attempt the upstream did not process
        (a 429, a refused connection: the only writes the transport retries)."""
        with self.database.transaction() as db:
            changed = db.execute(
                "UPDATE write_chunks SET state='QUEUED', owner=NULL, lease_until=NULL"
                " WHERE job_id=? AND seq=? AND owner=? AND state IN ('QUEUED','SENDING')",
                (chunk.job_id, chunk.seq, chunk.owner),
            ).rowcount
            if not changed:
                return
            db.execute(
                "UPDATE write_items SET state='QUEUED' WHERE job_id=? AND chunk=?",
                (chunk.job_id, chunk.seq),
            )
            if chunk.kind.commerce_operation is not None:
                db.executemany(
                    "UPDATE commerce_products SET status='QUEUED' WHERE id=? AND job_id=?",
                    sorted((item.key, chunk.job_id) for item in chunk.items),
                )

    def owners(self) -> set[str]:
        """Workers holding a lease on an open chunk."""
        rows = self.database.read(
            lambda db: db.execute(
                "SELECT DISTINCT owner FROM write_chunks"
                " WHERE owner IS NOT NULL AND state IN ('QUEUED','SENDING')"
            ).fetchall()
        )
        return {row[0] for row in rows}

    def expire(self, owner: str) -> int:
        """End ``owner``'s leases now (its process is known to be gone); chunks affected."""
        with self.database.transaction() as db:
            return int(
                db.execute(
                    "UPDATE write_chunks SET lease_until=0 WHERE owner=?"
                    " AND state IN ('QUEUED','SENDING')",
                    (owner,),
                ).rowcount
            )

    # --- callers -------------------------------------------------------------------------------

    def cancel(self, job_id: str) -> Job | None:
        """Stop chunks not yet sent (CANCELLED); chunks on the wire settle as they end."""
        now = _now()
        with self.database.transaction() as db:
            if db.execute("SELECT 1 FROM write_jobs WHERE id=?", (job_id,)).fetchone() is None:
                return None
            # Chunks before the job row: every transaction takes its locks in that order.
            # RETURNING names exactly the chunks this statement cancelled (on PostgreSQL a
            # chunk may leave QUEUED between a SELECT and the UPDATE).
            seqs = [
                row[0]
                for row in db.execute(
                    "UPDATE write_chunks SET state='CANCELLED', owner=NULL, lease_until=NULL,"
                    " settled_at=? WHERE job_id=? AND state='QUEUED' RETURNING seq",
                    (now, job_id),
                ).fetchall()
            ]
            db.execute(
                "UPDATE write_jobs SET cancel_requested=1, updated_at=? WHERE id=?",
                (now, job_id),
            )
            if seqs:
                marks = ",".join("?" * len(seqs))
                keys = [
                    row[0]
                    for row in db.execute(
                        f"SELECT key FROM write_items WHERE job_id=? AND chunk IN ({marks})",  # noqa: S608
                        (job_id, *seqs),
                    ).fetchall()
                ]
                db.execute(
                    f"UPDATE write_items SET state='CANCELLED', reason=? WHERE job_id=?"  # noqa: S608
                    f" AND chunk IN ({marks})",
                    ("cancelled before it was sent", job_id, *seqs),
                )
                kind = JobKind(
                    db.execute("SELECT kind FROM write_jobs WHERE id=?", (job_id,)).fetchone()[0]
                )
                operation = kind.commerce_operation
                if operation is not None:
                    outcome = (CommerceStatus.CANCELLED, "cancelled before it was sent")
                    CommerceReadModel.settle(
                        db, job_id, operation, dict.fromkeys(keys, outcome), now
                    )
            self._finish_if_done(db, job_id, now)
        return self.get(job_id)

    # --- inside transactions -------------------------------------------------------------------

    def _now_sql(self) -> tuple[str, tuple[float, ...]]:
        """The SQL for "now" in seconds, and its parameters."""
        if self._clock is None:
            return self.database.dialect.now_epoch, ()
        return "?", (self._clock(),)

    @staticmethod
    def _lock_job(db: Session, job_id: str) -> None:
        """Hold the job's row until commit: transactions that settle its last chunks one
        beside the other on PostgreSQL take turns, so the last one sees the job finished."""
        db.execute(f"SELECT 1 FROM write_jobs WHERE id=?{db.dialect.lock()}", (job_id,))  # noqa: S608 (dialect fragments, no input)

    def _record_recovery(self, db: Session, job_id: str, recovery: Recovery) -> None:
        raw = db.execute(
            f"SELECT recoveries FROM write_jobs WHERE id=?{db.dialect.lock()}",  # noqa: S608
            (job_id,),
        ).fetchone()[0]
        recoveries = [*json.loads(raw), recovery_json(recovery)]
        db.execute(
            "UPDATE write_jobs SET recoveries=? WHERE id=?", (json.dumps(recoveries), job_id)
        )
        action = "replayed" if recovery.was == "SENDING" else "run"
        log.warning(
            "write job %s: chunk %d taken over from %s, which stopped holding it (was %s: %s)",
            job_id,
            recovery.chunk,
            recovery.previous_owner,
            recovery.was,
            action,
        )

    @staticmethod
    def _finish_if_done(db: Session, job_id: str, now: str) -> None:
        JobStore._lock_job(db, job_id)
        still_open = db.execute(
            "SELECT COUNT(*) FROM write_chunks WHERE job_id=? AND state IN ('QUEUED','SENDING')",
            (job_id,),
        ).fetchone()[0]
        if still_open:
            return
        cancelled = db.execute(
            "SELECT cancel_requested FROM write_jobs WHERE id=?", (job_id,)
        ).fetchone()[0]
        final = JobState.CANCELLED if cancelled else JobState.COMPLETED
        db.execute(
            "UPDATE write_jobs SET state=?, finished_at=?, updated_at=? WHERE id=?"
            " AND finished_at IS NULL",
            (final.value, now, now, job_id),
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
