"""The resolver ``info`` type of this schema."""

from __future__ import annotations

import strawberry

from gateway.context import GatewayContext

__all__ = ["Info"]

Info = strawberry.Info[GatewayContext, None]
