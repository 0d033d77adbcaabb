"""Endpoint apps for the HTTP tests: a tiny inline schema, and the real one over emulators."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from gateway.context import GatewayContext
from gateway.emulators import citrusad, omnicommerce, pim
from gateway.emulators.serving import BackgroundServer
from gateway.errors import BadUserInput, Forbidden, Unauthenticated
from gateway.graphql import build_schema
from gateway.graphql.errors import GatewayErrorExtensions
from gateway.http import GraphQLEndpoint
from gateway.runtime import Runtime
from gateway.settings import load_settings, with_embedded_upstreams


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"hello {name}"

    @strawberry.field
    def who(self, info: strawberry.Info) -> str:
        return str(info.context["user"])

    @strawberry.field
    def broken(self) -> str | None:
        raise BadUserInput("broken on purpose", item="broken")

    @strawberry.field
    def required(self) -> str:
        raise BadUserInput("required but failing")


@strawberry.type
class Mutation:
    @strawberry.mutation
    def bump(self, info: strawberry.Info) -> int:
        info.context["bumps"].append(1)
        return len(info.context["bumps"])


class ReadOnlyCallers(SchemaExtension):
    """Refuses mutations to ``X-User: reader`` once the operation type is known, as the
    app's scope check would (an app error raised before execution)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        request = context.context["request"]
        if (
            request.headers.get("x-user") == "reader"
            and context.operation_type is OperationType.MUTATION
        ):
            raise Forbidden("this key may only read")
        yield


def tiny_schema() -> strawberry.Schema:
    return strawberry.Schema(Query, Mutation, extensions=[GatewayErrorExtensions, ReadOnlyCallers])


@dataclass
class TinyApp:
    """The endpoint around ``tiny_schema``; ``bumps`` counts executed mutations."""

    url: str
    bumps: list[int]
    results: list[tuple[Any, float]] = field(default_factory=list)


@pytest.fixture
def serve_tiny() -> Iterator[Callable[..., TinyApp]]:
    """``serve_tiny(**endpoint_options)`` serves the endpoint around ``tiny_schema``.

    A request with ``X-User: nobody`` makes the context factory raise ``Unauthenticated``;
    ``X-User: crash`` makes it raise a plain ``RuntimeError`` (a bug).
    """
    servers: list[BackgroundServer] = []

    def serve(**options: Any) -> TinyApp:
        tiny = TinyApp(url="", bumps=[])

        async def context(req: Request) -> dict[str, Any]:
            user = req.headers.get("x-user", "anonymous")
            if user == "nobody":
                raise Unauthenticated()
            if user == "crash":
                raise RuntimeError("a bug in the context factory")
            return {"user": user, "bumps": tiny.bumps, "request": req}

        def on_result(req: Request, result: Any, seconds: float) -> None:
            tiny.results.append((result, seconds))

        options = {"graphiql_html": None, "introspection": True, "on_result": on_result, **options}
        endpoint = GraphQLEndpoint(tiny_schema(), context_factory=context, **options)
        app = Starlette(routes=[Route("/graphql", endpoint, methods=["GET", "POST"])])
        servers.append(BackgroundServer(app).start())
        tiny.url = f"{servers[-1].url}/graphql"
        return tiny

    try:
        yield serve
    finally:
        for server in servers:
            server.stop()


def gateway_app(settings: Any, **options: Any) -> Starlette:
    """The real schema and context behind the endpoint, as ``gateway.app`` builds them."""
    holder: dict[str, Runtime] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with Runtime.build(settings) as runtime:
            holder["runtime"] = runtime
            yield

    async def context(request: Request) -> GatewayContext:
        return GatewayContext.build(
            holder["runtime"],
            accept_language=request.headers.get("accept-language"),
            request=request,
        )

    options = {"graphiql_html": None, "introspection": True, **options}
    endpoint = GraphQLEndpoint(build_schema(), context_factory=context, **options)
    return Starlette(
        routes=[Route("/graphql", endpoint, methods=["GET", "POST"])], lifespan=lifespan
    )


@dataclass
class RealGateway:
    url: str
    emulators: dict[str, BackgroundServer]

    def upstream_calls(self) -> int:
        return sum(s.app.state.log.count() for s in self.emulators.values())


@pytest.fixture(scope="module")
def real_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealGateway]:
    """The endpoint with the real schema, over freshly seeded emulators, for one module."""
    emulators = {
        "pim": BackgroundServer(pim.create_app(seed=True)).start(),
        "omnicommerce": BackgroundServer(omnicommerce.create_app(seed=True)).start(),
        "citrusad": BackgroundServer(citrusad.create_app(seed=True)).start(),
    }
    database: Path = tmp_path_factory.mktemp("http") / "gateway.sqlite3"
    settings = with_embedded_upstreams(
        load_settings({"GATEWAY_DATABASE": str(database)}),
        {name: s.url for name, s in emulators.items()},
    )
    gateway = BackgroundServer(gateway_app(settings)).start()
    try:
        yield RealGateway(url=f"{gateway.url}/graphql", emulators=emulators)
    finally:
        for server in (gateway, *emulators.values()):
            server.stop()
