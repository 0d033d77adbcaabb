"""Root mutation fields, one module per upstream, merged into one ``Mutation`` type."""

from __future__ import annotations

from strawberry.tools import merge_types

from gateway.graphql.mutations.channels import ChannelMutation
from gateway.graphql.mutations.jobs import JobMutation
from gateway.graphql.mutations.pim import PimMutation
from gateway.graphql.mutations.publish import PublishMutation

__all__ = ["MUTATION_PARTS", "Mutation"]

MUTATION_PARTS: tuple[type, ...] = (PimMutation, ChannelMutation, PublishMutation, JobMutation)

Mutation = merge_types("Mutation", MUTATION_PARTS)
