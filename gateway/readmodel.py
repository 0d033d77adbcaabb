"""The gateway's own record of OMNICOMMERCE products: what it sent and what was answered.

The Data Management API has no read endpoint, so this SQLite database is the only place the
gateway can show those products from. Every write goes through two transactions:

1. ``begin(operation, items)`` before the request leaves: each item is marked ``PENDING``
   with what is being sent;
2. ``settle(operation, outcomes)`` when the answer arrives: ``ACCEPTED`` (the payload becomes
   what the upstream holds; an update merges), ``FAILED`` with the upstream's reason, or
   ``DELETED``; or ``UNKNOWN`` when no answer came.

A process killed between the two leaves ``PENDING`` rows that say exactly that: sent, answer
unknown. SQLite's journal (WAL) makes each transaction all or nothing, so a row is never half
written.

| status | meaning |
| --- | --- |
| PENDING | a request with this item is in flight (or the process died while it was) |
| ACCEPTED | the last operation was accepted (202, not in failureList) |
| FAILED | the last operation failed; ``reason`` says why; ``payload`` is what was last accepted |
| DELETED | a delete was accepted |
| UNKNOWN | the request was sent but its answer never came (timeout, reset) |
"""

from __future__ import annotations

import enum
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["CommerceReadModel", "CommerceRecord", "CommerceStatus", "Operation"]


class CommerceStatus(enum.Enum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    FAILED = "FAILED"
    DELETED = "DELETED"
    UNKNOWN = "UNKNOWN"


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
    created_at: datetime
    updated_at: datetime


_SCHEMA = """
CREATE TABLE IF NOT EXISTS commerce_products (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('PENDING','ACCEPTED','FAILED','DELETED','UNKNOWN')),
    operation TEXT NOT NULL CHECK (operation IN ('register','update','delete')),
    payload TEXT,
    pending TEXT,
    reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS commerce_products_status ON commerce_products (status, id);
"""


class CommerceReadModel:
    """SQLite-backed record; one connection guarded by a lock (calls are short)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against a killed process (the WAL survives); only an OS crash
        # could lose the last transactions, never corrupt them.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def begin(self, operation: Operation, items: Sequence[Mapping[str, Any]]) -> None:
        """Mark each item (its ``id`` plus the fields sent) PENDING, in one transaction."""
        now = _now()
        rows = [(item["id"], operation.value, json.dumps(dict(item)), now, now) for item in items]
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO commerce_products (id, status, operation, pending, created_at, updated_at)"
                " VALUES (?, 'PENDING', ?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET status='PENDING', operation=excluded.operation,"
                " pending=excluded.pending, reason=NULL, updated_at=excluded.updated_at",
                rows,
            )

    def settle(
        self,
        operation: Operation,
        accepted: Iterable[str],
        failed: Mapping[str, str],
        unknown: Iterable[str] = (),
    ) -> None:
        """Record the upstream's answer for items begun with ``operation``, in one transaction."""
        now = _now()
        with self._transaction() as db:
            for product_id in accepted:
                self._accept(db, operation, product_id, now)
            db.executemany(
                "UPDATE commerce_products SET status='FAILED', reason=?, pending=NULL,"
                " updated_at=? WHERE id=?",
                [(reason, now, product_id) for product_id, reason in failed.items()],
            )
            db.executemany(
                "UPDATE commerce_products SET status='UNKNOWN', updated_at=? WHERE id=?",
                [(now, product_id) for product_id in unknown],
            )

    def _accept(self, db: sqlite3.Connection, operation: Operation, pid: str, now: str) -> None:
        row = db.execute(
            "SELECT payload, pending FROM commerce_products WHERE id=?", (pid,)
        ).fetchone()
        if row is None:
            return
        payload, pending = (json.loads(v) if v else None for v in row)
        if operation is Operation.DELETE:
            status, payload = CommerceStatus.DELETED, None
        elif operation is Operation.UPDATE:
            status, payload = CommerceStatus.ACCEPTED, _merge(payload or {}, pending or {})
        else:
            status, payload = CommerceStatus.ACCEPTED, pending
        db.execute(
            "UPDATE commerce_products SET status=?, payload=?, pending=NULL, reason=NULL,"
            " updated_at=? WHERE id=?",
            (status.value, json.dumps(payload) if payload is not None else None, now, pid),
        )

    def get(self, product_id: str) -> CommerceRecord | None:
        with self._lock:
            row = self._db.execute(_SELECT + " WHERE id=?", (product_id,)).fetchone()
        return _record(row) if row else None

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
        with self._lock:
            rows = self._db.execute(sql, (*params, first + 1)).fetchall()
        return [_record(r) for r in rows[:first]], len(rows) > first

    def count(self, status: CommerceStatus | None = None) -> int:
        with self._lock:
            if status is None:
                row = self._db.execute("SELECT COUNT(*) FROM commerce_products").fetchone()
            else:
                row = self._db.execute(
                    "SELECT COUNT(*) FROM commerce_products WHERE status=?", (status.value,)
                ).fetchone()
        return int(row[0])

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self._lock)


class _Transaction:
    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self._db, self._lock = db, lock

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        try:
            self._db.execute("ROLLBACK" if kind else "COMMIT")
        finally:
            self._lock.release()


_SELECT = (
    "SELECT id, status, operation, payload, pending, reason, created_at, updated_at"
    " FROM commerce_products"
)


def _record(row: tuple[Any, ...]) -> CommerceRecord:
    pid, status, operation, payload, pending, reason, created, updated = row
    return CommerceRecord(
        id=pid,
        status=CommerceStatus(status),
        operation=Operation(operation),
        payload=json.loads(payload) if payload else None,
        pending=json.loads(pending) if pending else None,
        reason=reason,
        created_at=datetime.fromisoformat(created),
        updated_at=datetime.fromisoformat(updated),
    )


def _merge(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """The document's PUT semantics: fields sent replace, ``metadata`` keys merge."""
    merged = {**current, **{k: v for k, v in patch.items() if k != "metadata"}}
    if "metadata" in patch:
        merged["metadata"] = {**(current.get("metadata") or {}), **patch["metadata"]}
    return merged


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
