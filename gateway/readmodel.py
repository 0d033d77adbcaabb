"""The gateway's own record of OMNICOMMERCE products: what it sent and what was answered.

The Data Management API has no read endpoint, so this table is the only place the gateway
can show those products from. Its rows move with the write jobs (``gateway/writes/jobs.py``)
and are written in the same transactions as the job's own rows:

| status | meaning |
| --- | --- |
| QUEUED | a write of this product is recorded in a job and has not left the gateway |
| SENDING | the request carrying it is on the wire (or the process died while it was) |
| ACCEPTED | the last write was accepted (202, not in failureList) |
| PROBABLY_ACCEPTED | sent twice across a restart; the replay was refused as a duplicate, so the first attempt most likely applied it |
| FAILED | the last write failed; ``reason`` says why; ``payload`` is what was last accepted |
| DELETED | a delete was accepted |
| UNKNOWN | sent, but no usable answer came back: it may or may not have been applied |
| CANCELLED | the last write was cancelled before it was sent; ``payload`` is unchanged |

``payload`` is always what the upstream holds as far as the gateway knows (the last accepted
register, merged with accepted updates); ``pending`` is what the last write carries while it
is not settled. ``job_id`` names the job that last wrote the row: an older job's answer that
arrives after a newer job queued the same id does not overwrite the newer row.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.storage import Database, Session

__all__ = ["CommerceReadModel", "CommerceRecord", "CommerceStatus", "Operation"]


class CommerceStatus(enum.Enum):
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    ACCEPTED = "ACCEPTED"
    PROBABLY_ACCEPTED = "PROBABLY_ACCEPTED"
    FAILED = "FAILED"
    DELETED = "DELETED"
    UNKNOWN = "UNKNOWN"
    CANCELLED = "CANCELLED"


class Operation(enum.Enum):
    REGISTER = "register"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class CommerceRecord:
    id: str
    status: CommerceStatus
    operation: Operation
    payload: dict[str, Any] | None
    pending: dict[str, Any] | None
    reason: str | None
    job_id: str | None
    created_at: datetime
    updated_at: datetime


class CommerceReadModel:
    """Reads of the record, and the writes the job store makes inside its transactions."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # --- writes: each takes the job store's open transaction ---------------------------------

    @staticmethod
    def queue(
        db: Session,
        job_id: str,
        operation: Operation,
        items: Sequence[Mapping[str, Any]],
        now: str,
    ) -> None:
        """Each item (its ``id`` plus the fields to send) QUEUED under ``job_id``."""
        # Sorted by id: concurrent transactions on PostgreSQL lock shared rows in one order.
        rows = sorted(
            ((item["id"], operation.value, json.dumps(dict(item)), job_id, now, now)
             for item in items),
            key=lambda row: str(row[0]),
        )  # fmt: skip
        db.executemany(
            "INSERT INTO commerce_products"
            " (id, status, operation, pending, job_id, created_at, updated_at)"
            " VALUES (?, 'QUEUED', ?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET status='QUEUED', operation=excluded.operation,"
            " pending=excluded.pending, reason=NULL, job_id=excluded.job_id,"
            " updated_at=excluded.updated_at",
            rows,
        )

    @staticmethod
    def sending(db: Session, job_id: str, ids: Sequence[str], now: str) -> None:
        db.executemany(
            "UPDATE commerce_products SET status='SENDING', updated_at=? WHERE id=? AND job_id=?",
            [(now, pid, job_id) for pid in sorted(ids)],
        )

    @staticmethod
    def settle(
        db: Session,
        job_id: str,
        operation: Operation,
        outcomes: Mapping[str, tuple[CommerceStatus, str | None]],
        now: str,
    ) -> None:
        """Record each item's outcome, for rows ``job_id`` still owns."""
        lock = db.dialect.lock()
        for pid, (status, reason) in sorted(outcomes.items()):
            # Locked until commit: a newer job cannot queue the row between read and write.
            row = db.execute(
                f"SELECT payload, pending FROM commerce_products WHERE id=? AND job_id=?{lock}",  # noqa: S608 (dialect fragments, no input)
                (pid, job_id),
            ).fetchone()
            if row is None:
                continue
            payload, pending = (json.loads(v) if v else None for v in row)
            keep_pending = pending
            applied = (
                CommerceStatus.ACCEPTED,
                CommerceStatus.PROBABLY_ACCEPTED,
                CommerceStatus.DELETED,
            )
            if status in applied:
                if operation is Operation.DELETE:
                    # PROBABLY_ACCEPTED stays: the reason says the first attempt deleted it.
                    status = (
                        status
                        if status is CommerceStatus.PROBABLY_ACCEPTED
                        else CommerceStatus.DELETED
                    )
                    payload = None
                elif operation is Operation.UPDATE:
                    payload = _merge(payload or {}, pending or {})
                else:
                    payload = pending
                keep_pending = None
            elif status in (CommerceStatus.FAILED, CommerceStatus.CANCELLED):
                keep_pending = None
            db.execute(
                "UPDATE commerce_products SET status=?, payload=?, pending=?, reason=?,"
                " updated_at=? WHERE id=? AND job_id=?",
                (
                    status.value,
                    json.dumps(payload) if payload is not None else None,
                    json.dumps(keep_pending) if keep_pending is not None else None,
                    reason,
                    now,
                    pid,
                    job_id,
                ),
            )

    # --- reads -------------------------------------------------------------------------------

    def get(self, product_id: str) -> CommerceRecord | None:
        row = self.database.read(
            lambda db: db.execute(_SELECT + " WHERE id=?", (product_id,)).fetchone()
        )
        return _record(row) if row else None

    def get_many(self, product_ids: Sequence[str]) -> dict[str, CommerceRecord]:
        found: dict[str, CommerceRecord] = {}
        for at in range(0, len(product_ids), 500):
            part = list(product_ids[at : at + 500])
            marks = ",".join("?" * len(part))
            sql = f"{_SELECT} WHERE id IN ({marks})"

            def query(db: Session, sql: str = sql, part: list[str] = part) -> Any:
                return db.execute(sql, part).fetchall()

            rows = self.database.read(query)
            found.update((row[0], _record(row)) for row in rows)
        return found

    def page(
        self, *, first: int, after: str | None = None, status: CommerceStatus | None = None
    ) -> tuple[list[CommerceRecord], bool]:
        """Up to ``first`` records ordered by id after ``after``, and whether more follow."""
        where, params = ["1=1"], []
        if after is not None:
            where.append("id > ?")
            params.append(after)
        if status is not None:
            where.append("status = ?")
            params.append(status.value)
        sql = f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY id LIMIT ?"
        rows = self.database.read(lambda db: db.execute(sql, (*params, first + 1)).fetchall())
        return [_record(r) for r in rows[:first]], len(rows) > first

    def count(self, status: CommerceStatus | None = None) -> int:
        if status is None:
            row = self.database.read(
                lambda db: db.execute("SELECT COUNT(*) FROM commerce_products").fetchone()
            )
        else:
            row = self.database.read(
                lambda db: db.execute(
                    "SELECT COUNT(*) FROM commerce_products WHERE status=?", (status.value,)
                ).fetchone()
            )
        return int(row[0])


_SELECT = (
    "SELECT id, status, operation, payload, pending, reason, job_id, created_at, updated_at"
    " FROM commerce_products"
)


def _record(row: tuple[Any, ...]) -> CommerceRecord:
    pid, status, operation, payload, pending, reason, job_id, created, updated = row
    return CommerceRecord(
        id=pid,
        status=CommerceStatus(status),
        operation=Operation(operation),
        payload=json.loads(payload) if payload else None,
        pending=json.loads(pending) if pending else None,
        reason=reason,
        job_id=job_id,
        created_at=datetime.fromisoformat(created),
        updated_at=datetime.fromisoformat(updated),
    )


def _merge(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """The document's PUT semantics: fields sent replace, ``metadata`` keys merge."""
    merged = {**current, **{k: v for k, v in patch.items() if k != "metadata"}}
    if "metadata" in patch:
        merged["metadata"] = {**(current.get("metadata") or {}), **patch["metadata"]}
    return merged
