"""The Relay ``Node`` interface."""

from __future__ import annotations

import strawberry

__all__ = ["Node"]


@strawberry.interface(description="An object with a global id, fetchable with `node(id)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Global, opaque id.")
