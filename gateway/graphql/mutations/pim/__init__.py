"""PIM mutations (products, links, classifications, nodes, attribute definitions, attributes),
one module per kind of item, merged into ``PimMutation``. The logic lives in
``gateway.writes.pim``; resolvers turn inputs into records and results into payloads."""

from __future__ import annotations

from strawberry.tools import merge_types

from gateway.graphql.mutations.pim.products import PimProductMutation
from gateway.graphql.mutations.pim.structure import PimStructureMutation

__all__ = ["PimMutation"]

PimMutation = merge_types("PimMutation", (PimProductMutation, PimStructureMutation))
