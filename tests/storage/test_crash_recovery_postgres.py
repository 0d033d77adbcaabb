"""A write job survives its gateway on PostgreSQL as on SQLite: ``gateway serve`` (its
``GATEWAY_DATABASE`` a PostgreSQL URL) killed with SIGKILL twice mid-job, started again,
and the job ends with every item held upstream and recorded in the read model. The
emulators, the gateway and the checks are those of ``tests/writes/test_crash_recovery.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gateway.emulators.recording import max_in_window
from tests.storage.backends import database_target
from tests.writes.test_crash_recovery import (  # noqa: F401 (upstreams: a fixture)
    REGISTER,
    Gateway,
    Upstreams,
    _cut_short,
    _products,
    _wait_posts,
    upstreams,
)


@pytest.fixture
def target(tmp_path: Path) -> Iterator[str]:
    yield from database_target("postgresql", tmp_path)


def test_a_job_on_postgresql_survives_two_kills(
    upstreams: Upstreams,  # noqa: F811
    target: str,
) -> None:
    gateway = Gateway(upstreams, target)  # type: ignore[arg-type]
    products = _products(3000, "P")
    try:
        gateway.start()
        answer = gateway.query(REGISTER, {"p": products, "mode": "JOB"})
        job_id = answer["data"]["registerCommerceProducts"]["job"]["id"]
        for arrived in (3, 16):  # of 30 requests
            _wait_posts(upstreams, arrived)
            gateway.kill()
            gateway.start()
        job = gateway.wait_done(job_id)
    finally:
        gateway.stop()
    assert job["state"] == "COMPLETED"
    assert job["counts"]["accepted"] == 3000 and job["counts"]["unknown"] == 0
    assert job["recoveries"], "the restarts took chunks over"
    held = upstreams.held()
    assert {p["id"]: p for p in products} == held, "lost or changed"
    with psycopg.connect(target) as db:
        rows = db.execute("SELECT id, status, payload FROM commerce_products").fetchall()
        open_chunks = db.execute(
            "SELECT COUNT(*) FROM write_chunks WHERE state IN ('QUEUED','SENDING')"
        ).fetchone()
    assert open_chunks == (0,)
    recorded: dict[str, Any] = {pid: (status, json.loads(payload)) for pid, status, payload in rows}
    assert recorded == {pid: ("ACCEPTED", product) for pid, product in held.items()}
    posts = upstreams.posts()
    assert [e for e in posts if e["status"] != 202 and not _cut_short(e)] == []
    assert max_in_window([e["at"] for e in posts], 1.0) <= 5
    assert len(posts) <= 30 + 2 * 5  # replays: at most the chunks on the wire at each kill
