"""``install_direct_hooks``: the schema extensions' hooks run in the same order, see the same
things and end the same way as on strawberry's own runner, exceptions included."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from gateway.http.hooks import DirectHooksRunner, install_direct_hooks

events: list[str] = []


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> str:
        events.append("resolve ok")
        return "yes"

    @strawberry.field
    def broken(self) -> str:
        raise ValueError("resolver failed")


def _recording(name: str) -> type[SchemaExtension]:
    class Recording(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            events.append(f"{name} operation in")
            yield
            result = self.execution_context.result
            events.append(f"{name} operation out {bool(getattr(result, 'errors', None))}")

        def on_parse(self) -> Iterator[None]:
            events.append(f"{name} parse in {self.execution_context.graphql_document is None}")
            yield
            events.append(f"{name} parse out")

        def on_validate(self) -> Iterator[None]:
            events.append(f"{name} validate in")
            yield
            errors = self.execution_context.pre_execution_errors
            events.append(f"{name} validate out {len(errors or ())}")

        def on_execute(self) -> Iterator[None]:
            events.append(f"{name} execute in {self.execution_context.operation_type.value}")
            yield
            events.append(f"{name} execute out")

        def get_results(self) -> dict[str, Any]:
            return {name: "result"}

    return Recording


class RaisesOnExecute(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        events.append("raiser in")
        if self.execution_context.query and "ok" in self.execution_context.query:
            raise PermissionError("refused by an extension")
        yield


class SwallowsThenRaises(SchemaExtension):
    """Replaces an exception thrown into it with another."""

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except PermissionError as exc:
            events.append(f"swallower saw {exc}")
            raise LookupError("replaced") from exc


class AsyncHook(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        events.append("async in")
        yield
        events.append("async out")


def _schemas(*extensions: type[SchemaExtension]) -> tuple[strawberry.Schema, strawberry.Schema]:
    plain = strawberry.Schema(Query, extensions=list(extensions))
    direct = strawberry.Schema(Query, extensions=list(extensions))
    install_direct_hooks(direct)
    return plain, direct


async def _run(schema: strawberry.Schema, query: str) -> tuple[list[str], Any]:
    events.clear()
    try:
        result = await schema.execute(query)
    except Exception as exc:  # the same exception, whichever runner
        return list(events), f"raised {type(exc).__name__}: {exc}"
    errors = [e.formatted for e in result.errors or ()]
    return list(events), (result.data, errors, result.extensions)


QUERIES = ["{ ok }", "{ broken }", "{ nope }", "{ ok", "query A { ok } query B { ok }"]


@pytest.mark.parametrize("query", QUERIES)
async def test_hooks_run_alike(query: str) -> None:
    plain, direct = _schemas(_recording("first"), _recording("second"))
    expected = await _run(plain, query)
    assert expected[0]  # the hooks did run
    assert await _run(direct, query) == expected


@pytest.mark.parametrize("query", ["{ ok }", "{ broken }"])
async def test_an_exception_goes_through_the_hooks_alike(query: str) -> None:
    plain, direct = _schemas(_recording("a"), SwallowsThenRaises, RaisesOnExecute)
    expected = await _run(plain, query)
    assert await _run(direct, query) == expected
    if query == "{ ok }":
        assert "swallower saw refused by an extension" in expected[0]


async def test_a_stage_with_an_async_hook_runs_on_strawberrys_runner() -> None:
    plain, direct = _schemas(_recording("a"), AsyncHook)
    expected = await _run(plain, "{ ok }")
    assert "async out" in expected[0]
    assert await _run(direct, "{ ok }") == expected
    runner = direct.create_extensions_runner(None, [AsyncHook(), _recording("b")()])  # type: ignore[arg-type]
    assert isinstance(runner, DirectHooksRunner)
    assert type(runner.executing()).__name__ == "ExecutingContextManager"
    assert type(runner.operation()).__name__ == "_DirectStage"


def test_the_sync_path_runs_alike() -> None:
    plain, direct = _schemas(_recording("first"), _recording("second"))
    for query in QUERIES:
        events.clear()
        expected = plain.execute_sync(query)
        seen = list(events)
        events.clear()
        got = direct.execute_sync(query)
        assert events == seen
        assert (got.data, got.errors, got.extensions) == (
            expected.data,
            expected.errors,
            expected.extensions,
        )
