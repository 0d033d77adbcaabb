"""GraphQL over Server-Sent Events: graphql-sse's "distinct connections mode".

A request whose ``Accept`` prefers ``text/event-stream`` (``negotiation.prefers_event_stream``)
is one operation answered as an event stream, through the same parameters, context factory
(authentication), scope checks and operation limits as any other request:

| request | answer |
| --- | --- |
| subscription, POST or GET | 200 ``text/event-stream``: ``event: next`` per result, then ``event: complete`` |
| query or mutation (mutations POST only) | 200, one ``next`` and ``complete`` |
| parse / validation / limits / unknown operation / scope refusal | before any event: 400 (or the error's own status, e.g. 403), ``application/graphql-response+json`` |
| no or bad credentials (the context factory refused) | 401 / 403, JSON, as over HTTP |
| mutation over GET | 405, ``Allow: POST`` |
| a batch (JSON array body) | 400 |
| the server is shutting down | 503, ``Retry-After: 1`` |

Each event's ``data`` is one line of JSON (``{"data": ..., "errors": [...]}``). A comment line
(``:``) goes out every ``keepalive_seconds`` while a subscription is quiet, so proxies keep the
connection open and a client that went away is noticed. When ``OpenStreams.close()`` is
called (shutdown) the stream ends without ``complete``: the operation did not finish, and a
graphql-sse client treats the cut as a network error it may retry.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.types import Receive, Scope, Send
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from gateway.http.documents import DocumentChecks
from gateway.http.encoding import dumps
from gateway.http.negotiation import EVENT_STREAM
from gateway.http.outcomes import Outcome, outcome_of, payload_of
from gateway.http.params import GraphQLParams
from gateway.http.refusals import Refusal
from gateway.http.streams import OpenStreams, OperationStream

__all__ = ["EventStream", "EventStreams", "StreamEnd"]

# on_end(summary, seconds): once, when the stream has ended (see ``EventStream``).
StreamEnd = Callable[[ExecutionResult, float], Awaitable[None]]

_GET = frozenset({OperationType.QUERY, OperationType.SUBSCRIPTION})
_POST = frozenset({OperationType.QUERY, OperationType.MUTATION, OperationType.SUBSCRIPTION})
_HEADERS = [
    (b"content-type", f"{EVENT_STREAM}; charset=utf-8".encode()),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # nginx: pass each event on at once
    (b"vary", b"Accept"),
]
_KEEPALIVE = b":\n\n"
_COMPLETE = b"event: complete\ndata:\n\n"


class EventStreams:
    """Opens event streams for one schema: ``await streams.open(method, params, context, on_end)``
    is either an ``Outcome`` (refused before streaming: answer it as JSON) or an
    ``EventStream`` (an ASGI response)."""

    def __init__(
        self,
        schema: strawberry.Schema,
        *,
        checks: DocumentChecks,
        streams: OpenStreams,
        keepalive_seconds: float = 15.0,
    ) -> None:
        self.schema = schema
        self.checks = checks
        self.streams = streams
        self.keepalive_seconds = keepalive_seconds

    async def open(
        self, method: str, params: GraphQLParams, context: Any, on_end: StreamEnd
    ) -> Outcome | EventStream:
        if self.streams.closing:
            raise Refusal(503, "The server is shutting down.", headers={"Retry-After": "1"})
        if errors := self.checks.errors(params.query, params.operation_name):
            return Outcome(ExecutionResult(data=None, errors=errors), executed=False)
        allowed = _GET if method == "GET" else _POST
        stream = OperationStream(self.schema, params, context, allowed).start()
        try:
            first = await stream.opening()
        except BaseException:
            await stream.close()
            raise
        if first is not None:
            outcome = outcome_of(first)
            if not outcome.executed:
                await stream.close()
                if _refused_type(first) is OperationType.MUTATION:
                    raise Refusal(
                        405,
                        "Mutations are not allowed over GET; use POST.",
                        headers={"Allow": "POST"},
                    )
                return outcome
        return EventStream(
            stream, first, self.streams, keepalive_seconds=self.keepalive_seconds, on_end=on_end
        )


def _refused_type(result: ExecutionResult) -> OperationType | None:
    for error in result.errors or ():
        if isinstance(error.original_error, InvalidOperationTypeError):
            return error.original_error.operation_type
    return None


class EventStream:
    """The ASGI response streaming one operation's results (see the module table)."""

    def __init__(
        self,
        stream: OperationStream,
        first: ExecutionResult | None,
        streams: OpenStreams,
        *,
        keepalive_seconds: float,
        on_end: StreamEnd,
    ) -> None:
        self._stream = stream
        self._first = first
        self._streams = streams
        self._keepalive = keepalive_seconds
        self._on_end = on_end
        self._summary: ExecutionResult = ExecutionResult(data={}, errors=None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        with self._streams.track():
            try:
                await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
                await self._pump(receive, send)
            except OSError:
                pass  # the client went away while an event was on its way
            finally:
                await self._stream.close()
                if self._stream.failed:
                    error = GraphQLError(
                        "Internal server error.", extensions={"code": "INTERNAL_SERVER_ERROR"}
                    )
                    self._summary = ExecutionResult(data={}, errors=[error])
                await self._on_end(self._summary, time.perf_counter() - started)

    async def _pump(self, receive: Receive, send: Send) -> None:
        if self._first is not None:
            await self._next(send, self._first)
        gone = asyncio.ensure_future(_disconnected(receive))
        closing = asyncio.ensure_future(self._streams.wait_closing())
        item: asyncio.Future[ExecutionResult | None] | None = None
        try:
            while True:
                if item is None:
                    item = asyncio.ensure_future(self._stream.next())
                done, _ = await asyncio.wait(
                    (item, gone, closing),
                    timeout=self._keepalive,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if item in done:
                    result, item = item.result(), None
                    if result is None:
                        break
                    await self._next(send, result)
                elif gone in done:
                    return  # nobody to tell
                elif closing in done:
                    break  # shutdown: end the body, without ``complete``
                else:
                    await _body(send, _KEEPALIVE)
        finally:
            for task in (item, gone, closing):
                if task is not None:
                    task.cancel()
        if self._stream.ended and not self._stream.failed:
            await _body(send, _COMPLETE)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _next(self, send: Send, result: ExecutionResult) -> None:
        if result.errors and not self._summary.errors:
            self._summary = ExecutionResult(data={}, errors=result.errors)
        payload = payload_of(Outcome(result, executed=True))
        await _body(send, b"event: next\ndata: " + dumps(payload) + b"\n\n")


async def _body(send: Send, chunk: bytes) -> None:
    await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
