"""The schema extensions' hooks, run by strawberry's lifecycle without its per-request wrapping.

strawberry runs each stage's hooks (``on_operation``, ``on_parse``, ``on_validate``,
``on_execute``) by looking every extension's hook up again, wrapping it in a
``contextlib.contextmanager`` (``functools.wraps`` included) and entering it on an exit stack,
for every request: on the N+1 benchmark (issue 17) that wrapping was about a seventh of the
gateway's CPU, more than the hooks themselves. ``install_direct_hooks(schema)`` gives the
schema an extensions runner (strawberry's ``create_extensions_runner``) that looks each
extension class's hooks up once and calls them as the generators they are:

| step | strawberry's runner | here |
| --- | --- | --- |
| enter a stage | each hook advanced to its ``yield``, in the extensions' order | the same |
| leave it | each hook resumed, in reverse order | the same |
| an exception inside | thrown into each hook, in reverse order; a hook may swallow it, or raise another | the same |
| a hook that is not a generator function (``async def``, plain function) | wrapped | the whole stage runs on strawberry's own runner |

So the hooks, their order and what they see are unchanged; only strawberry's bookkeeping
around them goes. Results of ``get_results`` are merged as strawberry merges them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator
from types import TracebackType
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

__all__ = ["DirectHooksRunner", "install_direct_hooks"]

_Hook = Callable[[SchemaExtension], Generator[None, None, None]]

# Per (extension class, hook name): its generator function, None (not overridden), or
# _WRAPPED (another kind of hook: the stage runs on strawberry's runner).
_WRAPPED: Any = object()
_HOOKS: dict[tuple[type[SchemaExtension], str], Any] = {}


def _hook_of(cls: type[SchemaExtension], name: str) -> Any:
    key = (cls, name)
    found = _HOOKS.get(key, _HOOKS)
    if found is _HOOKS:
        hook = getattr(cls, name)
        if hook is getattr(SchemaExtension, name):
            found = None
        elif inspect.isgeneratorfunction(hook):
            found = hook
        else:
            found = _WRAPPED
        _HOOKS[key] = found
    return found


def _own_results(cls: type[SchemaExtension]) -> bool:
    return cls.get_results is not SchemaExtension.get_results


class _DirectStage:
    """One stage's generator hooks, entered and left as ``contextlib.ExitStack`` would
    (usable with ``with`` and ``async with``: strawberry's sync and async paths)."""

    __slots__ = ("_hooks", "_running")

    def __init__(self, hooks: list[tuple[_Hook, SchemaExtension]]) -> None:
        self._hooks = hooks
        self._running: list[Generator[None, None, None]] = []

    def __enter__(self) -> None:
        for hook, extension in self._hooks:
            generator = hook(extension)
            try:
                next(generator)
            except StopIteration:
                raise RuntimeError("generator didn't yield") from None
            self._running.append(generator)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        pending = exc
        while self._running:
            pending = _leave(self._running.pop(), pending)
        if pending is exc:
            return False  # as it came: nothing, or the same exception going on
        if pending is None:
            return True  # a hook swallowed the exception
        raise pending

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        return self.__exit__(exc_type, exc, traceback)


def _leave(
    generator: Generator[None, None, None], pending: BaseException | None
) -> BaseException | None:
    """Resume one hook past its ``yield``: what goes on to the hooks entered before it."""
    if pending is None:
        try:
            next(generator)
        except StopIteration:
            return None
        except BaseException as raised:  # handed on, as contextlib does
            return raised
        return RuntimeError("generator didn't stop")
    try:
        generator.throw(pending)
    except StopIteration as stopped:
        # contextlib: a StopIteration thrown in and coming back out is not a swallow.
        return pending if stopped is pending else None
    except BaseException as raised:
        if raised is not pending and raised.__context__ is None:
            raised.__context__ = pending
        return raised
    return RuntimeError("generator didn't stop after throw()")


class DirectHooksRunner(SchemaExtensionsRunner):
    """strawberry's ``SchemaExtensionsRunner`` with generator hooks called directly."""

    def _stage(self, name: str, wrapped: type[ExtensionContextManagerBase]) -> Any:
        hooks: list[tuple[_Hook, SchemaExtension]] = []
        for extension in self.extensions:
            hook = _hook_of(type(extension), name)
            if hook is _WRAPPED:
                return wrapped(self.extensions)
            if hook is not None:
                hooks.append((hook, extension))
        return _DirectStage(hooks)

    def operation(self) -> Any:
        return self._stage("on_operation", OperationContextManager)

    def validation(self) -> Any:
        return self._stage("on_validate", ValidationContextManager)

    def parsing(self) -> Any:
        return self._stage("on_parse", ParsingContextManager)

    def executing(self) -> Any:
        return self._stage("on_execute", ExecutingContextManager)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        # SchemaExtension.get_results gives {}: only the extensions that override it add any.
        data: dict[str, Any] = {}
        for extension in self.extensions:
            if _own_results(type(extension)):
                data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data


def _direct_runner(
    execution_context: ExecutionContext, extensions: list[SchemaExtension]
) -> SchemaExtensionsRunner:
    return DirectHooksRunner(execution_context=execution_context, extensions=extensions)


def install_direct_hooks(schema: strawberry.Schema) -> None:
    """Run ``schema``'s extension hooks with ``DirectHooksRunner`` (strawberry's hook for the
    runner, ``create_extensions_runner``, set on this schema alone)."""
    schema.create_extensions_runner = _direct_runner  # type: ignore[method-assign]
