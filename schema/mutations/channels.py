"""OMNICOMMERCE and CitrusAd mutations, one module per upstream, merged into ``ChannelMutation``."""

from __future__ import annotations

from strawberry.tools import merge_types

from schema.mutations.citrusad import CatalogMutation
from schema.mutations.omnicommerce import CommerceMutation

__all__ = ["ChannelMutation"]

ChannelMutation = merge_types("ChannelMutation", (CommerceMutation, CatalogMutation))
