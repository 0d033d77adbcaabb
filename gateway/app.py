"""The HTTP application: /graphql (with GraphiQL), /healthz."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from gateway.context import GatewayContext
from gateway.graphiql import with_examples
from gateway.runtime import Runtime
from gateway.settings import Settings
from schema import build_schema
from schema.examples import EXAMPLES

__all__ = ["GatewayGraphQL", "create_app"]


async def healthz(request: Request) -> Response:
    """Process liveness: answers as long as the event loop runs."""
    return JSONResponse({"status": "ok"})


class GatewayGraphQL(GraphQL[GatewayContext, None]):
    """Strawberry's ASGI view, with the gateway's per-request context."""

    def __init__(
        self, settings: Settings, runtime_holder: dict[str, Runtime], **kwargs: Any
    ) -> None:
        super().__init__(build_schema(settings), graphql_ide="graphiql", **kwargs)
        self._holder = runtime_holder
        self._ide_page = with_examples(self.graphql_ide_html, EXAMPLES)

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self._ide_page)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GatewayContext:
        return GatewayContext.build(
            self._holder["runtime"],
            accept_language=request.headers.get("accept-language"),
            request=request,
            response=response,
        )


def create_app(settings: Settings) -> Starlette:
    """The gateway's ASGI app for ``settings`` (every upstream URL already resolved).

    The runtime (HTTP pools, cache) is opened when the app starts and closed when it stops.
    """
    holder: dict[str, Runtime] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with Runtime.build(settings) as runtime:
            holder["runtime"] = runtime
            app.state.runtime = runtime
            yield

    graphql = GatewayGraphQL(settings, holder)
    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app
