"""Write jobs across processes on one Redis: a job recorded by a process that runs no workers
is picked up by another process's idle workers at once, and the waiter in the first process
hears that it ended, neither waiting for its next poll of the store."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from gateway.runtime import Runtime
from gateway.settings import load_settings, with_embedded_upstreams
from gateway.writes.jobs import JobKind, JobState
from tests.shared.test_invalidation import Upstreams

# Far longer than the test may take: only a message from the other process can wake them.
POLL_SECONDS = 120.0


def _settings(urls: dict[str, str], database: Path, redis_url: str, workers: int) -> Any:
    settings = load_settings(
        {
            "GATEWAY_DATABASE": str(database),
            "GATEWAY_REDIS_URL": redis_url,
            "GATEWAY_WRITE_WORKERS": str(workers),
        }
    )
    return with_embedded_upstreams(settings, urls)


def _product(pid: str) -> dict[str, Any]:
    return {
        "id": pid,
        "url": f"https://img.example.com/{pid}.jpg",
        "salesUrl": f"https://shop.example.com/{pid}",
        "detection": "TOP",
    }


async def test_a_job_submitted_where_no_worker_runs_is_taken_and_reported_at_once(
    redis_url: str, tmp_path: Path
) -> None:
    upstreams = Upstreams()
    database = tmp_path / "shared.sqlite3"
    try:
        submitting = Runtime.build(_settings(upstreams.urls, database, redis_url, workers=0))
        working = Runtime.build(_settings(upstreams.urls, database, redis_url, workers=2))
        for runtime in (submitting, working):
            runtime.writes.poll_seconds = POLL_SECONDS
        async with submitting, working:
            await asyncio.sleep(2.0)  # the workers' quiet start is over: they are idle, waiting
            items = [_product(f"W{i}") for i in range(5)]
            job_id = submitting.submitter().submit(JobKind.OMNICOMMERCE_REGISTER, items, {})
            async with asyncio.timeout(30):
                job = await submitting.writes.wait(job_id)
        assert job.state is JobState.COMPLETED
        assert job.counts.accepted == 5
        assert upstreams.omnicommerce.app.state.log.count() == 1
    finally:
        upstreams.stop()
