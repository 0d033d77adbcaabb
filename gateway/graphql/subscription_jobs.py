"""``writeJobProgress(id)``: a write job's state each time it changes, until it ends."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from gateway.errors import BadUserInput
from gateway.graphql.info import Info
from gateway.graphql.types.jobs import NeedsWriteScope, WriteJob, is_job_id

__all__ = ["JobSubscription"]

# The store is re-read at least this often: another process may be running the job.
_POLL_SECONDS = 0.5


@strawberry.type
class JobSubscription:
    @strawberry.subscription(
        permission_classes=[NeedsWriteScope],
        description="A write job as it is now, then again each time its state or counts "
        "change, ending with the job's final state (COMPLETED or CANCELLED). Also ends when "
        "the gateway stops; subscribe again to follow the job after a restart.",
    )
    async def write_job_progress(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[WriteJob, None]:
        runtime = info.context.runtime
        last: object = None
        while True:
            job = runtime.jobs.get(str(id)) if is_job_id(str(id)) else None
            if job is None:
                raise BadUserInput("there is no write job with this id", item=str(id)[:64])
            seen = (job.state, job.counts)
            if seen != last:
                last = seen
                yield WriteJob.from_job(job)
            if job.done or runtime.writes.stopping.is_set():
                return
            await runtime.writes.events.wait(_POLL_SECONDS)
