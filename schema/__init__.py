"""The gateway's GraphQL schema."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.schema.config import StrawberryConfig

from gateway.security import limit_extensions
from gateway.settings import Settings
from schema.access import OperationScopes
from schema.cost import COST_MODEL
from schema.errors import GatewayErrorExtensions
from schema.mutations import Mutation
from schema.query import Query
from schema.scalars import SCALAR_MAP
from schema.types.products import Article, Variant

__all__ = ["build_schema"]


def build_schema(
    settings: Settings | None = None, extensions: Sequence[Any] = ()
) -> strawberry.Schema:
    """The schema. With ``settings``, operation limits and scope checks guard every operation;
    without, it is the bare schema (for printing the SDL and for trusted in-process use)."""
    guards: list[Any] = []
    if settings is not None:
        guards = [*limit_extensions(settings, cost_model=COST_MODEL), OperationScopes]
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[Article, Variant],
        extensions=[GatewayErrorExtensions, *guards, *extensions],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )
