"""OMNICOMMERCE and CitrusAd mutations, one module per upstream, merged into ``ChannelMutation``."""

from __future__ import annotations

from strawberry.tools import merge_types

from gateway.graphql.mutations.citrusad import CatalogMutation
from gateway.graphql.mutations.omnicommerce import CommerceMutation

__all__ = ["ChannelMutation"]

ChannelMutation = merge_types("ChannelMutation", (CommerceMutation, CatalogMutation))
