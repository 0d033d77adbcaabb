"""The gateway's GraphQL-over-HTTP endpoint: a plain ASGI app around a strawberry schema.

It speaks the GraphQL-over-HTTP draft as the ``graphql-http`` audit checks it:

| request | ``application/graphql-response+json`` | ``application/json`` |
| --- | --- | --- |
| executed (with or without field errors) | 200, ``data`` and ``errors`` | 200 |
| parse / validation / unknown operation / variable coercion error | 400, no ``data`` | 200, no ``data`` |
| malformed HTTP request (body, parameters, batch) | 400 | 400 |
| mutation over GET | 405, ``Allow: POST`` | 405 |
| ``context_factory`` raised an app error (``extensions`` + status) | its status | its status |

A request may name a persisted operation by hash instead of sending its text (``persisted``:
Apollo's automatic persisted queries, trusted documents); its refusals (e.g.
``PersistedQueryNotFound``) come before any GraphQL work.

A request whose ``Accept`` prefers ``text/event-stream`` is answered by ``sse`` instead (GraphQL
over SSE, subscriptions included); the endpoint's ``streams`` (``OpenStreams``) ends those
streams when ``streams.close()`` is called at shutdown.

Mount it with ``Route("/graphql", endpoint, methods=["GET", "POST"])``.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from gateway.http.documents import DocumentChecks
from gateway.http.encoding import InvalidJson, dumps, error_payload, loads
from gateway.http.hooks import install_direct_hooks
from gateway.http.negotiation import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    accepts_html,
    is_json_content_type,
    negotiate,
    prefers_event_stream,
)
from gateway.http.new_documents import NewDocuments
from gateway.http.outcomes import Outcome, not_executed, outcome_of, payload_of, status_of
from gateway.http.params import GraphQLParams, params_from_body, params_from_query
from gateway.http.persisted import PersistedOperations, Resolved
from gateway.http.refusals import Refusal, app_refusal
from gateway.http.response_cache import ResponseCache
from gateway.http.sse import EventStreams
from gateway.http.streams import OpenStreams, install_stream_hook
from gateway.observability.request_stats import RequestStats, current_request
from gateway.security.limits import validation_cache_of
from gateway.security.parsing import ParseLimits

__all__ = ["ContextFactory", "GraphQLEndpoint", "ResultHook"]

log = logging.getLogger("gateway.http")

ContextFactory = Callable[[Request], Awaitable[Any]]
# on_result(request, result, seconds): once per operation, and once per refused request
# (then ``result`` has no data and one error whose ``extensions.code`` says why).
ResultHook = Callable[[Request, ExecutionResult, float], Awaitable[None] | None]

_GET_OPERATIONS = frozenset({OperationType.QUERY})
_POST_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})


class GraphQLEndpoint:
    """``GraphQLEndpoint(schema, context_factory=..., graphiql_html=..., introspection=...)``.

    | argument | meaning |
    | --- | --- |
    | ``context_factory`` | ``async (request) -> context``; may raise an app error (see ``refusals``) |
    | ``graphiql_html`` | the page for a browser's GET without ``query``; ``None``: 404 |
    | ``introspection`` | ``False`` refuses ``__schema`` / ``__type`` as a validation error |
    | ``batching``, ``max_batch`` | a JSON array body runs up to ``max_batch`` operations |
    | ``on_result`` | ``(request, result, seconds)``, sync or async, for logs and metrics; an event stream reports once, when it ends |
    | ``streams`` | the ``OpenStreams`` registry to share with ``GraphQLWebSocket`` (else its own) |
    | ``keepalive_seconds`` | a comment line on a quiet event stream this often |
    | ``parse_limits`` | the lexical limits (tokens, depth, repeated fields) the schema applies too, so one parse per text serves both |
    | ``after_write`` | awaited after every executed mutation, before its answer is sent (with Redis: until the other processes have been told of the write) |
    | ``persisted`` | persisted operations by hash (``PersistedOperations``); default: APQ in memory |

    The endpoint adds ``SubscriptionBegan`` to the schema's extensions (see ``streams``) and
    runs their hooks directly (see ``hooks``).
    """

    def __init__(
        self,
        schema: strawberry.Schema,
        *,
        context_factory: ContextFactory,
        graphiql_html: str | None,
        introspection: bool,
        batching: bool = False,
        max_batch: int = 10,
        on_result: ResultHook | None = None,
        response_cache: ResponseCache | None = None,
        may_read: Callable[[Any], bool] | None = None,
        streams: OpenStreams | None = None,
        keepalive_seconds: float = 15.0,
        after_write: Callable[[], Awaitable[None]] | None = None,
        persisted: PersistedOperations | None = None,
        parse_limits: ParseLimits | None = None,
    ) -> None:
        self.schema = schema
        self.context_factory = context_factory
        self.graphiql_html = graphiql_html
        self.introspection = introspection
        self.batching = batching
        self.max_batch = max_batch
        self.on_result = on_result
        self.response_cache = response_cache
        self.after_write = after_write
        self.persisted = persisted if persisted is not None else PersistedOperations()
        self.may_read = may_read or (lambda context: True)
        # The same lexical limits as the schema's: one parse per text serves both.
        self._checks = DocumentChecks(
            schema._schema, introspection=introspection, parse_limits=parse_limits
        )
        self._new_documents = NewDocuments(
            schema._schema, self._checks.parse_limits, validation_cache_of(schema.extensions)
        )
        self.streams = streams if streams is not None else OpenStreams()
        install_stream_hook(schema)
        install_direct_hooks(schema)  # the same hooks, without strawberry's per-request wrapping
        self._event_streams = EventStreams(
            schema, checks=self._checks, streams=self.streams, keepalive_seconds=keepalive_seconds
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(Request(scope, receive))
        await response(scope, receive, send)

    async def handle(self, request: Request) -> ASGIApp:
        started = time.perf_counter()
        media = JSON
        try:
            if self._wants_graphiql(request):
                return self._graphiql()
            if prefers_event_stream(request.headers.get("accept")):
                media = GRAPHQL_RESPONSE_JSON  # for answers given before the stream starts
                return await self._event_stream(request)
            media = self._media_type(request)
            operations = await self._read(request)
            context = await self._context(request)
            if isinstance(operations, GraphQLParams):
                return await self._single(request, operations, context, media)
            outcomes = [await self._run_named(request, op, context) for op in operations]
            return self._batch_response(outcomes, media)
        except Refusal as refusal:
            await self._report(request, _refused(refusal), time.perf_counter() - started)
            return _refusal_response(refusal, media)

    # --- the request ------------------------------------------------------------------------

    def _wants_graphiql(self, request: Request) -> bool:
        if request.method != "GET":
            return False  # before the query string is parsed: most requests are POSTs
        names = request.query_params
        return not any(p in names for p in ("query", "extensions", "documentId")) and accepts_html(
            request.headers.get("accept")
        )

    def _graphiql(self) -> Response:
        if self.graphiql_html is None:
            raise Refusal(404, "GraphiQL is not enabled.")
        return HTMLResponse(self.graphiql_html)

    def _media_type(self, request: Request) -> str:
        _check_method(request)
        media = negotiate(request.headers.get("accept"))
        if media is None:
            raise Refusal(406, f"Acceptable media types are {GRAPHQL_RESPONSE_JSON} and {JSON}.")
        return media

    async def _read(self, request: Request) -> GraphQLParams | list[GraphQLParams]:
        if request.method == "GET":
            return params_from_query(request.query_params, persisted=True)
        if not is_json_content_type(request.headers.get("content-type")):
            raise Refusal(415, "The request body must be application/json (UTF-8).")
        body = await request.body()
        if not body.strip():
            raise Refusal(400, "The request body is empty.")
        try:
            decoded = loads(body)
        except InvalidJson:
            raise Refusal(400, "The request body is not valid JSON.") from None
        if not isinstance(decoded, list):
            return params_from_body(decoded, persisted=True)
        return self._batch(decoded)

    def _batch(self, decoded: list[Any]) -> list[GraphQLParams]:
        if not self.batching:
            raise Refusal(400, "Batched operations are not enabled.")
        if not decoded:
            raise Refusal(400, "The batch is empty.")
        if len(decoded) > self.max_batch:
            raise Refusal(400, f"A batch may hold at most {self.max_batch} operations.")
        return [params_from_body(item, persisted=True) for item in decoded]

    async def _context(self, request: Request) -> Any:
        try:
            return await self.context_factory(request)
        except Refusal:
            raise
        except Exception as exc:
            refusal = app_refusal(exc)
            if refusal is None:
                raise  # not an application error: a bug, for the app's 500 handling
            raise refusal from exc

    # --- execution --------------------------------------------------------------------------

    async def _event_stream(self, request: Request) -> ASGIApp:
        _check_method(request)
        params = await self._read(request)
        if not isinstance(params, GraphQLParams):
            raise Refusal(400, "A batch cannot be answered as an event stream.")
        context = await self._context(request)
        resolved = await self.persisted.resolve(params)
        params = resolved.params
        started = time.perf_counter()

        async def ended(summary: ExecutionResult, seconds: float) -> None:
            stats = current_request()
            if self.response_cache is not None and (
                stats is None or stats.operation_type == "mutation"
            ):
                self.response_cache.clear()
            await self._report(request, summary, seconds)

        opened = await self._event_streams.open(request.method, params, context, ended)
        if isinstance(opened, Outcome):
            await self._report(request, opened.result, time.perf_counter() - started)
            return self._single_response(opened, GRAPHQL_RESPONSE_JSON)
        await self.persisted.register(resolved)  # it passed validation and started
        return opened

    async def _single(
        self, request: Request, named: GraphQLParams, context: Any, media: str
    ) -> Response:
        resolved = await self.persisted.resolve(named)
        params = resolved.params
        cache = self.response_cache
        if cache is None:
            return self._single_response(await self._run(request, resolved, context), media)
        key = ResponseCache.key(
            params.query,
            params.operation_name,
            params.variables,
            media,
            request.headers.get("accept-language", ""),
        )
        if self.may_read(context) and (body := cache.get(key)) is not None:
            await self._report(request, ExecutionResult(data={}, errors=None), 0.0)
            await self.persisted.register(resolved)  # the cached answer is its run's
            return _body_response(body, 200, media)
        outcome = await self._run(request, resolved, context)
        body = dumps(payload_of(outcome))
        stats = current_request()
        read = stats is not None and stats.operation_type == "query" and stats.cacheable
        if outcome.executed and read and not outcome.result.errors:
            cache.put(key, body)
        return _body_response(body, status_of(outcome, media), media)

    async def _run_named(self, request: Request, named: GraphQLParams, context: Any) -> Outcome:
        """One operation of a batch: a persisted-operation refusal answers only that one."""
        try:
            resolved = await self.persisted.resolve(named)
        except Refusal as refusal:
            await self._report(request, _refused(refusal), 0.0)
            outcome = not_executed(refusal.message, refusal.extensions)
            outcome.status = refusal.status
            return outcome
        return await self._run(request, resolved, context)

    async def _run(self, request: Request, resolved: Resolved, context: Any) -> Outcome:
        started = time.perf_counter()
        outcome = await self._execute(request.method, resolved.params, context)
        await self._report(request, outcome.result, time.perf_counter() - started)
        if outcome.executed:
            await self.persisted.register(resolved)
            if _wrote(current_request()):
                await self._written()
        return outcome

    async def _written(self) -> None:
        if self.response_cache is not None:
            self.response_cache.clear()  # a write went out (even a partly failed one)
        if self.after_write is not None:
            # Before the answer leaves: a caller told "done" may read through another process
            # next, which must already have heard of the write.
            await self.after_write()

    async def _execute(self, method: str, params: GraphQLParams, context: Any) -> Outcome:
        await self._new_documents.prepare(params.query, params.operation_name)
        if errors := self._checks.errors(params.query, params.operation_name):
            return Outcome(ExecutionResult(data=None, errors=errors), executed=False)
        try:
            result = await self.schema.execute(
                params.query,
                params.variables,
                context,
                operation_name=params.operation_name,
                allowed_operation_types=_GET_OPERATIONS if method == "GET" else _POST_OPERATIONS,
                operation_extensions=params.extensions,
            )
        except InvalidOperationTypeError as exc:
            if method == "GET" and exc.operation_type is OperationType.MUTATION:
                raise Refusal(
                    405, "Mutations are not allowed over GET; use POST.", headers={"Allow": "POST"}
                ) from None
            if exc.operation_type is OperationType.SUBSCRIPTION:
                return not_executed(
                    "subscription operations are answered over SSE (Accept: text/event-stream) "
                    "or WebSocket (graphql-transport-ws), not as one JSON response."
                )
            return not_executed(f"{exc.operation_type.value} operations are not served over HTTP.")
        except CannotGetOperationTypeError as exc:
            if exc.operation_name is None:
                return not_executed("An operation name is required: the document has several.")
            return not_executed(f'Unknown operation named "{exc.operation_name}".')
        except MissingQueryError:
            return not_executed("The 'query' parameter is empty.")
        return outcome_of(result)

    async def _report(self, request: Request, result: ExecutionResult, seconds: float) -> None:
        if self.on_result is None:
            return
        try:
            returned = self.on_result(request, result, seconds)
            if inspect.isawaitable(returned):
                await returned
        except Exception:
            # Logging and metrics must never cost a client its answer.
            log.exception("on_result hook failed")

    # --- the response -----------------------------------------------------------------------

    def _single_response(self, outcome: Outcome, media: str) -> Response:
        return _json_response(payload_of(outcome), status_of(outcome, media), media)

    def _batch_response(self, outcomes: list[Outcome], media: str) -> Response:
        # An array answers per operation; the status is a request error's only when none ran.
        failed = [o for o in outcomes if not o.executed]
        status = 200 if len(failed) < len(outcomes) else status_of(failed[0], media)
        return _json_response([payload_of(o) for o in outcomes], status, media)


def _check_method(request: Request) -> None:
    if request.method not in ("GET", "POST"):
        raise Refusal(405, "Use GET or POST.", headers={"Allow": "GET, POST"})


def _refused(refusal: Refusal) -> ExecutionResult:
    return ExecutionResult(
        data=None, errors=[GraphQLError(refusal.message, extensions=refusal.extensions)]
    )


def _json_response(payload: Any, status: int, media: str) -> Response:
    return _body_response(dumps(payload), status, media)


def _body_response(body: bytes, status: int, media: str) -> Response:
    return Response(
        body, status_code=status, media_type=f"{media}; charset=utf-8", headers={"Vary": "Accept"}
    )


def _refusal_response(refusal: Refusal, media: str) -> Response:
    response = _json_response(
        error_payload(refusal.message, refusal.extensions), refusal.status, media
    )
    response.headers.update(refusal.headers)
    return response


def _wrote(stats: RequestStats | None) -> bool:
    # The operation's type as the schema recorded it while executing (no second parse); not
    # knowing it counts as a write, so nothing stale is kept.
    return stats is None or stats.operation_type != "query"
