"""The PostgreSQL store outlives its connections: after the server drops them (a restart,
a failover), the next call is served on a new connection, not answered with an error."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gateway.storage import Database
from gateway.writes.jobs import JobKind, JobStore
from tests.storage.backends import database_target


@pytest.fixture
def target(tmp_path: Path) -> Iterator[str]:
    yield from database_target("postgresql", tmp_path)


def test_calls_after_the_server_dropped_every_connection_succeed(target: str) -> None:
    name = f"gateway_test_{uuid.uuid4().hex[:12]}"
    database = Database(f"{target}&application_name={name}")
    store = JobStore(database)
    try:
        job_id = store.submit(JobKind.OMNICOMMERCE_REGISTER, [("A1", {"id": "A1"})])
        with psycopg.connect(target, autocommit=True) as admin:
            dropped = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (name,),
            ).fetchone()
        assert dropped is not None and dropped[0] >= 1
        chunk = store.claim("here/1/1/me", lease_seconds=60)
        assert chunk is not None and chunk.job_id == job_id
        assert store.mark_sending(chunk)
    finally:
        database.close()
