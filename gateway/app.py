"""The HTTP application.

| path | what |
| --- | --- |
| ``/graphql`` | GraphQL over HTTP (``gateway.http``), GraphiQL for browsers when enabled |
| ``/graphql`` (``Accept: text/event-stream``) | GraphQL over SSE, subscriptions included |
| ``/graphql`` (WebSocket) | subscriptions over graphql-transport-ws |
| ``/graphiql/assets/<name>`` | GraphiQL's scripts and styles (``gateway.graphiql``), when GraphiQL is on |
| ``/healthz`` | the process is up |
| ``/readyz`` | the upstreams are reachable (503 otherwise), with each one's state |
| ``/metrics`` | Prometheus metrics (only on the admin listener when ``GATEWAY_ADMIN_PORT`` is set) |

With ``admin_port`` set, ``app.state.admin_app`` serves ``/metrics``, ``/readyz`` and ``/healthz``
over the same gateway; ``gateway serve`` listens with it on ``GATEWAY_HOST:GATEWAY_ADMIN_PORT``.

Every GraphQL request is authenticated (``gateway.security``), guarded (body size, JSON depth,
CSRF, CORS), limited (depth, aliases, tokens, root fields, cost), counted and logged as one
JSON line. Introspection and GraphiQL default to on in development mode and off otherwise.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.types.execution import ExecutionResult

from gateway.context import GatewayContext
from gateway.extensions import ExtensionRegistry, load_extensions
from gateway.graphiql import ASSET_ROUTE, GraphiQL
from gateway.graphql import build_schema
from gateway.graphql.examples import EXAMPLES
from gateway.http import GraphQLEndpoint, GraphQLWebSocket
from gateway.http.persisted import persisted_operations
from gateway.http.response_cache import ResponseCache
from gateway.observability.health import readiness
from gateway.observability.metrics import CONTENT_TYPE, GatewayMetrics
from gateway.observability.request_stats import begin_request, current_request
from gateway.observability.tracing import configure_tracing
from gateway.runtime import CACHE_RESOURCES, Runtime
from gateway.security import Authenticator, Principal, security_middleware
from gateway.security.parsing import ParseLimits
from gateway.settings import Settings

__all__ = ["create_app"]

log = logging.getLogger("gateway.requests")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_GRAPHIQL: GraphiQL | None = None


async def healthz(request: Request) -> Response:
    """Process liveness: answers as long as the event loop runs."""
    return JSONResponse({"status": "ok"})


def _new_request_id() -> str:
    """What ``uuid.uuid4().hex`` gives (version and variant bits set), without building a
    ``UUID`` object: about 1% of a small query's CPU."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return raw.hex()


def _graphiql() -> GraphiQL:
    global _GRAPHIQL
    if _GRAPHIQL is None:  # its files are read once per process, not once per app
        _GRAPHIQL = GraphiQL(EXAMPLES)
    return _GRAPHIQL


class _Gateway:
    """The parts one app instance shares across requests."""

    def __init__(
        self, settings: Settings, registry: ExtensionRegistry, emulated: tuple[str, ...]
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.runtime: Runtime | None = None
        self.authenticator = Authenticator.from_settings(settings)
        self.metrics = GatewayMetrics(lambda: self.runtime)
        # With every upstream emulated nothing real can be harmed: development mode lets
        # anonymous callers write too, so GraphiQL's example mutations work out of the box.
        self.anonymous_writes = settings.development_mode and len(set(emulated)) == 3

    async def context(self, request: HTTPConnection) -> GatewayContext:
        assert self.runtime is not None, "the app's lifespan has not started"
        principal = await self.authenticator.authenticate_async(request.headers)
        if principal.kind == "anonymous" and self.anonymous_writes:
            principal = Principal("anonymous", frozenset({"read", "write"}), "anonymous")
        supplied = request.headers.get("x-request-id", "")
        begin_request(supplied if _REQUEST_ID.match(supplied) else _new_request_id())
        context = GatewayContext.build(
            self.runtime,
            accept_language=request.headers.get("accept-language"),
            principal=principal,
            request=request,
        )
        for hook in self.registry.request_hooks:
            await hook(context)
        return context

    async def writes_told(self) -> None:
        if self.runtime is not None:
            await self.runtime.writes_told()

    def on_result(self, request: HTTPConnection, result: ExecutionResult, seconds: float) -> None:
        stats = current_request()
        operation = stats.operation_name if stats else None
        if result.data is None and result.errors:
            outcome = "refused"
        else:
            outcome = "error" if result.errors else "ok"
        self.metrics.observe(operation, outcome, seconds)
        if not log.isEnabledFor(logging.INFO):
            return  # the line's fields cost more than the metrics: not made when not written
        codes = sorted({str((e.extensions or {}).get("code")) for e in result.errors or ()})
        log.info(
            "graphql request",
            extra={
                "request_id": stats.request_id if stats else None,
                "operation": operation,
                "operation_type": stats.operation_type if stats else None,
                "outcome": outcome,
                "error_codes": codes,
                "duration_ms": round(seconds * 1000, 2),
                "upstream_calls": dict(stats.upstream_calls) if stats else {},
                "cache_hits": stats.cache_hits if stats else 0,
                "cache_misses": stats.cache_misses if stats else 0,
                "coalesced": stats.coalesced if stats else 0,
            },
        )


def _response_cache(settings: Settings) -> ResponseCache | None:
    if not settings.cache_enabled or settings.response_cache_max_bytes <= 0:
        return None
    ttl = min(getattr(settings, name) for name in set(CACHE_RESOURCES.values()))
    if ttl <= 0:
        return None
    return ResponseCache(max_bytes=settings.response_cache_max_bytes, ttl=ttl)


def _enabled(value: bool | None, settings: Settings) -> bool:
    return settings.development_mode if value is None else value


def create_app(
    settings: Settings,
    *,
    registry: ExtensionRegistry | None = None,
    emulated: tuple[str, ...] = (),
) -> Starlette:
    """The gateway's ASGI app for ``settings`` (every upstream URL already resolved;
    ``emulated`` names the upstreams served by built-in emulators).

    Extensions named in ``settings.extensions`` are loaded now, so a broken one stops the
    start. The runtime (HTTP pools, cache, read model) opens with the app and closes with it.
    """
    registry = registry or load_extensions(settings.extensions)
    gateway = _Gateway(settings, registry, emulated)
    if settings.tracing:
        configure_tracing(on=True, otlp_endpoint=settings.otlp_endpoint)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with Runtime.build(settings, extensions=registry) as runtime:
            gateway.runtime = runtime
            app.state.runtime = runtime
            if endpoint.response_cache is not None:
                # Cleared when a job's chunks land (after the mutation that submitted it
                # answered) and, with Redis, by writes through the other processes.
                runtime.share_response_cache(endpoint.response_cache)
            if runtime.shared is not None:  # registered persisted queries: in Redis too
                endpoint.persisted.share(runtime.shared)
            yield
            gateway.runtime = None

    async def readyz(request: Request) -> Response:
        if gateway.runtime is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        ready, report = await readiness(gateway.runtime)
        return JSONResponse(report, status_code=200 if ready else 503)

    async def metrics(request: Request) -> Response:
        return Response(gateway.metrics.render(), media_type=CONTENT_TYPE)

    graphiql = _graphiql() if _enabled(settings.graphiql, settings) else None
    parse_limits = ParseLimits(
        settings.max_tokens, settings.max_query_depth, settings.max_repeated_fields
    )
    endpoint = GraphQLEndpoint(
        build_schema(settings, registry=registry),
        context_factory=gateway.context,
        graphiql_html=graphiql.page if graphiql else None,
        introspection=_enabled(settings.introspection, settings),
        batching=settings.batching_enabled,
        max_batch=settings.max_batch_size,
        on_result=gateway.on_result,
        response_cache=_response_cache(settings),
        may_read=lambda context: context.principal is None or context.principal.has("read"),
        after_write=gateway.writes_told,
        parse_limits=parse_limits,
        persisted=persisted_operations(settings),
    )
    # Subscriptions over WebSocket: the same schema, authentication, scopes and limits.
    websocket = GraphQLWebSocket(
        endpoint.schema,
        context_factory=gateway.context,
        introspection=endpoint.introspection,
        streams=endpoint.streams,
        on_result=gateway.on_result,
        max_message_bytes=settings.max_body_bytes,
        max_json_depth=settings.max_json_depth,
        parse_limits=parse_limits,
    )
    operator_routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    # With an admin listener, the public port keeps its probes but no longer shows metrics.
    public_routes = operator_routes if settings.admin_port is None else operator_routes[:2]
    app = Starlette(
        routes=[
            *public_routes,
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            # Trusted documents are checked on HTTP and SSE; WebSocket is off, not unchecked.
            *([] if settings.trusted_documents_only else [WebSocketRoute("/graphql", websocket)]),
            *([Route(ASSET_ROUTE, graphiql.asset, methods=["GET", "HEAD"])] if graphiql else []),
        ],
        middleware=security_middleware(settings),
        lifespan=lifespan,
    )
    admin = settings.admin_port is not None
    app.state.admin_app = Starlette(routes=operator_routes) if admin else None
    app.state.settings = settings
    app.state.metrics = gateway.metrics
    app.state.response_cache = endpoint.response_cache
    # Open SSE streams and WebSockets: call ``app.state.subscriptions.close()`` on the event
    # loop when shutdown begins (uvicorn runs the lifespan's shutdown only once they are gone).
    app.state.subscriptions = endpoint.streams
    return app
