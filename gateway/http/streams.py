"""Operations answered as a stream of results (SSE, WebSocket), and the registry of open ones.

``OperationStream`` runs ``schema.stream(...)`` in a task of its own and hands its results
over a small queue, so the transport can wait for a result, a disconnect and a shutdown at
once without ever moving strawberry's generator (and the context managers its extensions
hold open) from one task to another.

Before answering, a transport must know whether the operation was refused (a status, or a
graphql-transport-ws ``error``) or has begun: ``await stream.opening()`` returns

| what happened first | ``opening()`` |
| --- | --- |
| a subscription's event stream was created (its first event may come much later) | ``None`` |
| a query or mutation answered | its one result |
| parse, validation, scope or limit refusal | that result (``outcome_of`` says not executed) |

The moment a subscription begins is told by ``SubscriptionBegan``, a schema extension that
``install_stream_hook(schema)`` adds: it runs when strawberry's execute step ends, that is
when graphql-core has created the event stream, before the first event.

``OpenStreams`` counts open SSE streams and WebSocket connections; ``close()`` ends them all:
SSE streams stop without a ``complete`` event (the operation did not finish: graphql-sse
clients see a network error and may retry elsewhere) and WebSockets close with 1001
(Going Away, which graphql-ws clients retry). New ones are refused from then on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import strawberry
from graphql import GraphQLError, get_operation_ast
from graphql.execution.values import get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from gateway.http.params import GraphQLParams
from gateway.http.refusals import extensions_of

__all__ = [
    "OpenStreams",
    "OperationStream",
    "SubscriptionBegan",
    "install_stream_hook",
]

log = logging.getLogger("gateway.http")

_BEGAN: ContextVar[asyncio.Event | None] = ContextVar("gateway_subscription_began", default=None)
_QUEUE_SIZE = 16  # results waiting for a slow client before the subscription itself waits


class SubscriptionBegan(SchemaExtension):
    """Tells the ``OperationStream`` running this operation that its event stream exists.

    graphql-core answers a subscription whose variables do not coerce with a result instead
    of an event stream, like a query's: that is a request error, so it does not count as a
    beginning (the variables are coerced once more here to know it).
    """

    def on_execute(self) -> Iterator[None]:
        began = _BEGAN.get()
        context = self.execution_context
        begins = (
            began is not None
            and context.operation_type is OperationType.SUBSCRIPTION
            and _variables_coerce(context)
        )
        yield
        # Only reached when execution did not raise (a scope refusal raises before).
        if begins and began is not None:
            began.set()


def _variables_coerce(context: ExecutionContext) -> bool:
    document = context.graphql_document
    operation = get_operation_ast(document, context.operation_name) if document else None
    if operation is None:
        return False
    schema = context.schema._schema
    definitions = operation.variable_definitions or ()
    coerced = get_variable_values(schema, definitions, context.variables or {})
    return not isinstance(coerced, list)


def install_stream_hook(schema: strawberry.Schema) -> None:
    """Add ``SubscriptionBegan`` to ``schema``'s extensions (once; a no-op outside streams)."""
    if SubscriptionBegan not in schema.extensions:
        schema.extensions = (*schema.extensions, SubscriptionBegan)


@dataclass(frozen=True, slots=True)
class _End:
    error: BaseException | None = None


class OperationStream:
    """``OperationStream(schema, params, context, allowed).start()``; then ``opening()``,
    ``next()`` until it returns ``None``, and always ``close()``."""

    def __init__(
        self,
        schema: strawberry.Schema,
        params: GraphQLParams,
        context: object,
        allowed: Collection[OperationType],
    ) -> None:
        self._schema = schema
        self._params = params
        self._context = context
        self._allowed = tuple(allowed)
        self._queue: asyncio.Queue[ExecutionResult | _End] = asyncio.Queue(_QUEUE_SIZE)
        self._began = asyncio.Event()
        self._peeked: ExecutionResult | _End | None = None
        self._task: asyncio.Task[None] | None = None
        self.ended = False
        self.failed = False  # ended by an unexpected exception, not by the operation's end

    def start(self) -> OperationStream:
        self._task = asyncio.get_running_loop().create_task(self._produce())
        return self

    async def opening(self) -> ExecutionResult | None:
        """``None`` once a subscription has begun; else the operation's first result."""
        get = asyncio.ensure_future(self._queue.get())
        began = asyncio.ensure_future(self._began.wait())
        try:
            await asyncio.wait((get, began), return_when=asyncio.FIRST_COMPLETED)
        finally:
            began.cancel()
            if not get.done():
                get.cancel()  # asyncio.Queue.get gives up cleanly: no item is lost
        if self._began.is_set():
            if get.done() and not get.cancelled():
                self._peeked = get.result()  # an event right behind the start: keep it
            return None
        item = get.result()
        if isinstance(item, _End):
            self.ended = True
            raise RuntimeError("the operation ended without a result") from item.error
        return item

    async def next(self) -> ExecutionResult | None:
        """The next result, or ``None`` at the end (``failed`` tells how it ended)."""
        if self.ended:
            return None
        item, self._peeked = self._peeked, None
        if item is None:
            item = await self._queue.get()
        if isinstance(item, _End):
            self.ended = True
            self.failed = item.error is not None
            return None
        return item

    async def close(self) -> None:
        """Stop the operation (its generators are closed in their own task) and wait for it."""
        task = self._task
        if task is None or task.done():
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _produce(self) -> None:
        _BEGAN.set(self._began)
        params = self._params
        produced = False
        error: BaseException | None = None
        try:
            results = await self._schema.stream(
                params.query,
                variable_values=params.variables,
                context_value=self._context,
                operation_name=params.operation_name,
                operation_extensions=params.extensions,
                allowed_operation_types=self._allowed,
            )
            async with contextlib.aclosing(results):
                async for result in results:
                    if not isinstance(result, ExecutionResult):
                        raise TypeError("incremental delivery (@defer, @stream) is not streamed")
                    produced = True
                    await self._queue.put(result)
        except Exception as exc:
            # An extension may raise while parsing or validating (a limit, an app error):
            # ``Schema.execute`` answers that as a result, and so does a stream.
            refusal = None if produced else _as_graphql_error(exc)
            if refusal is None:
                log.exception("operation stream failed")
                error = exc
            else:
                await self._queue.put(ExecutionResult(data=None, errors=[refusal]))
        await self._queue.put(_End(error))


def _as_graphql_error(exc: Exception) -> GraphQLError | None:
    """A GraphQL error or an application error (one with ``extensions``) as a GraphQL error;
    ``None`` for anything else (a bug)."""
    if isinstance(exc, GraphQLError):
        return exc
    if extensions_of(exc) is None:
        return None
    message = getattr(exc, "message", None)
    return GraphQLError(message if isinstance(message, str) else str(exc), original_error=exc)


class OpenStreams:
    """The SSE streams and WebSocket connections open now; ``close()`` ends every one.

    Call ``close()`` on the server's event loop when shutdown *begins*: uvicorn runs the
    app's lifespan shutdown only after every connection has closed (or the grace period has
    run out), so a subscriber would otherwise hold the shutdown for the whole grace period.
    """

    def __init__(self) -> None:
        self._closing = False
        self._waiters: set[asyncio.Future[None]] = set()
        self._open = 0

    @property
    def closing(self) -> bool:
        return self._closing

    def __len__(self) -> int:
        return self._open

    def close(self) -> None:
        self._closing = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_closing(self) -> None:
        """Return once ``close()`` has been called (at once if it has)."""
        if self._closing:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await waiter
        finally:
            self._waiters.discard(waiter)

    @contextlib.contextmanager
    def track(self) -> Iterator[None]:
        """Count one open stream or connection for as long as the block runs."""
        self._open += 1
        try:
            yield
        finally:
            self._open -= 1
