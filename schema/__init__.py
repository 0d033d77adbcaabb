"""The gateway's GraphQL schema."""

from __future__ import annotations

import strawberry

from schema.query import Query

__all__ = ["build_schema"]


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query)
