"""The fast path's entry: graphql-core's ``execute`` replaced for the operations it can plan.

``GatewaySchema`` hands strawberry ``FastExecution.bind(execute)`` as its execute function,
so the fast path runs inside strawberry's own lifecycle: every schema extension (scopes,
limits, operation records and traces, error masking, extensions loaded at start) runs as
before, and only the execution of the operation itself changes.

| request | path |
| --- | --- |
| ``GATEWAY_FAST_EXECUTION=false`` (read from ``context.runtime.settings``), no such context | normal |
| a schema extension wraps resolvers (``resolve`` middleware) | normal |
| unknown operation, variables that don't coerce | normal (graphql-core reports them) |
| no plan (see ``plan.py``) | normal |
| planned | fast; on ``Restart`` again on the normal path with the same loaders, the field that failed answered with its error again, not called again |
| a bug in the fast path itself | logged, then the normal path |

Deadline: in a running event loop, with ``operation_deadline_seconds`` in the context's
settings, the operation opens its deadline (``gateway.deadlines``), which the transport reads
to end every upstream call before it. Past it, what is still pending becomes null with an
UPSTREAM_TIMEOUT error and the fields that finished keep their data: the fast path cancels
what it has in flight (``run.Run``); the normal path is given graphql-core's abort signal,
fired at the deadline, and answers with the partial result graphql-core settles into. Only
queries and mutations come here: a subscription is not bounded.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    AbortedGraphQLExecutionError,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    MiddlewareManager,
)
from graphql.execution import Executor
from graphql.pyutils import AbortController
from strawberry.utils.await_maybe import await_maybe

from gateway import deadlines
from gateway.execution.plan import OperationPlan, Planner
from gateway.execution.run import Restart, Run

__all__ = ["ExecuteFunction", "FastExecution", "FastStats", "fast_execution_enabled"]

log = logging.getLogger("gateway.execution")

# Past the deadline, the seconds graphql-core gets to settle its partial result (the aborted
# resolvers are cancelled; completing the rest is CPU only) before the answer is data: null.
_SETTLE_SECONDS = 0.5

ExecuteFunction = Callable[..., Any]
# The fast run's failed non-null fields (response path -> error), for the normal rerun.
Failed = Mapping[tuple[str | int, ...], Exception]


@dataclass(slots=True)
class FastStats:
    """How operations ran; the tests read it to prove which path was taken."""

    fast: int = 0  # answered by the fast path
    normal: int = 0  # not planned (or switched off): graphql-core from the start
    restarted: int = 0  # started fast, answered by graphql-core (see run.Restart)
    failed: int = 0  # the fast path raised unexpectedly (logged); graphql-core answered


def fast_execution_enabled(context: Any) -> bool:
    runtime = getattr(context, "runtime", None)
    settings = getattr(runtime, "settings", None)
    return bool(getattr(settings, "fast_execution", False))


def operation_deadline_seconds(context: Any) -> float | None:
    runtime = getattr(context, "runtime", None)
    seconds = getattr(getattr(runtime, "settings", None), "operation_deadline_seconds", None)
    return float(seconds) if isinstance(seconds, int | float) else None


class FastExecution:
    """``bind(execute)`` gives an execute function that takes the fast path when it can."""

    def __init__(self, schema: strawberry.Schema, *, plan_cache_size: int = 256) -> None:
        self._schema = schema
        self.planner = Planner(schema, cache_size=plan_cache_size)
        self.stats = FastStats()

    def bind(self, execute: ExecuteFunction) -> ExecuteFunction:
        def execute_fast_or_normal(
            schema: GraphQLSchema,
            document: DocumentNode,
            *args: Any,
            **kwargs: Any,
        ) -> Any:
            return self.execute(execute, schema, document, *args, **kwargs)

        return execute_fast_or_normal

    def execute(
        self,
        normal: ExecuteFunction,
        schema: GraphQLSchema,
        document: DocumentNode,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        seconds = operation_deadline_seconds(kwargs.get("context_value"))
        if seconds is None or args or not _in_event_loop():
            return self._execute(normal, schema, document, *args, **kwargs)
        return self._within(seconds, normal, schema, document, **kwargs)

    async def _within(
        self,
        seconds: float,
        normal: ExecuteFunction,
        schema: GraphQLSchema,
        document: DocumentNode,
        **kwargs: Any,
    ) -> ExecutionResult:
        with deadlines.within(seconds) as deadline:
            controller = AbortController()
            late = deadlines.passed()
            timer = asyncio.get_running_loop().call_at(deadline, controller.abort, late)
            try:
                return await await_maybe(
                    self._execute(
                        normal, schema, document, abort_signal=controller.signal, **kwargs
                    )
                )
            except AbortedGraphQLExecutionError as aborted:
                return await _partial(aborted, late)
            except Exception as exc:
                if exc is not late:
                    raise
                # Aborted before it began: a fast run restarted on the normal path too late.
                return _timed_out(late)
            finally:
                timer.cancel()

    def _execute(
        self,
        normal: ExecuteFunction,
        schema: GraphQLSchema,
        document: DocumentNode,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        started = self._start(schema, document, *args, **kwargs)
        if started is None:
            self.stats.normal += 1
            return normal(schema, document, *args, **kwargs)
        plan, executor = started

        def rerun(failed: Failed) -> Any:
            return normal(schema, document, *args, **_replaying(kwargs, failed))

        return self._run(plan, executor, rerun)

    def _start(
        self, schema: GraphQLSchema, document: DocumentNode, *args: Any, **kwargs: Any
    ) -> tuple[OperationPlan, Executor[Any]] | None:
        if args or not fast_execution_enabled(kwargs.get("context_value")):
            return None
        middleware = kwargs.get("middleware")
        if middleware is not None and getattr(middleware, "middlewares", None):
            return None
        executor = Executor.build(
            schema,
            document,
            root_value=kwargs.get("root_value"),
            context_value=kwargs.get("context_value"),
            raw_variable_values=kwargs.get("variable_values"),
            operation_name=kwargs.get("operation_name"),
        )
        if isinstance(executor, list):
            return None  # request errors: graphql-core words them
        # Only the executor's coerced arguments are used here. Its resolve-info helpers are
        # its own bound methods: a reference cycle that would keep the request's context, its
        # loaders and every record they hold until a full collection. The rerun on the normal
        # path builds an executor of its own.
        executor.async_helpers = None  # type: ignore[assignment]
        plan = self.planner.plan(
            document, executor.operation, executor.fragments, executor.variable_values
        )
        return None if plan is None else (plan, executor)

    async def _run(
        self,
        plan: OperationPlan,
        executor: Executor[Any],
        normal: Callable[[Failed], Awaitable[ExecutionResult] | ExecutionResult],
    ) -> ExecutionResult:
        run = Run(self._schema, executor.context_value, executor.variable_values)
        try:
            data = await run.execute(plan, executor.root_value, deadlines.current())
        except Restart:
            self.stats.restarted += 1
        except Exception:
            log.exception("the fast execution path failed; running the normal path")
            self.stats.failed += 1
        else:
            self.stats.fast += 1
            return ExecutionResult(data, run.errors or None)
        await run.settle()
        return await await_maybe(normal(run.failed))


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False  # strawberry's execute_sync: no loop, no deadline to keep
    return True


async def _partial(aborted: AbortedGraphQLExecutionError, late: Exception) -> ExecutionResult:
    """What graphql-core settles into once the abort cancelled its pending resolvers."""
    result = aborted.aborted_result
    if inspect.isawaitable(result):
        try:
            async with asyncio.timeout(_SETTLE_SECONDS):
                result = await result
        except Exception:
            log.warning("the partial result did not settle after the deadline", exc_info=True)
            result = None
    if isinstance(result, ExecutionResult):
        return result
    return _timed_out(late)


def _timed_out(late: Exception) -> ExecutionResult:
    return ExecutionResult(None, [GraphQLError(str(late), original_error=late)])


def _replaying(kwargs: dict[str, Any], failed: Failed) -> dict[str, Any]:
    """graphql-core's arguments, with a middleware answering ``failed`` fields with their error."""
    if not failed:
        return kwargs
    existing = getattr(kwargs.get("middleware"), "middlewares", None) or ()

    def replay(
        resolve: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any], **args: Any
    ) -> Any:
        error = failed.get(tuple(info.path.as_list()))
        if error is not None:
            raise error
        return resolve(root, info, **args)

    return {**kwargs, "middleware": MiddlewareManager(*existing, replay)}
