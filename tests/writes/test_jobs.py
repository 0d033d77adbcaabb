"""Write jobs: recorded before anything leaves, run by workers, recovered after a crash,
followed and cancelled through GraphQL. Against the emulators over loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.database import Database
from gateway.readmodel import CommerceReadModel, CommerceStatus
from gateway.runtime import Runtime
from gateway.settings import load_settings, with_embedded_upstreams
from gateway.writes.jobs import ChunkState, ItemState, JobKind, JobState, JobStore
from gateway.writes.worker import owner_is_gone, process_owner_id
from tests.conftest import READER_KEY, GatewayStack
from tests.storage.backends import BACKENDS, database_target

PATH = "/2022-08/management/products"


def _product(pid: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "url": f"https://img.example.com/{pid}.jpg",
        "salesUrl": f"https://shop.example.com/{pid}",
        "detection": "TOP",
        **extra,
    }


REGISTER = """mutation($p: [CommerceProductInput!]!, $mode: WriteMode, $block: Boolean = false) {
  registerCommerceProducts(products: $p, mode: $mode, blockDuplicates: $block) {
    ok accept failure results { index status message }
    job { id state done counts { total queued sent accepted failed unknown } }
  }
}"""
JOB = """query($id: ID!, $states: [WriteItemState!]) {
  writeJob(id: $id) {
    id kind state done ok chunks submittedBy
    counts { total queued sending sent accepted failed unknown cancelled }
    items(states: $states, first: 1000) { nodes { index key state reason } pageInfo { hasNextPage } }
    recoveries { chunk was }
  }
}"""


def _wait_done(stack: GatewayStack, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = stack.query(JOB, {"id": job_id})["data"]["writeJob"]
        if job["done"]:
            return job
        assert time.monotonic() < deadline, f"job {job_id} did not end: {job}"
        time.sleep(0.1)


# --- through GraphQL --------------------------------------------------------------------------


def test_job_mode_answers_at_once_and_the_job_finishes_by_itself(stack: GatewayStack) -> None:
    products = [_product(f"J{i:03d}") for i in range(250)]
    answer = stack.query(REGISTER, {"p": products, "mode": "JOB"})
    payload = answer["data"]["registerCommerceProducts"]
    assert payload["results"] == [] and payload["ok"] is False
    job_id = payload["job"]["id"]
    assert payload["job"]["counts"]["total"] == 250
    job = _wait_done(stack, job_id)
    assert (job["kind"], job["state"], job["ok"], job["chunks"]) == (
        "OMNICOMMERCE_REGISTER",
        "COMPLETED",
        True,
        3,
    )
    assert job["submittedBy"] == "tests"
    assert job["counts"] == {
        "total": 250,
        "queued": 0,
        "sending": 0,
        "sent": 250,
        "accepted": 250,
        "failed": 0,
        "unknown": 0,
        "cancelled": 0,
    }
    assert len(stack.omnicommerce.app.state.store.snapshot()) == 250
    assert stack.omnicommerce.app.state.log.count("POST", PATH) == 3
    jobs = stack.query("{ writeJobs(first: 5) { nodes { id state } } }")["data"]["writeJobs"]
    assert jobs["nodes"][0] == {"id": job_id, "state": "COMPLETED"}


def test_items_can_be_read_by_state(stack: GatewayStack) -> None:
    products = [_product("G1"), _product("B1", url="https://bad.invalid/x.jpg"), _product("G2")]
    payload = stack.query(REGISTER, {"p": products})["data"]["registerCommerceProducts"]
    assert [r["status"] for r in payload["results"]] == ["SUCCESS", "ERROR", "SUCCESS"]
    job = stack.query(JOB, {"id": payload["job"]["id"], "states": ["FAILED"]})["data"]["writeJob"]
    assert job["items"]["nodes"] == [
        {"index": 1, "key": "B1", "state": "FAILED", "reason": "fail to prove image from url."}
    ]
    assert job["state"] == "COMPLETED" and job["ok"] is False


def test_default_mode_waits_up_to_the_setting_then_returns_the_job(tmp_path: Path) -> None:
    from tests.conftest import start_stack

    stack = start_stack(
        {
            "GATEWAY_DATABASE": str(tmp_path / "g.sqlite3"),
            "GATEWAY_WRITE_WAIT_MAX_ITEMS": "2",
        }
    )
    try:
        small = stack.query(REGISTER, {"p": [_product("S1"), _product("S2")]})
        assert small["data"]["registerCommerceProducts"]["job"]["done"] is True
        big = stack.query(REGISTER, {"p": [_product(f"L{i}") for i in range(3)]})
        payload = big["data"]["registerCommerceProducts"]
        assert payload["results"] == []
        _wait_done(stack, payload["job"]["id"])
    finally:
        for server in (stack.gateway, stack.pim, stack.omnicommerce, stack.citrusad):
            server.stop()


def test_cancel_stops_chunks_not_yet_sent(stack: GatewayStack) -> None:
    # 2 s per request: the first chunks are on the wire or waiting when the cancel comes.
    stack.omnicommerce.app.state.faults.set(latency=2.0)
    products = [_product(f"C{i:04d}") for i in range(2000)]
    job_id = stack.query(REGISTER, {"p": products, "mode": "JOB"})["data"][
        "registerCommerceProducts"
    ]["job"]["id"]
    cancelled = stack.query(
        "mutation($id: ID!) { cancelWriteJob(id: $id) { id cancelRequested } }", {"id": job_id}
    )["data"]["cancelWriteJob"]
    assert cancelled == {"id": job_id, "cancelRequested": True}
    stack.omnicommerce.app.state.faults.clear()
    job = _wait_done(stack, job_id)
    counts = job["counts"]
    assert job["state"] == "CANCELLED"
    assert counts["cancelled"] >= 2000 - 5 * 100  # at most one window of chunks had left
    assert counts["accepted"] + counts["cancelled"] + counts["unknown"] == 2000
    sent = stack.omnicommerce.app.state.log.count("POST", PATH)
    assert sent * 100 == counts["sent"]
    record = stack.query('{ commerceProduct(id: "C1999") { status reason } }')["data"]
    assert record["commerceProduct"] == {
        "status": "CANCELLED",
        "reason": "cancelled before it was sent",
    }


def test_jobs_need_the_write_scope(stack: GatewayStack) -> None:
    answer = stack.query("{ writeJobs { nodes { id } } }", api_key=READER_KEY)
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# --- the store and the workers directly, on SQLite and on PostgreSQL ------------------------


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """``GATEWAY_DATABASE`` for this test: a fresh SQLite file or PostgreSQL schema."""
    yield from database_target(request.param, tmp_path)


@pytest.fixture
def store(target: str) -> Iterator[JobStore]:
    """The store as a test sees it, beside (not shared with) the runtime's own connection."""
    database = Database(target)
    yield JobStore(database)
    database.close()


@pytest.fixture
def runtime_settings(target: str, omnicommerce_server: Any, citrusad_server: Any) -> Any:
    roots = {
        "pim": "http://127.0.0.1:9",
        "omnicommerce": omnicommerce_server.url,
        "citrusad": citrusad_server.url,
    }
    settings = load_settings({"GATEWAY_DATABASE": target, "GATEWAY_WRITE_LEASE_SECONDS": "1"})
    return with_embedded_upstreams(settings, roots)


def _dead_owner() -> str:
    """An owner id of this host whose process is gone (pid 0 never runs a user process)."""
    host = process_owner_id().split("/")[0]
    return f"{host}/999999999/1/deadbeef"


def test_a_dead_process_is_recognised() -> None:
    assert owner_is_gone(_dead_owner())
    assert not owner_is_gone(process_owner_id())
    assert not owner_is_gone("another-host/1/1/x")  # left to its lease


def test_a_chunk_that_was_on_the_wire_when_its_process_died_is_replayed(
    runtime_settings: Any, omnicommerce_server: Any, store: JobStore
) -> None:
    """BLOCK_DUPLICATES: the replay is refused as a duplicate, so the item says the first
    attempt most likely applied it; a chunk that had not left is simply run."""
    items = [(f"R{i:03d}", _product(f"R{i:03d}")) for i in range(150)]
    job_id = store.submit(JobKind.OMNICOMMERCE_REGISTER, items, options={"block_duplicates": True})
    dead = _dead_owner()
    first = store.claim(dead, lease_seconds=3600)
    second = store.claim(dead, lease_seconds=3600)
    assert first is not None and second is not None
    assert store.mark_sending(first)  # chunk 0 went out, chunk 1 was waiting for a slot
    # The first attempt reached the upstream before the crash.
    for _, product in items[:100]:
        omnicommerce_server.app.state.store.register(product)

    async def run() -> None:
        async with Runtime.build(runtime_settings) as runtime:
            job = await runtime.writes.wait(job_id)
            while not job.done:
                job = await runtime.writes.wait(job_id)

    asyncio.run(run())
    job = store.get(job_id)
    assert job is not None and job.state is JobState.COMPLETED
    assert [(r.chunk, r.was) for r in sorted(job.recoveries, key=lambda r: r.chunk)] == [
        (0, "SENDING"),
        (1, "QUEUED"),
    ]
    states = [i.state for i in store.all_items(job_id)]
    assert states == [ItemState.PROBABLY_ACCEPTED] * 100 + [ItemState.ACCEPTED] * 50
    readmodel = CommerceReadModel(store.database)
    record = readmodel.get("R000")
    assert record is not None and record.status is CommerceStatus.PROBABLY_ACCEPTED
    assert record.payload == _product("R000")
    assert omnicommerce_server.app.state.log.count("POST", PATH) == 2


def test_an_unanswered_chunk_is_unknown_and_a_refused_one_failed(
    runtime_settings: Any, omnicommerce_server: Any, store: JobStore
) -> None:
    omnicommerce_server.app.state.faults.set(status=500, count=1)
    job_id = store.submit(
        JobKind.OMNICOMMERCE_REGISTER, [(f"U{i}", _product(f"U{i}")) for i in range(3)]
    )

    async def run() -> None:
        async with Runtime.build(runtime_settings) as runtime:
            await runtime.writes.wait(job_id)

    asyncio.run(run())
    items = store.all_items(job_id)
    assert {i.state for i in items} == {ItemState.UNKNOWN}
    assert "may or may not have been applied" in (items[0].reason or "")
    chunk_state = store.database.read(
        lambda db: db.execute("SELECT state FROM write_chunks WHERE job_id=?", (job_id,)).fetchone()
    )[0]
    assert chunk_state == ChunkState.UNKNOWN.value


def test_answers_about_jobs_and_the_read_model_are_never_kept_whole(stack: GatewayStack) -> None:
    """Workers (maybe in another process) change them behind any mutation."""
    payload = stack.query(REGISTER, {"p": [_product("K1")]})["data"]["registerCommerceProducts"]
    cache = stack.gateway.app.state.response_cache
    assert cache is not None
    for query, variables in (
        (JOB, {"id": payload["job"]["id"]}),
        ('{ commerceProduct(id: "K1") { status } }', {}),
        ("{ commerceProducts { totalCount } }", {}),
    ):
        hits = cache.hits
        stack.query(query, variables)
        stack.query(query, variables)
        assert cache.hits == hits, query
    hits = cache.hits
    stack.query("{ gatewayVersion }")
    stack.query("{ gatewayVersion }")
    assert cache.hits == hits + 1  # other reads still are


def test_a_chunk_refused_with_429_when_the_process_stops_goes_back_to_the_queue(
    runtime_settings: Any, omnicommerce_server: Any, store: JobStore
) -> None:
    """A 429 means "not processed": the chunk waiting to retry it is not SENDING any more."""
    omnicommerce_server.app.state.faults.set(status=429, count=10, retry_after=2)
    job_id = store.submit(JobKind.OMNICOMMERCE_REGISTER, [("Q1", _product("Q1"))])

    async def run() -> None:
        async with Runtime.build(runtime_settings) as runtime:
            deadline = time.monotonic() + 30
            while omnicommerce_server.app.state.log.count("POST", PATH) < 1:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            runtime.writes.stop_claiming()

    asyncio.run(run())
    job = store.get(job_id)
    assert job is not None and job.state is not JobState.COMPLETED
    (item,) = store.all_items(job_id)
    assert item.state is ItemState.QUEUED
    chunk = store.database.read(
        lambda db: db.execute(
            "SELECT state, owner FROM write_chunks WHERE job_id=?", (job_id,)
        ).fetchone()
    )
    assert tuple(chunk) == ("QUEUED", None)
    record = CommerceReadModel(store.database).get("Q1")
    assert record is not None and record.status is CommerceStatus.QUEUED
