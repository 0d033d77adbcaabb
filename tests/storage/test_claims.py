"""Chunks claimed by several stores at once (two processes' connections, here two pools in
threads): each chunk goes to one claimer, and a lease that ran out is taken over. On SQLite
and on PostgreSQL (``SELECT ... FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.storage import Database
from gateway.writes.jobs import (
    ChunkState,
    ClaimedChunk,
    ItemOutcome,
    ItemState,
    JobKind,
    JobState,
    JobStore,
)
from tests.storage.backends import BACKENDS, database_target

ITEMS = 120  # one item a chunk: many small claims racing


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from database_target(request.param, tmp_path)


@pytest.fixture
def stores(target: str) -> Iterator[tuple[JobStore, JobStore]]:
    first, second = Database(target), Database(target)
    yield JobStore(first, chunk_size=1), JobStore(second, chunk_size=1)
    first.close()
    second.close()


def _items(count: int) -> list[tuple[str, dict[str, str]]]:
    return [(f"P{i:04d}", {"id": f"P{i:04d}"}) for i in range(count)]


def test_two_stores_claiming_together_never_take_the_same_chunk(
    stores: tuple[JobStore, JobStore],
) -> None:
    job_id = stores[0].submit(JobKind.OMNICOMMERCE_REGISTER, _items(ITEMS))
    start = threading.Barrier(len(stores))
    claimed: dict[str, list[ClaimedChunk]] = {}

    def claim_all(store: JobStore, owner: str) -> None:
        """Claims in rounds, both stores at the same moment, until nothing is left."""
        mine = claimed.setdefault(owner, [])
        while True:
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=30)
            chunk = store.claim(owner, lease_seconds=600)
            if chunk is None:
                start.abort()  # the other store finishes alone
                return
            mine.append(chunk)
            # Settling keeps both stores writing the job's rows while the other claims.
            assert store.mark_sending(chunk)
            outcomes = [ItemOutcome(ItemState.ACCEPTED)] * len(chunk.items)
            assert store.settle(chunk, ChunkState.ANSWERED, outcomes)

    threads = [
        threading.Thread(target=claim_all, args=(store, f"host/{n}/1/owner{n}"))
        for n, store in enumerate(stores)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()
    seqs = [chunk.seq for chunks in claimed.values() for chunk in chunks]
    assert sorted(seqs) == list(range(ITEMS)), "a chunk claimed twice, or never"
    assert all(claimed.values()), "one store claimed everything: no race was run"
    job = stores[1].get(job_id)
    assert job is not None
    assert (job.state, job.counts.accepted, job.recoveries) == (JobState.COMPLETED, ITEMS, ())


def test_a_lease_that_ran_out_is_taken_over_by_another_store(
    stores: tuple[JobStore, JobStore],
) -> None:
    """A process on another host died holding two chunks (one on the wire): no /proc check
    can see it, its leases end and another store's claims take both over."""
    first, second = stores
    job_id = first.submit(JobKind.OMNICOMMERCE_REGISTER, _items(3))
    gone = "another-host/4242/1/gone"
    live = first.claim("another-host/7/1/alive", lease_seconds=600)
    # Its leases were taken an hour ago: they ended 59 minutes ago by the database's clock.
    earlier = JobStore(first.database, chunk_size=1, clock=lambda: time.time() - 3600)
    sent, waiting = earlier.claim(gone, lease_seconds=60), earlier.claim(gone, lease_seconds=60)
    assert live is not None and sent is not None and waiting is not None
    assert (live.seq, sent.seq, waiting.seq) == (0, 1, 2)
    assert earlier.mark_sending(sent)
    replayed, rerun = second.claim("here/1/1/me", 600), second.claim("here/1/1/me", 600)
    assert second.claim("here/1/1/me", 600) is None, "a live lease was taken"
    assert replayed is not None and rerun is not None
    assert (replayed.seq, replayed.replay, rerun.seq, rerun.replay) == (1, True, 2, False)
    assert not earlier.mark_sending(waiting), "the old owner may no longer send it"
    job = second.get(job_id)
    assert job is not None
    assert [(r.chunk, r.was, r.previous_owner) for r in job.recoveries] == [
        (1, "SENDING", gone),
        (2, "QUEUED", gone),
    ]
