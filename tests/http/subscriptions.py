"""A small subscription schema behind both transports, and clients for them.

The app is built the way ``gateway.app`` builds its own: API keys through ``Authenticator``,
``OperationScopes``, the operation limits (depth 4 here), the security middleware of
production mode, ``GraphQLEndpoint`` (HTTP and SSE) and ``GraphQLWebSocket`` sharing one
``OpenStreams``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
import strawberry
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.permission import BasePermission
from websockets.asyncio.client import ClientConnection, connect

from gateway.emulators.serving import BackgroundServer
from gateway.errors import BadUserInput
from gateway.graphql.access import OperationScopes
from gateway.graphql.errors import GatewayErrorExtensions
from gateway.http import GraphQLEndpoint, GraphQLWebSocket, OpenStreams
from gateway.security import (
    Authenticator,
    Principal,
    generate_api_key,
    hash_api_key,
    limit_extensions,
    security_middleware,
)
from gateway.security.auth import JwtVerifier, parse_api_keys
from gateway.settings import load_settings

READER = generate_api_key()
WRITER = generate_api_key()
WRITE_ONLY = generate_api_key()
PROTOCOL = "graphql-transport-ws"
SSE = "text/event-stream"
MAX_DEPTH = 4
_SECRET = "s" * 40
_ISSUER, _AUDIENCE = "https://issuer.example", "catalog-gateway"


def token(scope: str, **claims: Any) -> str:
    """A bearer JWT the test apps accept (unless ``claims`` spoil it)."""
    body = {"sub": "svc", "iss": _ISSUER, "aud": _AUDIENCE, "exp": time.time() + 60, "scope": scope}
    return jwt.encode({**body, **claims}, _SECRET, algorithm="HS256")


@dataclass
class Counters:
    """What the subscriptions saw: how many began and how many were closed (cancelled)."""

    began: int = 0
    closed: int = 0
    contexts: list[Any] = field(default_factory=list)


@dataclass
class Context:
    principal: Principal
    request: HTTPConnection
    counters: Counters


class CanWrite(BasePermission):
    message = "the 'write' scope is required"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return bool(info.context.principal.has("write"))


@strawberry.type
class Level:
    n: int

    @strawberry.field
    def deeper(self) -> Level:
        return Level(n=self.n + 1)


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


@strawberry.type
class Mutation:
    @strawberry.mutation
    def bump(self) -> int:
        return 1


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self, count: int, pause: float = 0.0) -> AsyncGenerator[int, None]:
        for n in range(count):
            if pause:
                await asyncio.sleep(pause)
            yield n

    @strawberry.subscription
    async def forever(self, info: strawberry.Info) -> AsyncGenerator[int, None]:
        """Yields 0, then waits for ever: only a client, a complete or a shutdown ends it."""
        counters: Counters = info.context.counters
        counters.began += 1
        try:
            yield 0
            await asyncio.Event().wait()
        finally:
            counters.closed += 1

    @strawberry.subscription(permission_classes=[CanWrite])
    async def guarded(self) -> AsyncGenerator[int, None]:
        yield 42

    @strawberry.subscription
    async def levels(self) -> AsyncGenerator[Level, None]:
        yield Level(n=0)

    @strawberry.subscription
    async def failing(self) -> AsyncGenerator[int, None]:
        yield 1
        raise BadUserInput("no second tick", item="failing")

    @strawberry.subscription
    async def crashing(self) -> AsyncGenerator[int, None]:
        yield 1
        raise RuntimeError("secret internals")


class QuietSchema(strawberry.Schema):
    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        return None  # expected refusals, not tracebacks in the test log


@dataclass
class SubscriptionApp:
    url: str  # http://host:port/graphql
    counters: Counters
    streams: OpenStreams
    results: list[Any]
    server: BackgroundServer

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")

    def close_streams(self) -> None:
        """``streams.close()`` on the server's loop, through the app's test-only route."""
        assert httpx.post(self.url.replace("/graphql", "/close-streams")).status_code == 200


def build_app(
    counters: Counters, results: list[Any], *, keepalive: float = 15.0, init_timeout: float = 3.0
) -> tuple[Starlette, OpenStreams]:
    settings = load_settings(
        {"GATEWAY_DEVELOPMENT_MODE": "false", "GATEWAY_MAX_QUERY_DEPTH": str(MAX_DEPTH)}
    )
    authenticator = Authenticator(
        api_keys=parse_api_keys(
            [
                f"{hash_api_key(READER)}:read:reader",
                f"{hash_api_key(WRITER)}:read+write:writer",
                f"{hash_api_key(WRITE_ONLY)}:write:write-only",
            ]
        ),
        jwt_verifier=JwtVerifier(issuer=_ISSUER, audience=_AUDIENCE, hs256_secret=_SECRET),
    )
    schema = QuietSchema(
        Query,
        Mutation,
        Subscription,
        extensions=[GatewayErrorExtensions, *limit_extensions(settings), OperationScopes],
    )

    async def context(connection: HTTPConnection) -> Context:
        principal = await authenticator.authenticate_async(connection.headers)
        made = Context(principal=principal, request=connection, counters=counters)
        counters.contexts.append(made)
        return made

    def on_result(connection: HTTPConnection, result: Any, seconds: float) -> None:
        results.append(result)

    endpoint = GraphQLEndpoint(
        schema,
        context_factory=context,
        graphiql_html=None,
        introspection=False,
        on_result=on_result,
        keepalive_seconds=keepalive,
    )
    websocket = GraphQLWebSocket(
        schema,
        context_factory=context,
        introspection=False,
        streams=endpoint.streams,
        on_result=on_result,
        connection_init_timeout=init_timeout,
    )

    async def close_streams(request: Request) -> JSONResponse:
        endpoint.streams.close()
        return JSONResponse({"closed": True})

    app = Starlette(
        routes=[
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", websocket),
            Route("/close-streams", close_streams, methods=["POST"]),
        ],
        middleware=security_middleware(settings),
    )
    return app, endpoint.streams


def serve(**options: Any) -> Iterator[SubscriptionApp]:
    counters = Counters()
    results: list[Any] = []
    app, streams = build_app(counters, results, **options)
    server = BackgroundServer(app).start()
    try:
        yield SubscriptionApp(f"{server.url}/graphql", counters, streams, results, server)
    finally:
        server.stop()


@pytest.fixture
def sub_app() -> Iterator[SubscriptionApp]:
    yield from serve()


# --- SSE ------------------------------------------------------------------------------------


@dataclass
class Event:
    event: str | None
    data: str


def parse_events(lines: Iterable[str]) -> Iterator[Event | str]:
    """Events from an event stream's lines; a comment (keep-alive) comes out as ``":"``."""
    event: str | None = None
    data: list[str] = []
    for line in lines:
        if line == "":
            if event is not None or data:
                yield Event(event, "\n".join(data))
            event, data = None, []
        elif line.startswith(":"):
            yield ":"
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)


def sse_post(
    url: str, query: str, variables: dict[str, Any] | None = None, **headers: str
) -> tuple[httpx.Response, list[Event]]:
    """POST one operation asking for an event stream; the response and every event in it."""
    body = {"query": query, "variables": variables or {}}
    with httpx.stream(
        "POST",
        url,
        json=body,
        headers={"accept": SSE, **headers},
        timeout=10,
    ) as answer:
        if not answer.headers.get("content-type", "").startswith(SSE):
            answer.read()
            return answer, []
        events = [e for e in parse_events(answer.iter_lines()) if isinstance(e, Event)]
    return answer, events


def nexts(events: list[Event]) -> list[dict[str, Any]]:
    return [json.loads(e.data) for e in events if e.event == "next"]


# --- graphql-transport-ws -------------------------------------------------------------------


async def ws_connect(
    app: SubscriptionApp, *, headers: dict[str, str] | None = None, protocol: bool = True
) -> ClientConnection:
    return await connect(
        app.ws_url,
        subprotocols=[PROTOCOL] if protocol else None,
        additional_headers=headers,
        open_timeout=5,
    )


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def receive(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(5):
        message: dict[str, Any] = json.loads(await ws.recv())
    return message


async def init(ws: ClientConnection, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    await send(ws, {"type": "connection_init", "payload": payload or {}})
    return await receive(ws)


async def subscribe(
    ws: ClientConnection, id_: str, query: str, variables: dict[str, Any] | None = None
) -> None:
    payload = {"query": query, "variables": variables or {}}
    await send(ws, {"id": id_, "type": "subscribe", "payload": payload})


async def until_complete(ws: ClientConnection, id_: str) -> list[dict[str, Any]]:
    """Messages for ``id_`` up to and including its ``complete`` or ``error``."""
    messages = []
    while True:
        message = await receive(ws)
        if message.get("id") == id_:
            messages.append(message)
            if message["type"] in ("complete", "error"):
                return messages


async def close_code(ws: ClientConnection) -> int | None:
    """Wait for the server to close; its close code."""
    async with asyncio.timeout(5):
        await ws.wait_closed()
    return ws.close_code


async def eventually(check: Callable[[], bool]) -> None:
    """Wait up to 5 s for ``check()``, which reads what the server thread changes."""
    async with asyncio.timeout(5):
        while not check():  # noqa: ASYNC110 - the state lives in the server's thread
            await asyncio.sleep(0.02)
