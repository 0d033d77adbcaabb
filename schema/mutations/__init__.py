"""Root mutation fields, one module per upstream, merged into one ``Mutation`` type."""

from __future__ import annotations

from strawberry.tools import merge_types

from schema.mutations.channels import ChannelMutation
from schema.mutations.jobs import JobMutation
from schema.mutations.pim import PimMutation
from schema.mutations.publish import PublishMutation

__all__ = ["MUTATION_PARTS", "Mutation"]

MUTATION_PARTS: tuple[type, ...] = (PimMutation, ChannelMutation, PublishMutation, JobMutation)

Mutation = merge_types("Mutation", MUTATION_PARTS)
