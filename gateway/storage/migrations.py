"""The store's schema, as versioned migrations shared by SQLite and PostgreSQL.

| version | what it does |
| --- | --- |
| 1 | ``commerce_products`` as earlier versions wrote it (``CREATE IF NOT EXISTS``) |
| 2 | write jobs: ``write_jobs``, ``write_chunks``, ``write_items`` |
| 3 | ``commerce_products`` statuses follow the job states (QUEUED, SENDING, ...) and name the job that last wrote a row; earlier ``PENDING`` rows become ``UNKNOWN`` |

Every statement is valid in both dialects: text columns hold JSON and ISO-8601 UTC times
(fixed microsecond precision, so they sort as the times do) and a fresh PostgreSQL database
walks the same history a SQLite file did. ``lease_until`` is ``DOUBLE PRECISION`` (SQLite
reads it as REAL, as version 2 always did; PostgreSQL's ``REAL`` would round an epoch to
minutes). Where the version is kept, and how concurrent starts are kept to one migration,
is each backend's: ``user_version`` under ``BEGIN IMMEDIATE``, or a ``schema_version`` table
under ``pg_advisory_xact_lock``.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "statements"]

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
    lease_until DOUBLE PRECISION,
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


def statements(script: str) -> list[str]:
    """A migration's statements, run one by one inside the caller's transaction (SQLite's
    ``executescript()`` would commit it)."""
    return [part.strip() for part in script.split(";") if part.strip()]
