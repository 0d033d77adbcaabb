"""The gateway's GraphQL schema."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.schema.config import StrawberryConfig

from schema.errors import GatewayErrorExtensions
from schema.mutations import Mutation
from schema.query import Query
from schema.scalars import SCALAR_MAP
from schema.types.products import Article, Variant

__all__ = ["build_schema"]


def build_schema(extensions: Sequence[Any] = ()) -> strawberry.Schema:
    """The schema, with the gateway's error extension first and ``extensions`` after it."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[Article, Variant],
        extensions=[GatewayErrorExtensions, *extensions],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )
