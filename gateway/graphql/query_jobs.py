"""Root query fields over write jobs (``writeJob``, ``writeJobs``); they need ``write``."""

from __future__ import annotations

import strawberry

from gateway.errors import BadUserInput
from gateway.graphql.info import Info
from gateway.graphql.types.connections import PageInfo
from gateway.graphql.types.jobs import (
    MAX_JOB_PAGE,
    NeedsWriteScope,
    WriteJob,
    WriteJobConnection,
    WriteJobState,
    is_job_id,
    job_after,
    job_cursor,
)
from gateway.observability.request_stats import not_cacheable
from gateway.writes.jobs import JobState

__all__ = ["JobQuery"]


@strawberry.type(description="Follow the bulk writes recorded as jobs.")
class JobQuery:
    @strawberry.field(
        permission_classes=[NeedsWriteScope],
        description="One write job by id; null if there is none.",
    )
    def write_job(self, info: Info, id: strawberry.ID) -> WriteJob | None:
        not_cacheable()
        job = info.context.runtime.jobs.get(str(id)) if is_job_id(str(id)) else None
        return WriteJob.from_job(job) if job else None

    @strawberry.field(
        permission_classes=[NeedsWriteScope],
        description="Write jobs, newest first, optionally of one state.",
    )
    def write_jobs(
        self,
        info: Info,
        state: WriteJobState | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> WriteJobConnection:
        if not 0 <= first <= MAX_JOB_PAGE:
            raise BadUserInput(f"first must be between 0 and {MAX_JOB_PAGE}")
        not_cacheable()
        wanted = JobState(state.value) if state is not None else None
        jobs, more = info.context.runtime.jobs.page(
            first=first, after=job_after(after), state=wanted
        )
        nodes = [WriteJob.from_job(j) for j in jobs]
        return WriteJobConnection(
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=more,
                has_previous_page=after is not None,
                start_cursor=job_cursor(str(nodes[0].id)) if nodes else None,
                end_cursor=job_cursor(str(nodes[-1].id)) if nodes else None,
            ),
        )
