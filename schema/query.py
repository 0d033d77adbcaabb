"""Root query fields."""

from __future__ import annotations

from importlib.metadata import version

import strawberry

__all__ = ["Query"]


@strawberry.type(description="Read the product catalogue.")
class Query:
    @strawberry.field(description="The running gateway's version.")
    def gateway_version(self) -> str:
        return version("catalog-gateway")
