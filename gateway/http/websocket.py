"""GraphQL subscriptions over WebSocket: the graphql-transport-ws protocol (graphql-ws).

Mount it beside the HTTP endpoint, on the same path:
``WebSocketRoute("/graphql", GraphQLWebSocket(schema, context_factory=...))``.

| client sends | server answers |
| --- | --- |
| upgrade without subprotocol ``graphql-transport-ws`` | accept, then close 4406 |
| nothing within ``connection_init_timeout`` | close 4408 |
| ``connection_init`` (credentials in the upgrade headers or the payload) | ``connection_ack``; refused credentials: close 4403 |
| a second ``connection_init`` | close 4429 |
| ``subscribe`` before ``connection_ack`` | close 4401 |
| ``subscribe`` with an id in use | close 4409 |
| ``subscribe`` to a subscription | ``next`` per result, then ``complete`` |
| ``subscribe`` refused before execution (parse, validation, limits, scope) | one ``error`` |
| ``subscribe`` to a query or mutation | one ``error``: those go over HTTP (below) |
| ``complete`` | the operation stops; nothing is sent back |
| ``ping`` | ``pong`` |
| anything else: not text, not JSON, unknown type, bad fields | close 4400 |
| a message over ``max_message_bytes`` | close 1009 |
| (the server shuts down: ``OpenStreams.close()``) | close 1001 |

Authentication is the HTTP endpoint's: the context factory receives an ``HTTPConnection``
whose headers are the upgrade request's, except that ``x-api-key`` and ``authorization``
keys of the ``connection_init`` payload (any case) replace the upgrade's credentials, since
browsers cannot set headers on a WebSocket (``credentials``). The factory runs once at ``connection_init``
(an app error with status 401 or 403 closes 4403 Forbidden, any other failure 4500) and once
per ``subscribe``, so each operation has its own context (loaders, request id) and a
credential that has expired since is refused for new operations with an ``error``.

Only subscriptions are served: queries and mutations have HTTP, where CSRF prevention and
the response cache apply (a WebSocket upgrade is not subject to CORS).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.requests import HTTPConnection
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from gateway.http.credentials import InvalidCredentials, with_payload_credentials
from gateway.http.documents import DocumentChecks
from gateway.http.encoding import InvalidJson, dumps, loads
from gateway.http.outcomes import Outcome, outcome_of, payload_of
from gateway.http.params import GraphQLParams, params_from_body
from gateway.http.refusals import Refusal, app_refusal
from gateway.http.streams import OpenStreams, OperationStream, install_stream_hook
from gateway.security.guards import json_depth
from gateway.security.parsing import ParseLimits

__all__ = [
    "PROTOCOL",
    "ConnectionContextFactory",
    "ConnectionResultHook",
    "GraphQLWebSocket",
]

log = logging.getLogger("gateway.http")

PROTOCOL = "graphql-transport-ws"

ConnectionContextFactory = Callable[[HTTPConnection], Awaitable[Any]]
# on_result(connection, result, seconds): once per operation, when it ends or is refused.
ConnectionResultHook = Callable[[HTTPConnection, ExecutionResult, float], Awaitable[None] | None]

_SUBSCRIPTIONS = (OperationType.SUBSCRIPTION,)
_INTERNAL = "Internal server error."


class GraphQLWebSocket:
    """``GraphQLWebSocket(schema, context_factory=..., introspection=..., streams=...)``.

    | argument | meaning |
    | --- | --- |
    | ``context_factory`` | ``async (connection) -> context``; may raise an app error |
    | ``introspection`` | ``False`` refuses ``__schema`` / ``__type``, as over HTTP |
    | ``streams`` | the ``OpenStreams`` shared with the HTTP endpoint (shutdown) |
    | ``on_result`` | ``(connection, result, seconds)`` once per operation |
    | ``connection_init_timeout`` | seconds the client has to send ``connection_init`` |
    | ``max_operations`` | operations running at once on one connection |
    | ``max_message_bytes``, ``max_json_depth`` | the request guards' limits, per message |
    """

    def __init__(
        self,
        schema: strawberry.Schema,
        *,
        context_factory: ConnectionContextFactory,
        introspection: bool,
        streams: OpenStreams | None = None,
        on_result: ConnectionResultHook | None = None,
        connection_init_timeout: float = 3.0,
        max_operations: int = 100,
        max_message_bytes: int = 2_000_000,
        max_json_depth: int = 64,
        parse_limits: ParseLimits | None = None,
    ) -> None:
        self.schema = schema
        self.context_factory = context_factory
        self.checks = DocumentChecks(
            schema._schema, introspection=introspection, parse_limits=parse_limits
        )
        self.streams = streams if streams is not None else OpenStreams()
        self.on_result = on_result
        self.connection_init_timeout = connection_init_timeout
        self.max_operations = max_operations
        self.max_message_bytes = max_message_bytes
        self.max_json_depth = max_json_depth
        install_stream_hook(schema)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        if PROTOCOL not in scope.get("subprotocols", ()):
            await websocket.accept()
            await websocket.close(4406, "Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=PROTOCOL)
        if self.streams.closing:
            await websocket.close(1001, "The server is shutting down")
            return
        with self.streams.track():
            await _Connection(self, websocket).serve()


class _Connection:
    """One client's connection: its state, its operations, and the protocol's messages."""

    def __init__(self, owner: GraphQLWebSocket, websocket: WebSocket) -> None:
        self.owner = owner
        self.websocket = websocket
        self.connection: HTTPConnection = websocket
        self.initialised = False
        self.acknowledged = False
        self.operations: dict[str, asyncio.Task[None]] = {}  # by id, while the id is taken
        self.tasks: set[asyncio.Task[None]] = set()  # every operation still running
        self.closed = asyncio.get_running_loop().create_future()
        self._send_lock = asyncio.Lock()

    async def serve(self) -> None:
        reader = asyncio.ensure_future(self._read())
        timer = asyncio.ensure_future(self._init_timeout())
        closing = asyncio.ensure_future(self.owner.streams.wait_closing())
        try:
            await asyncio.wait((reader, closing, self.closed), return_when=asyncio.FIRST_COMPLETED)
            if closing.done() and not self.closed.done():
                await self.close(1001, "The server is shutting down")
        finally:
            tasks = [reader, timer, closing, *self.tasks]
            for task in tasks:
                task.cancel()
            for outcome in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(outcome, Exception):
                    log.error("WebSocket task failed", exc_info=outcome)

    # --- the wire ---------------------------------------------------------------------------

    def _mark_closed(self) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    async def close(self, code: int, reason: str) -> None:
        if self.closed.done():
            return
        self._mark_closed()
        # A close reason is at most 123 bytes of UTF-8.
        short = reason.encode()[:123].decode(errors="ignore")
        if self.websocket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):  # the client may be gone already
                await self.websocket.close(code, short)

    async def send(self, message: Mapping[str, Any]) -> bool:
        """Send one message; ``False`` when the connection is closed or the client gone."""
        if self.closed.done():
            return False
        async with self._send_lock:
            try:
                await self.websocket.send_text(dumps(message).decode())
            except (OSError, RuntimeError, WebSocketDisconnect):
                self._mark_closed()  # the client went away
                return False
        return True

    async def _read(self) -> None:
        while not self.closed.done():
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                self._mark_closed()
                return
            text = message.get("text")
            if text is None:
                await self.close(4400, "WebSocket messages must be text")
                return
            if len(text.encode()) > self.owner.max_message_bytes:
                await self.close(1009, "Message too big")
                return
            await self._dispatch(text)

    async def _init_timeout(self) -> None:
        await asyncio.sleep(self.owner.connection_init_timeout)
        if not self.initialised:
            await self.close(4408, "Connection initialisation timeout")

    # --- the protocol -----------------------------------------------------------------------

    async def _dispatch(self, text: str) -> None:
        if json_depth(text.encode()) > self.owner.max_json_depth:
            await self.close(4400, "The message is nested too deeply")
            return
        try:
            message = loads(text)
        except InvalidJson:
            await self.close(4400, "Invalid message received: not JSON")
            return
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "connection_init":
            await self._connection_init(message.get("payload"))
        elif kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "pong":
            pass
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            await self._complete(message)
        else:
            await self.close(4400, "Invalid message received: unknown type")

    async def _connection_init(self, payload: Any) -> None:
        if self.initialised:
            await self.close(4429, "Too many initialisation requests")
            return
        self.initialised = True
        if payload is not None and not isinstance(payload, dict):
            await self.close(4400, "Invalid connection_init payload")
            return
        try:
            self.connection = with_payload_credentials(self.websocket, payload or {})
        except InvalidCredentials as exc:
            await self.close(4400, f"Invalid connection_init payload: {exc}")
            return
        try:
            await self.owner.context_factory(self.connection)
        except Exception as exc:
            refusal = app_refusal(exc)
            if refusal is None:
                log.exception("context factory failed at connection_init")
                await self.close(4500, _INTERNAL)
            elif refusal.status in (401, 403):
                await self.close(4403, "Forbidden")
            else:
                await self.close(4500, refusal.message)
            return
        self.acknowledged = await self.send({"type": "connection_ack"})

    async def _subscribe(self, message: dict[str, Any]) -> None:
        if not self.acknowledged:
            await self.close(4401, "Unauthorized")
            return
        id_, payload = message.get("id"), message.get("payload")
        if not isinstance(id_, str) or not id_ or not isinstance(payload, dict):
            await self.close(4400, "Invalid message received: subscribe needs id and payload")
            return
        try:
            params = params_from_body(payload)
        except Refusal as refusal:
            await self.close(4400, f"Invalid message received: {refusal.message}")
            return
        if id_ in self.operations:
            await self.close(4409, f"Subscriber for {id_} already exists")
            return
        if len(self.operations) >= self.owner.max_operations:
            limit = self.owner.max_operations
            await self.error(id_, [GraphQLError(f"At most {limit} operations may run at once.")])
            return
        task = asyncio.ensure_future(_Operation(self, id_, params).run())
        self.operations[id_] = task
        self.tasks.add(task)
        task.add_done_callback(lambda done: self._forget(id_, done))

    def _forget(self, id_: str, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if self.operations.get(id_) is task:
            del self.operations[id_]

    async def _complete(self, message: dict[str, Any]) -> None:
        id_ = message.get("id")
        if not isinstance(id_, str):
            await self.close(4400, "Invalid message received: complete needs an id")
            return
        task = self.operations.pop(id_, None)
        if task is not None:
            task.cancel()

    async def error(self, id_: str, errors: list[GraphQLError]) -> None:
        await self.send({"id": id_, "type": "error", "payload": [e.formatted for e in errors]})


class _Operation:
    """One ``subscribe``: its context, its stream, its messages, its report."""

    def __init__(self, connection: _Connection, id_: str, params: GraphQLParams) -> None:
        self.connection = connection
        self.id = id_
        self.params = params
        self.summary = ExecutionResult(data={}, errors=None)

    async def run(self) -> None:
        started = time.perf_counter()
        try:
            await self._run()
        except Exception:
            log.exception("subscription %s failed", self.id)
            error = GraphQLError(_INTERNAL, extensions={"code": "INTERNAL_SERVER_ERROR"})
            self.summary = ExecutionResult(data={}, errors=[error])
            await self.connection.error(self.id, [error])
        finally:
            await self._report(time.perf_counter() - started)

    async def _run(self) -> None:
        owner, params = self.connection.owner, self.params
        if errors := owner.checks.errors(params.query, params.operation_name):
            await self._refuse(errors)
            return
        try:
            context = await owner.context_factory(self.connection.connection)
        except Exception as exc:
            refusal = app_refusal(exc)
            if refusal is None:
                raise
            await self._refuse([GraphQLError(refusal.message, extensions=refusal.extensions)])
            return
        stream = OperationStream(owner.schema, params, context, _SUBSCRIPTIONS).start()
        try:
            await self._relay(stream)
        finally:
            await stream.close()

    async def _relay(self, stream: OperationStream) -> None:
        first = await stream.opening()
        if first is not None:
            outcome = outcome_of(first)
            if not outcome.executed:
                await self._refuse(_explained(outcome))
                return
            await self._next(first)
        while (result := await stream.next()) is not None:
            if not await self._next(result):
                return
        if stream.failed:
            raise RuntimeError("the subscription's stream failed")
        await self.connection.send({"id": self.id, "type": "complete"})

    async def _next(self, result: ExecutionResult) -> bool:
        if result.errors and not self.summary.errors:
            self.summary = ExecutionResult(data={}, errors=result.errors)
        payload = payload_of(Outcome(result, executed=True))
        return await self.connection.send({"id": self.id, "type": "next", "payload": payload})

    async def _refuse(self, errors: list[GraphQLError]) -> None:
        self.summary = ExecutionResult(data=None, errors=errors)
        await self.connection.error(self.id, errors)

    async def _report(self, seconds: float) -> None:
        hook = self.connection.owner.on_result
        if hook is None:
            return
        try:
            returned = hook(self.connection.connection, self.summary, seconds)
            if inspect.isawaitable(returned):
                await returned
        except Exception:
            log.exception("on_result hook failed")


def _explained(outcome: Outcome) -> list[GraphQLError]:
    """The errors to send; a query or mutation is told where it belongs."""
    errors = list(outcome.result.errors or ())
    for error in errors:
        if isinstance(error.original_error, InvalidOperationTypeError):
            kind = error.original_error.operation_type.value
            return [
                GraphQLError(
                    f"{kind} operations are not served over WebSocket; send them over HTTP.",
                    extensions={"code": "BAD_REQUEST"},
                )
            ]
    return errors
