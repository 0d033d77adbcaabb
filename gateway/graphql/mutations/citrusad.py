"""CitrusAd mutations: sync catalog products, set their inventory, delete them."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from gateway.graphql.info import Info
from gateway.graphql.mutations.jobs import MODE_DESCRIPTION, submitter, waits
from gateway.graphql.types.catalog import CatalogProduct
from gateway.graphql.types.jobs import WriteJob, WriteMode
from gateway.graphql.types.writes import WritePayload, WriteResult, job_succeeded
from gateway.upstreams.records import CatalogProduct as CatalogProductRecord
from gateway.writes.citrusad import (
    DELETION_NOTICE,
    CatalogDeletion,
    CatalogInventory,
    CatalogJobs,
    CatalogWriteReport,
)

__all__ = [
    "CatalogDeletePayload",
    "CatalogInventoryInput",
    "CatalogMutation",
    "CatalogProductInput",
    "CatalogProductKeyInput",
    "CatalogSyncPayload",
]


@strawberry.input(
    description="A catalog product to sync. The convenience fields become the documented "
    "`key:value` tags and filters, after those given in `tags` and `filters`."
)
class CatalogProductInput:
    gtin: str = strawberry.field(
        description="The product code (usually a GTIN; any 1 to 128 visible characters without '/')."
    )
    inventory: int = strawberry.field(description="Units in stock; 0 marks it out of stock.")
    price: Decimal = strawberry.field(description="Exact decimal, sent as a string.")
    catalog_id: str | None = strawberry.field(
        default=None, description="Defaults to the GATEWAY_CITRUSAD_CATALOG_ID setting."
    )
    profit: Decimal | None = strawberry.field(default=None, description="Exact decimal.")
    seller_id: str | None = strawberry.field(default=None, description="The marketplace seller.")
    tags: list[str] = strawberry.field(default_factory=list, description="Tags, sent as given.")
    filters: list[str] = strawberry.field(
        default_factory=list, description="`key:value` filters, sent as given."
    )
    image_url: str | None = strawberry.field(default=None, description="Becomes `imageurl:<url>`.")
    name: str | None = strawberry.field(default=None, description="Becomes `name:<name>`.")
    brand: str | None = strawberry.field(default=None, description="Becomes `Brand:<brand>`.")
    categories: list[str] = strawberry.field(
        default_factory=list, description="Each becomes `category:<category>`."
    )
    locations: list[str] = strawberry.field(
        default_factory=list,
        description="Stores, each becomes `location:<store>` (store-level optimisation).",
    )
    hfss: bool | None = strawberry.field(
        default=None, description="High in fat, salt or sugar: becomes `hfss:true|false`."
    )

    def to_record(self, default_catalog: str) -> CatalogProductRecord:
        tags = [*self.tags]
        tags += [f"imageurl:{self.image_url}"] if self.image_url is not None else []
        tags += [f"name:{self.name}"] if self.name is not None else []
        filters = [*self.filters]
        filters += [f"Brand:{self.brand}"] if self.brand is not None else []
        filters += [f"category:{c}" for c in self.categories]
        filters += [f"location:{store}" for store in self.locations]
        filters += [f"hfss:{str(self.hfss).lower()}"] if self.hfss is not None else []
        return CatalogProductRecord(
            catalog_id=self.catalog_id or default_catalog,
            gtin=self.gtin,
            inventory=self.inventory,
            price=self.price,
            profit=self.profit,
            seller_id=self.seller_id,
            # A tag given both ways is sent once: the upstream would store it twice.
            tags=tuple(dict.fromkeys(tags)),
            filters=tuple(dict.fromkeys(filters)),
        )


@strawberry.input(description="A new inventory for one catalog product.")
class CatalogInventoryInput:
    gtin: str = strawberry.field(description="The product code.")
    inventory: int = strawberry.field(description="Units in stock; 0 marks it out of stock.")
    catalog_id: str | None = strawberry.field(
        default=None, description="Defaults to the GATEWAY_CITRUSAD_CATALOG_ID setting."
    )


@strawberry.input(description="One catalog product to delete.")
class CatalogProductKeyInput:
    gtin: str = strawberry.field(description="The product code.")
    catalog_id: str | None = strawberry.field(
        default=None, description="Defaults to the GATEWAY_CITRUSAD_CATALOG_ID setting."
    )
    seller_id: str | None = strawberry.field(
        default=None, description="Required when the product carries a seller id."
    )


@strawberry.type(
    description="A CitrusAd sync's answer: its job and, when it waited for the job, one result "
    "per input item and the products as synced."
)
class CatalogSyncPayload(WritePayload):
    job: WriteJob = strawberry.field(description="The job that carries the write.")
    products: list[CatalogProduct | None] = strawberry.field(
        description="Per input item, in order: the product as synced; null where it was not."
    )

    @classmethod
    def from_report(cls, report: CatalogWriteReport, job: WriteJob) -> CatalogSyncPayload:
        return cls(
            job=job,
            results=[WriteResult.from_outcome(i, o) for i, o in enumerate(report.outcomes)],
            products=[CatalogProduct.from_record(p) if p else None for p in report.products],
        )

    @strawberry.field(description="True when the job completed and every item ended SUCCESS.")
    def ok(self) -> bool:
        return job_succeeded(self.job, self.results)


@strawberry.type(description="A CitrusAd delete's answer: its job, and one result per input item.")
class CatalogDeletePayload(WritePayload):
    job: WriteJob = strawberry.field(description="The job that carries the write.")
    notice: str = strawberry.field(
        description="Deletion completes upstream 30 to 60 minutes after it is accepted."
    )

    @strawberry.field(description="True when the job completed and every item ended SUCCESS.")
    def ok(self) -> bool:
        return job_succeeded(self.job, self.results)


def _catalog(info: Info) -> str:
    return info.context.runtime.settings.citrusad_catalog_id


async def _outcome(
    info: Info, jobs: CatalogJobs, job_id: str, wait: bool
) -> tuple[CatalogWriteReport, WriteJob]:
    """The job's report once it ended (``wait``), else an empty report and the job as it is."""
    if wait:
        report = await jobs.report(job_id)
    else:
        report = CatalogWriteReport((), ())
    job = info.context.runtime.jobs.get(job_id)
    assert job is not None, "a job just recorded is there"
    return report, WriteJob.from_job(job)


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(
        description="Create or replace CitrusAd catalog products (an upsert), as a write job "
        "sent in chunks of 100. " + MODE_DESCRIPTION
    )
    async def sync_catalog_products(
        self, info: Info, products: list[CatalogProductInput], mode: WriteMode | None = None
    ) -> CatalogSyncPayload:
        records = [p.to_record(_catalog(info)) for p in products]
        jobs = CatalogJobs(submitter(info))
        job_id = jobs.submit_sync(records)
        wait = waits(mode, len(records), info.context.runtime.settings)
        return CatalogSyncPayload.from_report(*await _outcome(info, jobs, job_id, wait))

    @strawberry.mutation(
        description="Set the inventory of existing catalog products: each is read fresh and "
        "re-synced with the new inventory, as a write job. Out of stock? Set 0 rather than "
        "deleting, as CitrusAd advises: a deleted product can no longer be chosen by "
        "advertisers, even once back in stock. " + MODE_DESCRIPTION
    )
    async def set_catalog_inventory(
        self, info: Info, items: list[CatalogInventoryInput], mode: WriteMode | None = None
    ) -> CatalogSyncPayload:
        catalog = _catalog(info)
        wanted = [CatalogInventory(i.catalog_id or catalog, i.gtin, i.inventory) for i in items]
        jobs = CatalogJobs(submitter(info))
        job_id = jobs.submit_inventory(wanted)
        wait = waits(mode, len(wanted), info.context.runtime.settings)
        return CatalogSyncPayload.from_report(*await _outcome(info, jobs, job_id, wait))

    @strawberry.mutation(
        description="Delete catalog products, one request per code, as a write job. CitrusAd "
        "completes a deletion 30 to 60 minutes later. To mark a product out of stock use "
        "setCatalogInventory with 0 instead. " + MODE_DESCRIPTION
    )
    async def delete_catalog_products(
        self, info: Info, items: list[CatalogProductKeyInput], mode: WriteMode | None = None
    ) -> CatalogDeletePayload:
        catalog = _catalog(info)
        doomed = [CatalogDeletion(i.catalog_id or catalog, i.gtin, i.seller_id) for i in items]
        jobs = CatalogJobs(submitter(info))
        job_id = jobs.submit_delete(doomed)
        wait = waits(mode, len(doomed), info.context.runtime.settings)
        report, job = await _outcome(info, jobs, job_id, wait)
        results = [WriteResult.from_outcome(i, o) for i, o in enumerate(report.outcomes)]
        return CatalogDeletePayload(job=job, results=results, notice=DELETION_NOTICE)
