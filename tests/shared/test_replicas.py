"""Several gateway processes behave as one (issue 15), as plain processes.

The topology of ``compose.yaml`` without a container engine: ``gateway emulate``,
``gateway migrate``, ``gateway serve`` replicas (each on its own port) and ``gateway worker``,
all on one PostgreSQL database (a schema of the test's own) and one Redis (a key prefix of
the test's own). What the upstream saw is read from the emulator's log (arrival times,
statuses) and its products; what the gateway recorded, through each replica's GraphQL.

The restart tests stop and start a Redis or a PostgreSQL of their own
(``tests/shared/private_servers.py``): the machine's servers serve other tests meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.emulators.recording import max_in_window
from tests.shared.fleet import Fleet, Replica
from tests.shared.private_servers import PrivatePostgres, PrivateRedis
from tests.storage.backends import database_target
from tests.writes.test_crash_recovery import (  # noqa: F401 (upstreams: a fixture)
    REGISTER,
    Upstreams,
    _cut_short,
    _products,
    upstreams,
)

PAGE = """query($after: String) {
  commerceProducts(first: 100, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { productId status operation }
  }
}"""
READ = '{ product(tid: "DEMO-0001") { name } }'
RENAME = "mutation($p: [ProductInput!]!) { saveProducts(products: $p) { ok } }"
PIM_READS = "/api/core/v1/pim/products"
UNSETTLED = "state IN ('QUEUED', 'SENDING')"


@pytest.fixture
def target(tmp_path: Path) -> Iterator[str]:
    yield from database_target("postgresql", tmp_path)


def submit(replica: Replica, products: list[dict[str, Any]]) -> str:
    answer = replica.query(REGISTER, {"p": products, "mode": "JOB"})
    return str(answer["registerCommerceProducts"]["job"]["id"])


def read_all(replica: Replica) -> list[tuple[str, str, str]]:
    """Every ``commerceProducts`` row through ``replica``, page by page."""
    rows: list[tuple[str, str, str]] = []
    after: str | None = None
    while True:
        page = replica.query(PAGE, {"after": after})["commerceProducts"]
        rows += [(n["productId"], n["status"], n["operation"]) for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(rows)
            return rows
        after = page["pageInfo"]["endCursor"]


def check_upstream(emulators: Upstreams, products: list[dict[str, Any]]) -> None:
    """Every product held as sent; no 429 (nor any refusal); at most 5 arrivals a second."""
    held = emulators.held()
    assert {p["id"]: p for p in products} == {p["id"]: held.get(p["id"]) for p in products}
    posts = emulators.posts()
    # A request a SIGKILL cut mid-body arrives as broken JSON (400): the only other answer.
    assert [(e["status"], e["at"]) for e in posts if e["status"] != 202 and not _cut_short(e)] == []
    assert max_in_window([e["at"] for e in posts], 1.0) <= 5


def test_three_replicas_and_a_worker_share_one_budget_and_survive_a_kill(
    upstreams: Upstreams,  # noqa: F811
    target: str,
    redis_url: str,
) -> None:
    # The lease is short so a chunk the kill left would be taken over soon even if its
    # owner's death were not seen (on one host it is, through /proc).
    fleet = Fleet(upstreams, target, redis_url, write_lease_seconds="3")
    batches = [_products(2500, f"J{n}-") for n in range(4)]
    try:
        fleet.migrate()
        replicas = fleet.serve(3, write_workers="2")
        fleet.worker(write_workers="4")
        jobs = [submit(replicas[n % 3], batch) for n, batch in enumerate(batches)]
        victim = replicas[1]
        mine = f"position('/{victim.pid}/' in owner) > 0 AND {UNSETTLED}"
        fleet.wait_chunks("state = 'ANSWERED'", 10)
        fleet.wait_chunks(mine, 1)
        victim.kill()
        # Read after the kill: a chunk claimed since the query above is held all the same.
        orphans = set(fleet.chunks(mine))
        assert orphans, "the killed replica held chunks"
        survivors = [replicas[0], replicas[2]]
        finished = [fleet.wait_done(survivors[n % 2], job) for n, job in enumerate(jobs)]
        seen = [read_all(replica) for replica in survivors]
    finally:
        fleet.stop()
    for job in finished:
        assert job["state"] == "COMPLETED", job
        assert job["counts"]["accepted"] == 2500 and job["counts"]["unknown"] == 0, job
    recovered = {
        (job, r["chunk"]) for job, f in zip(jobs, finished, strict=True) for r in f["recoveries"]
    }
    assert orphans <= recovered, "the others took the killed replica's chunks over"
    everything = [p for batch in batches for p in batch]
    check_upstream(upstreams, everything)
    expected = sorted((p["id"], "ACCEPTED", "REGISTER") for p in everything)
    assert seen[0] == seen[1]
    assert sorted(seen[0]) == expected


def pim_reads(emulators: Upstreams) -> int:
    log = httpx.get(f"{emulators.url('pim')}/__emulator__/log", timeout=30).json()
    return sum(1 for e in log if e["path"].startswith(PIM_READS))


def test_a_rename_through_one_replica_is_read_through_another_at_once(
    upstreams: Upstreams,  # noqa: F811
    target: str,
    redis_url: str,
) -> None:
    fleet = Fleet(upstreams, target, redis_url, write_workers="0")
    try:
        a, b = fleet.serve(2)
        before = b.query(READ)["product"]["name"]
        reads = pim_reads(upstreams)
        assert b.query(READ)["product"]["name"] == before
        assert pim_reads(upstreams) == reads, "B answers from its cache"
        assert a.query(RENAME, {"p": [{"tid": "DEMO-0001", "name": "Renamed"}]})["saveProducts"][
            "ok"
        ]
        assert b.query(READ)["product"]["name"] == "Renamed"
    finally:
        fleet.stop()
    assert before != "Renamed"


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.create()
        server.start()
        yield server
    finally:
        server.remove()


def run_through_a_restart(fleet: Fleet, restart: Any, count: int) -> tuple[dict[str, Any], Any]:
    """A job of ``count`` items on one replica and a worker, ``restart()`` a third in."""
    products = _products(count, "S")
    try:
        fleet.migrate()
        (replica,) = fleet.serve(1, write_workers="2")
        fleet.worker(write_workers="2")
        job_id = submit(replica, products)
        fleet.wait_chunks("state = 'ANSWERED'", count // 300)
        restart()
        assert fleet.chunks(UNSETTLED), "the job was still running when the server came back"
        job = fleet.wait_done(replica, job_id)
    finally:
        fleet.stop()
    return job, products


def test_redis_restarted_mid_job_loses_nothing_and_causes_no_429(
    upstreams: Upstreams,  # noqa: F811
    target: str,
    private_redis: PrivateRedis,
) -> None:
    # A shorter attempt timeout shortens the pause a restart costs (max_hold + window).
    fleet = Fleet(
        upstreams, target, private_redis.url + "?key_prefix=restart", upstream_timeout_seconds="5"
    )
    job, products = run_through_a_restart(fleet, private_redis.restart, 3000)
    assert job["state"] == "COMPLETED", job
    assert job["counts"]["accepted"] == 3000 and job["counts"]["unknown"] == 0, job
    check_upstream(upstreams, products)


def test_postgres_restarted_mid_job_the_job_resumes(
    upstreams: Upstreams,  # noqa: F811
    private_postgres: PrivatePostgres,
    redis_url: str,
) -> None:
    fleet = Fleet(upstreams, private_postgres.url, redis_url)
    job, products = run_through_a_restart(fleet, private_postgres.restart, 3000)
    assert job["state"] == "COMPLETED", job
    assert job["counts"]["accepted"] == 3000 and job["counts"]["unknown"] == 0, job
    check_upstream(upstreams, products)
