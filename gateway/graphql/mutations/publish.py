"""``publishProducts``: PIM products mapped onto OMNICOMMERCE and CitrusAd (``gateway.writes.publishing``)."""

from __future__ import annotations

import enum
from typing import cast

import strawberry
from strawberry.scalars import JSON

from gateway.graphql.info import Info
from gateway.graphql.types.writes import WriteId
from gateway.writes.publishing import ChannelOutcome, ProductOutcome, Publisher, PublishReport

__all__ = [
    "Channel",
    "ChannelPublishResult",
    "ProductPublishResult",
    "PublishMutation",
    "PublishPayload",
    "PublishStatus",
]


@strawberry.enum(description="A channel PIM products are published to.")
class Channel(enum.Enum):
    OMNICOMMERCE = strawberry.enum_value(
        "omnicommerce", description="The OMNICOMMERCE Data Management API (register)."
    )
    CITRUSAD = strawberry.enum_value(
        "citrusad", description="CitrusAd catalog products (sync, an upsert)."
    )


@strawberry.enum(description="One product's outcome on one channel.")
class PublishStatus(enum.Enum):
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    ERROR = strawberry.enum_value(
        "ERROR",
        description="Not published: not in the PIM, the mapping failed, or the upstream refused it.",
    )
    UNKNOWN = strawberry.enum_value(
        "UNKNOWN", description="Sent, but no answer came back: it may or may not have been applied."
    )
    SKIPPED = strawberry.enum_value(
        "SKIPPED", description="The channel's mapping left the product out (returned nothing)."
    )
    MAPPED = strawberry.enum_value(
        "MAPPED", description="Dry run: mapped and checked, not written."
    )


@strawberry.type(description="One product's outcome on one channel.")
class ChannelPublishResult:
    channel: Channel
    status: PublishStatus
    ok: bool = strawberry.field(description="False for ERROR and UNKNOWN.")
    message: str | None = strawberry.field(description="Why it failed, in the upstream's words.")
    ids: list[WriteId] = strawberry.field(description="The product's key on the channel.")
    payload: JSON | None = strawberry.field(
        description="What was sent (in a dry run: what would be sent), as the upstream takes it."
    )

    @classmethod
    def from_outcome(cls, outcome: ChannelOutcome) -> ChannelPublishResult:
        return cls(
            channel=Channel(outcome.channel),
            status=PublishStatus(outcome.status.value),
            ok=outcome.ok,
            message=outcome.message,
            ids=[WriteId(key=k, value=v) for k, v in outcome.ids.items()],
            payload=cast("JSON | None", outcome.payload),
        )


@strawberry.type(description="One product's outcomes, one per channel asked for.")
class ProductPublishResult:
    tid: str
    ok: bool
    channels: list[ChannelPublishResult]

    @classmethod
    def from_outcome(cls, outcome: ProductOutcome) -> ProductPublishResult:
        results = [ChannelPublishResult.from_outcome(o) for o in outcome.outcomes]
        return cls(tid=outcome.tid, ok=outcome.ok, channels=results)


@strawberry.type(description="A publish's answer: `ok` is true when no product failed anywhere.")
class PublishPayload:
    ok: bool
    dry_run: bool
    products: list[ProductPublishResult] = strawberry.field(
        description="In the order the tids were given, each tid once."
    )

    @classmethod
    def from_report(cls, report: PublishReport) -> PublishPayload:
        products = [ProductPublishResult.from_outcome(p) for p in report.products]
        return cls(ok=report.ok, dry_run=report.dry_run, products=products)


@strawberry.type
class PublishMutation:
    @strawberry.mutation(
        description="Load PIM products (100 a call), map each onto the channels with the "
        "gateway's mappings (replaceable by an extension) and write them: OMNICOMMERCE in "
        "chunks of 100 at most 5 a second, CitrusAd in upserts of 100. A product that fails "
        "(not found, mapping error, no GTIN for CitrusAd, refused) fails alone. `dryRun` "
        "returns the mapped payloads and writes nothing."
    )
    async def publish_products(
        self,
        info: Info,
        tids: list[str],
        channels: list[Channel] = (Channel.OMNICOMMERCE, Channel.CITRUSAD),  # type: ignore[assignment]
        dry_run: bool = False,
    ) -> PublishPayload:
        publisher = Publisher(info.context.runtime)
        report = await publisher.publish(tids, [c.name.lower() for c in channels], dry_run=dry_run)
        return PublishPayload.from_report(report)
