"""Root mutation fields, one module per upstream, merged into one ``Mutation`` type."""

from __future__ import annotations

from strawberry.tools import merge_types

from schema.mutations.channels import ChannelMutation
from schema.mutations.pim import PimMutation

__all__ = ["Mutation"]

Mutation = merge_types("Mutation", (PimMutation, ChannelMutation))
