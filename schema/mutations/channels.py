"""OMNICOMMERCE and CitrusAd mutations."""

from __future__ import annotations

import strawberry

__all__ = ["ChannelMutation"]


@strawberry.type
class ChannelMutation:
    @strawberry.mutation(description="Placeholder until the channel mutations land; always true.")
    def channel_mutations_pending(self) -> bool:
        return True
