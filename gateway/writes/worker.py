"""Workers that run write jobs' chunks, inside ``gateway serve`` or in ``gateway worker``.

Each worker task loops: claim the oldest runnable chunk under a lease, run it through its
upstream's executor, record the outcome. The executor calls ``on_wire()`` right before the
request leaves (after any wait for a rate slot): only then does the chunk become SENDING, so
a chunk that waited in the limiter when the process died is run again, never guessed at.

| event | what happens |
| --- | --- |
| start | leases held by processes of this host that are gone end at once; nothing is sent for one rate window (a process that just died may have used it); a heartbeat renews this process's leases every third of a lease |
| a chunk claimed but waiting for a rate slot at shutdown | given back QUEUED, unsent |
| a chunk on the wire at shutdown | settles if its answer comes within the grace period; else it stays SENDING and is replayed after restart |
| another process died holding chunks | its leases run out (or, on this host, are seen dead) and the chunks are taken over |
| the store cannot be reached (PostgreSQL restarting) | claims wait and try again; an answer already received is recorded once the store is back, never dropped (this process keeps the lease meanwhile) |

Owner ids carry the host (``host/pid/start-ticks/token``): an owner of this host whose
process is gone is seen through ``/proc`` and its leases end at once; owners on other hosts
(several hosts sharing PostgreSQL) are left to their leases.

``stop_claiming()`` is called from the signal handler (before uvicorn waits for requests), so
no new chunk starts and callers waiting for a job get their answer at once; ``stop(grace)``
then lets chunks on the wire finish for up to ``grace`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from gateway.writes.jobs import (
    ChunkState,
    ClaimedChunk,
    ItemOutcome,
    ItemState,
    Job,
    JobKind,
    JobState,
    JobStore,
)

__all__ = [
    "ChunkExecutor",
    "ChunkResult",
    "JobEvents",
    "NotSent",
    "OnWire",
    "WritePool",
    "owner_is_gone",
    "process_owner_id",
]

log = logging.getLogger("gateway.writes")

T = TypeVar("T")

# How long a worker waits, at most, before trying an unreachable store again.
STORE_RETRY_MAX_SECONDS = 5.0

# A process that just died may have used the upstream's rate window (5 requests in any
# second) right before; this one cannot know, so its workers start sending one window later.
QUIET_START_SECONDS = 1.1

OnWire = Callable[[], Awaitable[None]]
"""Awaited by an executor right before its request leaves; raises ``NotSent`` when it may not."""


class NotSent(Exception):
    """The chunk may not go out (the process is stopping, the job was cancelled, or another
    worker took the chunk over): nothing was sent."""


@dataclass(frozen=True, slots=True)
class ChunkResult:
    state: ChunkState
    outcomes: tuple[ItemOutcome, ...]
    error: str | None = None


class ChunkExecutor(Protocol):
    async def run(self, chunk: ClaimedChunk, on_wire: OnWire) -> ChunkResult:
        """Send ``chunk`` (awaiting ``on_wire()`` just before) and say how each item ended."""


class JobEvents:
    """In-process "a job changed" broadcast; waiters re-read the store (another process may
    run the job, so they also poll)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, seconds: float) -> None:
        """Until the next change, or ``seconds`` (then the caller polls the store)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)


def process_owner_id() -> str:
    """``host/pid/start-ticks/token``: enough to tell, on this host, that the process is gone."""
    return (
        f"{socket.gethostname()}/{os.getpid()}/{_start_ticks(os.getpid())}/{uuid.uuid4().hex[:8]}"
    )


def owner_is_gone(owner: str) -> bool:
    """True when ``owner`` names a process of this host that no longer runs (its pid is gone
    or now belongs to a later process). Another host's owners are left to their lease."""
    try:
        host, pid, ticks, _ = owner.split("/")
    except ValueError:
        return False
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return _start_ticks(int(pid)) != ticks


def _start_ticks(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as file:
            stat = file.read()
    except OSError:
        return "gone"
    # The command name (field 2) may hold spaces; fields after its closing paren are plain.
    return stat.rsplit(")", 1)[1].split()[19]


class WritePool:
    """``workers`` tasks running chunks from ``store`` through ``executors``."""

    def __init__(
        self,
        store: JobStore,
        executors: Mapping[JobKind, ChunkExecutor],
        *,
        workers: int,
        lease_seconds: float,
        poll_seconds: float = 0.5,
        on_settled: Callable[[ClaimedChunk], None] | None = None,
    ) -> None:
        self.store = store
        self.executors = executors
        self.workers = workers
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.on_settled = on_settled
        self.owner = process_owner_id()
        self.events = JobEvents()
        self.stopping = asyncio.Event()
        self._wake = asyncio.Event()
        # Tells the other processes a job was submitted (the Redis bus), so their workers
        # need not wait for their next poll.
        self.on_submitted: Callable[[], None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._on_wire: set[asyncio.Task[None]] = set()
        self._heartbeat: asyncio.Task[None] | None = None
        self._last_reap = 0.0

    # --- life ----------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.workers <= 0:
            return
        self._reap(force=True)
        self._tasks = [
            asyncio.create_task(self._work(), name=f"write-worker-{n}") for n in range(self.workers)
        ]
        self._heartbeat = asyncio.create_task(self._beat(), name="write-heartbeat")

    def stop_claiming(self) -> None:
        """No new chunk starts; callers waiting for a job are answered now."""
        self.stopping.set()
        self._wake.set()
        self.events.notify()

    async def stop(self, grace: float) -> None:
        """Stop claiming; chunks on the wire get ``grace`` seconds to settle; the rest stays
        QUEUED (given back) or SENDING (replayed at the next start)."""
        self.stop_claiming()
        waiting = [t for t in self._tasks if t not in self._on_wire]
        for task in waiting:
            task.cancel()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=grace)
            if late:
                log.warning(
                    "%d chunk(s) still on the wire after %.0f s: left SENDING, replayed at the "
                    "next start",
                    len(late),
                    grace,
                )
            for task in late:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
        self._tasks = []

    def wake(self, *, announce: bool = True) -> None:
        """A job was submitted: idle workers look for chunks now (with ``announce``, those of
        the other processes too, through ``on_submitted``)."""
        self._wake.set()
        if announce and self.on_submitted is not None:
            self.on_submitted()

    async def wait(self, job_id: str) -> Job:
        """The job once it ended, or as it stands when this process starts stopping."""
        ended = (JobState.COMPLETED, JobState.CANCELLED)
        while True:
            state = self.store.state(job_id)
            if state is None:
                raise LookupError(job_id)
            if state in ended or self.stopping.is_set():
                job = self.store.get(job_id)
                assert job is not None
                return job
            await self.events.wait(self.poll_seconds)

    # --- the workers ---------------------------------------------------------------------------

    async def _work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), QUIET_START_SECONDS)
        while not self.stopping.is_set():
            chunk = await self._with_store(self._claim, until_stopping=True)
            if chunk is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                continue
            await self._run(chunk)

    def _claim(self) -> ClaimedChunk | None:
        chunk = self.store.claim(self.owner, self.lease_seconds)
        if chunk is None:
            self._reap()
        return chunk

    async def _with_store(self, call: Callable[[], T], *, until_stopping: bool = False) -> T | None:
        """``call()`` in a thread (a store across the network must not stall the event
        loop), tried again while the store cannot be reached: until it answers, or
        (``until_stopping``) until this process stops (then None).

        ``mark_sending`` alone stays on the loop: it runs between a rate slot and the
        request leaving, where a thread hop would shift when the request arrives."""
        delay = self.poll_seconds
        while True:
            try:
                return await asyncio.to_thread(call)
            except Exception as exc:
                first_line = (str(exc).splitlines() or [""])[0]
                log.warning(
                    "write workers: the job store failed (%s: %s); trying again in %.1f s",
                    type(exc).__name__,
                    first_line,
                    delay,
                )
            if until_stopping and self.stopping.is_set():
                return None
            await asyncio.sleep(delay)
            delay = min(delay * 2, STORE_RETRY_MAX_SECONDS)

    async def _run(self, chunk: ClaimedChunk) -> None:
        task = asyncio.current_task()
        assert task is not None

        async def on_wire() -> None:
            if self.stopping.is_set():
                raise NotSent("the gateway is stopping")
            try:
                marked = self.store.mark_sending(chunk)
            except Exception as exc:
                raise NotSent("the job store cannot be reached") from exc
            if not marked:
                raise NotSent("cancelled, or taken over by another worker")
            self._on_wire.add(task)
            self.events.notify()

        try:
            result = await self.executors[chunk.kind].run(chunk, on_wire)
        except NotSent:
            # Raised before an attempt's bytes left; an earlier attempt of this chunk, if any,
            # was not processed either (the transport retries a write only then).
            await self._with_store(lambda: self.store.release(chunk))
            self.events.notify()
            return
        except asyncio.CancelledError:
            if task not in self._on_wire:
                self.store.release(chunk)
            raise
        except Exception as exc:
            # A bug, not an upstream answer: what is known is whether the chunk left.
            log.exception("write job %s chunk %d: executor failed", chunk.job_id, chunk.seq)
            result = _broken(chunk, exc, sent=task in self._on_wire)
        finally:
            self._on_wire.discard(task)
        # The answer came: it is recorded once the store answers (a dropped answer would
        # replay the chunk, a write the upstream may already have applied).
        settled = await self._with_store(
            lambda: self.store.settle(chunk, result.state, result.outcomes, result.error)
        )
        if settled and self.on_settled is not None:
            self.on_settled(chunk)
        self.events.notify()

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                await asyncio.to_thread(self.store.renew, self.owner, self.lease_seconds)
            except Exception:
                log.exception("write workers: could not renew leases")

    def _reap(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_reap < 5.0:
            return
        self._last_reap = now
        for owner in self.store.owners() - {self.owner}:
            if owner_is_gone(owner) and (count := self.store.expire(owner)):
                log.warning(
                    "write workers: %d chunk(s) held by %s, a process that is gone, are taken over",
                    count,
                    owner,
                )


def _broken(chunk: ClaimedChunk, exc: Exception, *, sent: bool) -> ChunkResult:
    reason = f"internal error in the gateway ({type(exc).__name__})"
    if sent:
        state, item = ChunkState.UNKNOWN, ItemState.UNKNOWN
        reason += ": it may or may not have been applied"
    else:
        state, item = ChunkState.FAILED, ItemState.FAILED
    outcomes: Sequence[ItemOutcome] = [ItemOutcome(item, reason)] * len(chunk.items)
    return ChunkResult(state, tuple(outcomes), reason)
