"""``cancelWriteJob``, and what every bulk mutation shares: the ``mode`` it answers in and
the job it recorded."""

from __future__ import annotations

import strawberry

from gateway.graphql.info import Info
from gateway.graphql.types.jobs import NeedsWriteScope, WriteJob, WriteMode, is_job_id
from gateway.settings import Settings
from gateway.writes.submit import JobSubmitter

__all__ = ["JobMutation", "submitter", "waits"]

MODE_DESCRIPTION = (
    "WAIT answers with every item's result once the job ended, or with the job as it stands "
    "(still running) when the operation's deadline comes first; JOB answers at once with the "
    "job. Unset: WAIT up to GATEWAY_WRITE_WAIT_MAX_ITEMS items (1,000 by default), JOB above."
)


def waits(mode: WriteMode | None, count: int, settings: Settings) -> bool:
    """Whether a bulk mutation of ``count`` items waits for its job."""
    if mode is None:
        return count <= settings.write_wait_max_items
    return mode is WriteMode.WAIT


def submitter(info: Info) -> JobSubmitter:
    """The runtime's job submitter, naming the caller in the jobs it records."""
    principal = info.context.principal
    return info.context.runtime.submitter(principal.subject if principal is not None else None)


@strawberry.type
class JobMutation:
    @strawberry.mutation(
        permission_classes=[NeedsWriteScope],
        description="Cancel a write job: chunks not yet sent are not sent (CANCELLED); chunks "
        "on the wire end as the upstream answers. Null if there is no such job.",
    )
    def cancel_write_job(self, info: Info, id: strawberry.ID) -> WriteJob | None:
        job = info.context.runtime.jobs.cancel(str(id)) if is_job_id(str(id)) else None
        if job is None:
            return None
        info.context.runtime.writes.events.notify()
        return WriteJob.from_job(job)
