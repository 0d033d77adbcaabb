"""The HTTP application: /graphql, /healthz."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from gateway.settings import Settings
from schema import build_schema

__all__ = ["create_app"]


async def healthz(request: Request) -> Response:
    """Process liveness: answers as long as the event loop runs."""
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings) -> Starlette:
    """The gateway's ASGI app for ``settings`` (upstream URLs already resolved)."""
    graphql = GraphQL(build_schema(), graphql_ide="graphiql")
    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ]
    )
    app.state.settings = settings
    return app
