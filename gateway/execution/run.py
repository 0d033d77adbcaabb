"""Running a plan: breadth-first by level, one resolver loop per field for all its objects.

A level is the objects of one concrete type under one selection (e.g. the 100 products of
``products(tids:)``). For each field of the plan, in response order, the level:

* ``__typename``, attributes and sync resolvers: calls them in a tight loop;
* batched async fields (``batch.py``): starts one batch for the whole level;
* other async resolvers: gathers their coroutines, one gather per level;

then completes the values: leaves serialized as graphql-core does, objects grouped by their
concrete type into the next levels, which run at once. Loader futures and gathers in flight
are awaited together; each one finishing completes its field and starts the levels below.
Every load started in one pass of the event loop joins the same DataLoader batch, so the
call counts match the normal path's.

Errors: an exception from a nullable field's resolver puts null there and a located
``GraphQLError`` (graphql-core's ``located_error``: same message, locations and path) in the
result. Anything whose exact answer needs graphql-core's own completion raises ``Restart``
instead and the operation runs again on the normal path: a null or error where the type is
non-null (propagation to the parent), a value its type can't serialize, an object of an
unexpected type, argument values that fail to coerce. The per-request loaders keep what
the fast run loaded, so the rerun costs no second upstream call for it; a field whose error
caused the restart is kept in ``failed`` (by response path), and the rerun answers it with
that same error instead of calling its resolver again (a resolver that calls an upstream
without a loader would otherwise cost a hung upstream its deadline twice).

Deadline: ``execute(plan, root, deadline=...)`` (loop time) stops waiting when it passes: every
field still in flight is cancelled and answers null with the operation's UPSTREAM_TIMEOUT
error (``gateway.deadlines.passed``) at each of its paths; what finished keeps its data. A
non-null field among them restarts as above, and the normal path answers for the deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from operator import attrgetter
from typing import Any

import strawberry
from graphql import GraphQLError, located_error
from graphql.execution.values import VariableValues, get_argument_values
from graphql.pyutils import Undefined
from strawberry.types.arguments import convert_arguments

from gateway import deadlines
from gateway.execution.fields import FastInfo, Kind
from gateway.execution.plan import FieldPlan, ObjectPlan, OperationPlan

__all__ = ["Restart", "Run", "path_list"]

# A response path as a linked list: (parent path, key or index); None is the root.
Path = tuple[Any, str | int] | None
# What a field in flight does when its future is done, and when the deadline passes first.
Finish = Callable[[], None]
Expire = Callable[[Exception], None]


class Restart(Exception):
    """The fast path met a case whose answer only graphql-core gives exactly."""


def path_list(path: Path) -> list[str | int]:
    keys: list[str | int] = []
    while path is not None:
        path, key = path
        keys.append(key)
    keys.reverse()
    return keys


class Run:
    """One execution of a plan for one request."""

    __slots__ = (
        "_inflight",
        "_seq",
        "context",
        "errors",
        "failed",
        "info",
        "schema",
        "variables",
    )

    def __init__(self, schema: strawberry.Schema, context: Any, variables: VariableValues) -> None:
        self.schema = schema
        self.context = context
        self.info = FastInfo(context)
        self.variables = variables
        self.errors: list[GraphQLError] = []
        # The error of a non-null field that made the run restart, by its response path.
        self.failed: dict[tuple[str | int, ...], Exception] = {}
        self._inflight: dict[asyncio.Future[Any], tuple[int, Finish, Expire]] = {}
        self._seq = 0

    async def execute(
        self, plan: OperationPlan, root: Any, deadline: float | None = None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {}
        self._level(plan.root, [root], [data], [None])
        inflight = self._inflight
        loop = asyncio.get_running_loop()
        while inflight:
            timeout = None if deadline is None else deadline - loop.time()
            if timeout is not None and timeout <= 0:
                self._expire()
                break
            done, _ = await asyncio.wait(
                list(inflight), timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            # In the order they were started, so errors are listed in a stable order.
            for future in sorted(done, key=lambda f: inflight[f][0]):
                _, finish, _ = inflight.pop(future)
                finish()
        return data

    def _expire(self) -> None:
        """The deadline passed: what is in flight is cancelled and answers UPSTREAM_TIMEOUT."""
        error = deadlines.passed()
        pending = sorted(self._inflight.items(), key=lambda item: item[1][0])
        self._inflight.clear()
        for future, (_, _, expire) in pending:
            future.cancel()
            expire(error)

    async def settle(self) -> None:
        """Let whatever is still in flight finish (before a restart reuses the loaders)."""
        while self._inflight:
            pending = list(self._inflight)
            self._inflight.clear()
            await asyncio.wait(pending)

    # --- levels -----------------------------------------------------------------------------

    def _level(
        self, plan: ObjectPlan, objs: list[Any], outs: list[dict[str, Any]], paths: list[Path]
    ) -> None:
        for f in plan.fields:
            kind = f.impl.kind
            if kind is Kind.TYPENAME:
                name = plan.type_name
                for out in outs:
                    out[f.key] = name
            elif kind is Kind.ATTRIBUTE:
                self._complete(f, self._attributes(f, objs), outs, paths)
            elif kind is Kind.SYNC:
                self._complete(f, self._call(f, objs), outs, paths)
            else:
                for out in outs:
                    out[f.key] = None  # a placeholder: keys keep the selection's order
                if kind is Kind.BATCH:
                    self._start_batch(f, objs, outs, paths)
                else:
                    self._start_async(f, objs, outs, paths)

    def _attributes(self, f: FieldPlan, objs: list[Any]) -> list[Any]:
        name = f.impl.python_name
        try:
            return list(map(attrgetter(name), objs))  # the loop in C
        except Exception:
            return [_attempt(getattr, o, name) for o in objs]

    def _call(self, f: FieldPlan, objs: list[Any]) -> list[Any]:
        func = f.impl.func
        assert func is not None
        kwargs = self._kwargs(f)
        if f.impl.source_names:
            return [
                _attempt(func, o, **kwargs, **dict.fromkeys(f.impl.source_names, o)) for o in objs
            ]
        try:
            # Resolvers are pure reads: after a failure, calling each again isolates it.
            if kwargs:
                return [func(o, **kwargs) for o in objs]
            return list(map(func, objs))  # the loop in C
        except Exception:
            return [_attempt(func, o, **kwargs) for o in objs]

    def _start_batch(
        self, f: FieldPlan, objs: list[Any], outs: list[dict[str, Any]], paths: list[Path]
    ) -> None:
        batch = f.impl.batch
        assert batch is not None
        try:
            slots = batch.start(objs, self._kwargs(f, with_info=False), self.context)
        except Exception as exc:
            raise Restart from exc
        futures = {s for s in slots if isinstance(s, asyncio.Future)}
        if not futures:
            self._complete(f, slots, outs, paths)
            return

        def finish() -> None:
            # Many slots share a record (a definition for every value of its attribute):
            # build each record once, as the resolvers' objects are read-only.
            built: dict[int, Any] = {}
            values = []
            for s in slots:
                if isinstance(s, asyncio.Future):
                    value = built.get(id(s), Undefined)
                    if value is Undefined:
                        value = built[id(s)] = _built(s, batch.build)
                    values.append(value)
                else:
                    values.append(s)
            self._complete(f, values, outs, paths)

        self._await(_all_done(futures), finish, self._expiry(f, len(objs), outs, paths))

    def _start_async(
        self, f: FieldPlan, objs: list[Any], outs: list[dict[str, Any]], paths: list[Path]
    ) -> None:
        func = f.impl.func
        assert func is not None
        kwargs = self._kwargs(f)
        sources = f.impl.source_names
        coroutines = [func(o, **kwargs, **dict.fromkeys(sources, o)) for o in objs]
        gathered = asyncio.gather(*coroutines, return_exceptions=True)
        self._await(
            gathered,
            lambda: self._complete(f, gathered.result(), outs, paths),
            self._expiry(f, len(objs), outs, paths),
        )

    def _await(self, future: asyncio.Future[Any], finish: Finish, expire: Expire) -> None:
        self._seq += 1
        self._inflight[future] = (self._seq, finish, expire)

    def _expiry(
        self, f: FieldPlan, count: int, outs: list[dict[str, Any]], paths: list[Path]
    ) -> Expire:
        return lambda error: self._complete(f, [error] * count, outs, paths)

    def _kwargs(self, f: FieldPlan, *, with_info: bool = True) -> dict[str, Any]:
        kwargs = f.static_kwargs
        if kwargs is None:
            assert f.field_def is not None
            try:
                raw = get_argument_values(f.field_def, f.nodes[0], self.variables)
                kwargs = convert_arguments(
                    raw,
                    list(f.impl.arguments),
                    scalar_registry=self.schema.schema_converter.scalar_registry,
                    config=self.schema.config,
                    info=self.info,  # type: ignore[arg-type]
                )
            except Exception as exc:
                raise Restart from exc
        info_name = f.impl.info_name
        if with_info and info_name is not None:
            return {**kwargs, info_name: self.info}
        return kwargs

    # --- completing values ------------------------------------------------------------------

    def _complete(
        self, f: FieldPlan, values: list[Any], outs: list[dict[str, Any]], paths: list[Path]
    ) -> None:
        if f.leaf is None:
            self._objects(f, values, outs, paths)
        elif f.is_list:
            key = f.key
            for i, value in enumerate(values):
                if value is None or isinstance(value, Exception):
                    self._null(f, value, paths[i])
                    outs[i][key] = None
                else:
                    outs[i][key] = self._leaf_list(f, value)
        else:
            self._leaves(f, values, outs, paths)

    def _leaves(
        self, f: FieldPlan, values: list[Any], outs: list[dict[str, Any]], paths: list[Path]
    ) -> None:
        key = f.key
        identity = f.identity_type
        for i, (out, value) in enumerate(zip(outs, values, strict=True)):
            if type(value) is identity:
                out[key] = value
            elif value is None or isinstance(value, Exception):
                self._null(f, value, paths[i])
                out[key] = None
            else:
                out[key] = self._coerce(f, value)

    def _leaf_list(self, f: FieldPlan, value: Any) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise Restart
        identity = f.identity_type
        out: list[Any] = []
        for item in value:
            if type(item) is identity:
                out.append(item)
            elif item is None and f.items_nullable:
                out.append(None)
            elif item is None or isinstance(item, Exception):
                raise Restart
            else:
                out.append(self._coerce(f, item))
        return out

    @staticmethod
    def _coerce(f: FieldPlan, value: Any) -> Any:
        assert f.leaf is not None
        member = value.__class__ is f.enum_class
        if member:
            known = f.enum_names.get(id(value))
            if known is not None:
                return known
        try:
            coerced = f.leaf.coerce_output_value(value)
        except Exception as exc:
            raise Restart from exc
        if coerced is None or coerced is Undefined:
            raise Restart
        if member:
            f.enum_names[id(value)] = coerced
        return coerced

    def _objects(
        self, f: FieldPlan, values: list[Any], outs: list[dict[str, Any]], paths: list[Path]
    ) -> None:
        groups = _Groups()
        if f.is_list:
            self._object_lists(f, values, outs, paths, groups)
        else:
            key, by_class, add = f.key, f.by_class, groups.add
            for i, value in enumerate(values):
                # The class decides first: None and exceptions never map to a plan.
                plan = by_class.get(type(value))
                if plan is None:
                    if value is None or isinstance(value, Exception):
                        self._null(f, value, paths[i])
                        outs[i][key] = None
                        continue
                    plan = _learn_class(f, value)
                outs[i][key] = add(plan, value, (paths[i], key))
        for plan, (objs, child_outs, child_paths) in groups.items():
            self._level(plan, objs, child_outs, child_paths)

    def _object_lists(
        self,
        f: FieldPlan,
        values: list[Any],
        outs: list[dict[str, Any]],
        paths: list[Path],
        groups: _Groups,
    ) -> None:
        key, by_class = f.key, f.by_class
        # The group of the plan met last, at hand: a list's items are mostly of one class.
        last: ObjectPlan | None = None
        objs: list[Any] = []
        child_outs: list[dict[str, Any]] = []
        child_paths: list[Path] = []
        for i, value in enumerate(values):
            if value is None or isinstance(value, Exception):
                self._null(f, value, paths[i])
                outs[i][key] = None
                continue
            if not isinstance(value, list | tuple):
                raise Restart  # graphql-core words what else it accepts or refuses
            path: Path = (paths[i], key)
            children: list[Any] = []
            for j, item in enumerate(value):
                plan = by_class.get(type(item))
                if plan is None:
                    if item is None and f.items_nullable:
                        children.append(None)
                        continue
                    plan = _learn_class(f, item)
                if plan is not last:
                    objs, child_outs, child_paths = groups.group(plan)
                    last = plan
                out: dict[str, Any] = {}
                objs.append(item)
                child_outs.append(out)
                child_paths.append((path, j))
                children.append(out)
            outs[i][key] = children

    def _null(self, f: FieldPlan, value: Any, parent: Path) -> None:
        """A null here: an error for an exception; non-null types propagate (normal path)."""
        if not f.nullable:
            if isinstance(value, Exception):
                self.failed[tuple(path_list((parent, f.key)))] = value
            raise Restart
        if isinstance(value, Exception):
            self.errors.append(located_error(value, f.nodes, path_list((parent, f.key))))


class _Groups:
    """The next levels: objects, their response dicts and paths, by plan (in first-seen
    order). Most fields have one plan, so the last one used is kept at hand."""

    __slots__ = ("_by_plan", "_last", "_last_group")

    def __init__(self) -> None:
        self._by_plan: dict[ObjectPlan, tuple[list[Any], list[dict[str, Any]], list[Path]]] = {}
        self._last: ObjectPlan | None = None
        self._last_group: tuple[list[Any], list[dict[str, Any]], list[Path]] = ([], [], [])

    def group(self, plan: ObjectPlan) -> tuple[list[Any], list[dict[str, Any]], list[Path]]:
        """The objects, response dicts and paths of ``plan``'s level, to append to."""
        group = self._by_plan.get(plan)
        if group is None:
            group = self._by_plan[plan] = ([], [], [])
        return group

    def add(self, plan: ObjectPlan, obj: Any, path: Path) -> dict[str, Any]:
        if plan is not self._last:
            self._last, self._last_group = plan, self.group(plan)
        objs, outs, paths = self._last_group
        out: dict[str, Any] = {}
        objs.append(obj)
        outs.append(out)
        paths.append(path)
        return out

    def items(self) -> Any:
        return self._by_plan.items()


def _learn_class(f: FieldPlan, item: Any) -> ObjectPlan:
    """The plan for ``type(item)`` here, remembered; ``Restart`` for a null item in a
    non-null list or an object whose type graphql-core would refuse."""
    plan = _plan_for_class(f, item)
    if plan is None:
        raise Restart
    f.by_class[type(item)] = plan
    return plan


def _plan_for_class(f: FieldPlan, item: Any) -> ObjectPlan | None:
    """The plan for objects of ``type(item)`` here, as strawberry would type them."""
    if item is None or isinstance(item, Exception):
        return None
    if f.abstract:
        definition = getattr(type(item), "__strawberry_definition__", None)
        if definition is None or definition.is_graphql_generic:
            return None
        return f.children.get(definition.name)
    (plan,) = f.children.values()
    is_type_of = plan.graphql_type.is_type_of
    # strawberry's is_type_of reads only the object (isinstance and strawberry.cast).
    if is_type_of is not None and not is_type_of(item, None):  # type: ignore[arg-type]
        return None
    return plan


def _all_done(futures: set[asyncio.Future[Any]]) -> asyncio.Future[None]:
    """A future done when all of ``futures`` are; lighter than ``gather`` (no result list)."""
    waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    pending = [f for f in futures if not f.done()]
    count = len(pending)
    if not count:
        waiter.set_result(None)
        return waiter

    def one_done(_: asyncio.Future[Any]) -> None:
        nonlocal count
        count -= 1
        if not count and not waiter.done():
            waiter.set_result(None)

    for future in pending:
        future.add_done_callback(one_done)
    return waiter


def _attempt(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except Exception as exc:
        return exc


def _built(future: asyncio.Future[Any], build: Callable[[Any], Any]) -> Any:
    error = future.exception()
    if error is not None:
        return error
    return _attempt(build, future.result())
