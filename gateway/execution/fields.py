"""How the fast path calls one field: the Python behind a GraphQL field, taken from strawberry.

| field | ``Kind`` | called as |
| --- | --- | --- |
| no resolver (``tid: str``) | ``ATTRIBUTE`` | ``getattr(obj, python_name)`` |
| ``def name(self, info, locale=None)`` | ``SYNC`` | ``func(obj, info=..., locale=...)``, per object |
| ``async def node(self, info)`` with a batch in ``batch.batches()`` | ``BATCH`` | one ``batch.start(objs, ...)`` per level |
| any other ``async def`` | ``ASYNC`` | coroutines per object, gathered per level |
| ``__typename`` | ``TYPENAME`` | the concrete type's name |

``implementation(schema, field_def)`` answers ``None`` for what the fast path must not call
itself: strawberry field extensions or permissions, exception handlers, and resolvers that
do not live in the gateway's own ``schema`` package (extensions add those; they may read more
of ``info`` than ``info.context``, the only part the fast path's ``FastInfo`` carries) unless
the extension declared them plannable (``gateway.extension_fields``):

| extension field | ``Kind`` |
| --- | --- |
| ``loaded_field(loader, key=...)`` | ``BATCH``: ``context.loader(loader).load(key)`` per object, one batch per level |
| ``metadata=CONTEXT_ONLY`` | ``SYNC`` or ``ASYNC`` as above; a plain function (``root`` instead of ``self``) too |
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import strawberry
from graphql import GraphQLField
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.field import StrawberryField

from gateway.execution.batch import Batch, batches
from gateway.extension_fields import FAST_PATH, LoadedField

__all__ = ["FastInfo", "Implementation", "Kind", "implementation"]

# Resolvers of these packages read nothing of ``info`` but ``info.context`` (checked by the
# equivalence tests); anything else gets strawberry's full ``Info`` on the normal path.
_TRUSTED_PACKAGES = ("gateway.graphql.",)


class Kind(enum.Enum):
    TYPENAME = "typename"
    ATTRIBUTE = "attribute"
    SYNC = "sync"
    ASYNC = "async"
    BATCH = "batch"


class FastInfo:
    """The ``info`` fast-path resolvers receive: the request's context and nothing else."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


@dataclass(frozen=True, slots=True)
class Implementation:
    kind: Kind
    python_name: str
    func: Callable[..., Any] | None = None
    info_name: str | None = None
    source_names: tuple[str, ...] = ()  # keyword parameters that receive the parent (root=)
    arguments: tuple[StrawberryArgument, ...] = ()
    batch: Batch | None = None


TYPENAME = Implementation(Kind.TYPENAME, "__typename")
_NONE = object()


def implementation(schema: strawberry.Schema, field_def: GraphQLField) -> Implementation | None:
    """How to resolve ``field_def`` without graphql-core, or ``None`` if the fast path can't."""
    field = (field_def.extensions or {}).get("strawberry-definition")
    if not isinstance(field, StrawberryField) or field.extensions:
        return None
    if getattr(schema.schema_converter, "_exception_handler_specs", None):
        return None
    python_name = field.python_name
    resolver = field.base_resolver
    if resolver is None:
        return Implementation(Kind.ATTRIBUTE, python_name)
    metadata: Mapping[Any, Any] = field.metadata or {}
    declared = metadata.get(FAST_PATH)
    if isinstance(declared, LoadedField):
        return Implementation(Kind.BATCH, python_name, batch=_loaded_batch(declared))
    func: Callable[..., Any] = resolver.wrapped_func  # type: ignore[assignment]
    if declared is None and not getattr(func, "__module__", "").startswith(_TRUSTED_PACKAGES):
        return None
    if resolver.self_parameter is None:
        if declared is None or resolver.root_parameter is None:
            return None  # static and class methods: strawberry passes no source; rare, not ours
        func = _without_self(func)  # a declared plain function: the parent goes to ``root``
    info = resolver.info_parameter
    sources = tuple(
        p.name for p in (resolver.root_parameter, resolver.parent_parameter) if p is not None
    )
    sync = Implementation(
        Kind.SYNC,
        python_name,
        func=func,
        info_name=info.name if info is not None else None,
        source_names=sources,
        arguments=tuple(field.arguments),
    )
    if not field.is_async:
        return sync
    batch = batches().get(func)
    if batch is not None:
        return replace(sync, kind=Kind.BATCH, batch=batch)
    return replace(sync, kind=Kind.ASYNC)


def _without_self(func: Callable[..., Any]) -> Callable[..., Any]:
    def call(_obj: Any, /, **kwargs: Any) -> Any:
        return func(**kwargs)

    return call


def _loaded_batch(spec: LoadedField) -> Batch:
    """``spec``'s resolver for a whole level: the same keys, the same loader, no task each."""
    key_of, name = spec.key_of, spec.loader

    def start(objs: list[Any], kwargs: Any, context: Any) -> list[Any]:
        load = context.loader(name).load
        # Many objects share a key (posts by one user): the loader would hand each the same
        # future, but asking it once per key is cheaper than its own cache.
        futures: dict[Hashable, Any] = {None: None}
        slots = []
        for o in objs:
            key = key_of(o)
            future = futures.get(key, _NONE)
            if future is _NONE:
                future = futures[key] = load(key)
            slots.append(future)
        return slots

    return Batch(start, spec.value)
