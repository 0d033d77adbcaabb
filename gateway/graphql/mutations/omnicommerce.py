"""OMNICOMMERCE mutations: register, update and delete products, recorded in the read model."""

from __future__ import annotations

from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from gateway.graphql.info import Info
from gateway.graphql.mutations.jobs import MODE_DESCRIPTION, submitter, waits
from gateway.graphql.scalars import CommerceProductId
from gateway.graphql.types.commerce import CommerceWritePayload
from gateway.graphql.types.jobs import WriteJob, WriteMode
from gateway.upstreams.records import CommerceProduct, CommerceProductPatch
from gateway.writes.omnicommerce import CommerceWriter

__all__ = ["CommerceMutation", "CommerceProductInput", "CommerceProductPatchInput"]


@strawberry.input(description="A product to register, as the Data Management API takes it.")
class CommerceProductInput:
    id: CommerceProductId = strawberry.field(description="Unique in the workspace.")
    url: str = strawberry.field(description="Representative image URL (absolute http(s)).")
    detection: str = strawberry.field(description="A Detection Field value, e.g. TOP, PANTS.")
    sales_url: str = strawberry.field(description="Sales page URL (absolute http(s)).")
    mobile_sales_url: str | None = strawberry.field(
        default=None, description="Mobile sales page URL (absolute http(s))."
    )
    metadata: JSON | None = strawberry.field(
        default=None,
        description="A JSON object: productName, originPrice, currency, brand, season ...",
    )

    def to_record(self) -> CommerceProduct:
        return CommerceProduct(
            id=self.id,
            url=self.url,
            detection=self.detection,
            sales_url=self.sales_url,
            mobile_sales_url=self.mobile_sales_url,
            metadata=_metadata(self.metadata),
        )


@strawberry.input(
    description="A partial update: only the fields given change; omitted or null ones stay as they are."
)
class CommerceProductPatchInput:
    id: CommerceProductId = strawberry.field(description="The product to change.")
    sales_url: str | None = strawberry.field(default=None, description="New sales page URL.")
    mobile_sales_url: str | None = strawberry.field(
        default=None, description="New mobile sales page URL."
    )
    metadata: JSON | None = strawberry.field(
        default=None, description="Metadata keys to set; keys not given are kept (they merge)."
    )

    def to_record(self) -> CommerceProductPatch:
        return CommerceProductPatch(
            id=self.id,
            sales_url=self.sales_url,
            mobile_sales_url=self.mobile_sales_url,
            metadata=_metadata(self.metadata),
        )


async def _answer(
    info: Info, writer: CommerceWriter, job_id: str, wait: bool
) -> CommerceWritePayload:
    if wait:
        return CommerceWritePayload.from_report(await writer.report(job_id))
    job = info.context.runtime.jobs.get(job_id)
    assert job is not None, "a job just recorded is there"
    return CommerceWritePayload.submitted(WriteJob.from_job(job))


AllOrNothing = Annotated[
    bool,
    strawberry.argument(
        description="True: an item that fails the gateway's checks refuses the whole call "
        "(nothing is recorded or sent). False (the default): it fails alone, as ERROR with "
        "code BAD_USER_INPUT and the reason, and the other items are sent."
    ),
]


def _metadata(value: JSON | None) -> dict[str, Any] | None:
    # Any JSON may arrive; the writer refuses what is not an object, naming the item.
    return cast("dict[str, Any] | None", value)


@strawberry.type
class CommerceMutation:
    @strawberry.mutation(
        description="Register products (an existing id is overwritten unless `blockDuplicates`). "
        "Recorded as a write job before anything is sent, then sent in chunks of 100, paced so "
        "the upstream never sees more than 5 requests a second. " + MODE_DESCRIPTION
    )
    async def register_commerce_products(
        self,
        info: Info,
        products: list[CommerceProductInput],
        block_duplicates: bool = False,
        mode: WriteMode | None = None,
        all_or_nothing: AllOrNothing = False,
    ) -> CommerceWritePayload:
        writer = CommerceWriter(submitter(info))
        job_id = writer.submit_register(
            [p.to_record() for p in products],
            block_duplicates=block_duplicates,
            all_or_nothing=all_or_nothing,
        )
        wait = waits(mode, len(products), info.context.runtime.settings)
        return await _answer(info, writer, job_id, wait)

    @strawberry.mutation(
        description="Change only the fields sent of existing products (metadata keys merge), "
        "as a write job. " + MODE_DESCRIPTION
    )
    async def update_commerce_products(
        self,
        info: Info,
        products: list[CommerceProductPatchInput],
        mode: WriteMode | None = None,
        all_or_nothing: AllOrNothing = False,
    ) -> CommerceWritePayload:
        writer = CommerceWriter(submitter(info))
        job_id = writer.submit_update(
            [p.to_record() for p in products], all_or_nothing=all_or_nothing
        )
        wait = waits(mode, len(products), info.context.runtime.settings)
        return await _answer(info, writer, job_id, wait)

    @strawberry.mutation(description="Delete products by id, as a write job. " + MODE_DESCRIPTION)
    async def delete_commerce_products(
        self,
        info: Info,
        ids: list[CommerceProductId],
        mode: WriteMode | None = None,
        all_or_nothing: AllOrNothing = False,
    ) -> CommerceWritePayload:
        writer = CommerceWriter(submitter(info))
        job_id = writer.submit_delete(list(ids), all_or_nothing=all_or_nothing)
        wait = waits(mode, len(ids), info.context.runtime.settings)
        return await _answer(info, writer, job_id, wait)
