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
| planned | fast; on ``Restart`` again on the normal path with the same loaders |
| a bug in the fast path itself | logged, then the normal path |
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import DocumentNode, ExecutionResult, GraphQLSchema
from graphql.execution import Executor
from strawberry.utils.await_maybe import await_maybe

from gateway.execution.plan import OperationPlan, Planner
from gateway.execution.run import Restart, Run

__all__ = ["ExecuteFunction", "FastExecution", "FastStats", "fast_execution_enabled"]

log = logging.getLogger("gateway.execution")

ExecuteFunction = Callable[..., Any]


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
        started = self._start(schema, document, *args, **kwargs)
        if started is None:
            self.stats.normal += 1
            return normal(schema, document, *args, **kwargs)
        plan, executor = started
        return self._run(plan, executor, lambda: normal(schema, document, *args, **kwargs))

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
        plan = self.planner.plan(
            document, executor.operation, executor.fragments, executor.variable_values
        )
        return None if plan is None else (plan, executor)

    async def _run(
        self,
        plan: OperationPlan,
        executor: Executor[Any],
        normal: Callable[[], Awaitable[ExecutionResult] | ExecutionResult],
    ) -> ExecutionResult:
        run = Run(self._schema, executor.context_value, executor.variable_values)
        try:
            data = await run.execute(plan, executor.root_value)
        except Restart:
            self.stats.restarted += 1
        except Exception:
            log.exception("the fast execution path failed; running the normal path")
            self.stats.failed += 1
        else:
            self.stats.fast += 1
            return ExecutionResult(data, run.errors or None)
        await run.settle()
        return await await_maybe(normal())
