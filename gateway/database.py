"""The gateway's own database: one SQLite file holding the OMNICOMMERCE read model and the
write jobs, migrated to the current version when it opens.

Both live in one file so that a job and the read-model rows describing it are written in one
transaction (a transactional outbox): a write is recorded before anything is sent, and a
crash between two transactions never leaves one half of the pair.

| migration | what it does |
| --- | --- |
| 1 | ``commerce_products`` as earlier versions wrote it (``CREATE IF NOT EXISTS``) |
| 2 | write jobs: ``write_jobs``, ``write_chunks``, ``write_items`` |
| 3 | ``commerce_products`` statuses follow the job states (QUEUED, SENDING, ...) and name the job that last wrote a row; earlier ``PENDING`` rows become ``UNKNOWN`` |

The version is SQLite's ``user_version``. A process opening the file runs the migrations it
lacks in one ``BEGIN IMMEDIATE`` transaction, so two processes starting together migrate it
once. Writes are ``BEGIN IMMEDIATE`` transactions too: across processes SQLite serializes
them, and each one is all or nothing (WAL journal).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["MIGRATIONS", "Database"]

_LEGACY_COMMERCE = """
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

_JOBS = """
CREATE TABLE write_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    options TEXT NOT NULL,
    state TEXT NOT NULL,
    total INTEGER NOT NULL,
    chunks INTEGER NOT NULL,
    submitted_by TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    recoveries TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX write_jobs_state ON write_jobs (state, created_at);
CREATE INDEX write_jobs_created ON write_jobs (created_at, id);
CREATE TABLE write_chunks (
    job_id TEXT NOT NULL REFERENCES write_jobs (id),
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    owner TEXT,
    lease_until REAL,
    sent_at TEXT,
    settled_at TEXT,
    error TEXT,
    queued_at TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
CREATE INDEX write_chunks_runnable ON write_chunks (state, queued_at, job_id, seq);
CREATE TABLE write_items (
    job_id TEXT NOT NULL REFERENCES write_jobs (id),
    idx INTEGER NOT NULL,
    chunk INTEGER NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    answer TEXT,
    PRIMARY KEY (job_id, idx)
);
CREATE INDEX write_items_chunk ON write_items (job_id, chunk);
CREATE INDEX write_items_state ON write_items (job_id, state, idx);
"""

_COMMERCE_STATES = """
CREATE TABLE commerce_products_v3 (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN (
        'QUEUED','SENDING','ACCEPTED','PROBABLY_ACCEPTED','FAILED','DELETED','UNKNOWN','CANCELLED'
    )),
    operation TEXT NOT NULL CHECK (operation IN ('register','update','delete')),
    payload TEXT,
    pending TEXT,
    reason TEXT,
    job_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO commerce_products_v3
    (id, status, operation, payload, pending, reason, job_id, created_at, updated_at)
SELECT id,
    CASE status WHEN 'PENDING' THEN 'UNKNOWN' ELSE status END,
    operation, payload, pending,
    CASE status WHEN 'PENDING' THEN
        'recorded as PENDING by a gateway version before write jobs: it may or may not have been sent'
    ELSE reason END,
    NULL, created_at, updated_at
FROM commerce_products;
DROP TABLE commerce_products;
ALTER TABLE commerce_products_v3 RENAME TO commerce_products;
CREATE INDEX commerce_products_status ON commerce_products (status, id);
"""

MIGRATIONS: tuple[str, ...] = (_LEGACY_COMMERCE, _JOBS, _COMMERCE_STATES)


class Database:
    """One SQLite connection shared by the process's threads, guarded by a lock (calls are
    short; the event loop never waits on another process for longer than ``busy_timeout``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against a killed process (the WAL survives); only an OS crash
        # could lose the last transactions, never corrupt them.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._lock = threading.RLock()
        self._migrate()

    @property
    def version(self) -> int:
        return int(self.read(lambda db: db.execute("PRAGMA user_version").fetchone()[0]))

    def _migrate(self) -> None:
        with self.transaction() as db:
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
            for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in _statements(script):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {version}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction: committed on exit, rolled back on an error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def read(self, query: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``query(connection)`` outside a write transaction."""
        with self._lock:
            return query(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT the surrounding transaction; run statement by statement.
    return [part.strip() for part in script.split(";") if part.strip()]
