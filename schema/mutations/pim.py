"""PIM mutations (classifications, nodes, attribute definitions, attributes, products, links)."""

from __future__ import annotations

import strawberry

__all__ = ["PimMutation"]


@strawberry.type
class PimMutation:
    @strawberry.mutation(description="Placeholder until the PIM mutations land; always true.")
    def pim_mutations_pending(self) -> bool:
        return True
