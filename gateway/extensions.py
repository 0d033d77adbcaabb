"""Extending the gateway without forking it: plain Python modules that register additions.

A module named in ``GATEWAY_EXTENSIONS`` (or passed to ``Gateway(extensions=[...])``)
defines ``register(registry: ExtensionRegistry) -> None``:

```python
def register(registry):
    registry.add_field("Product", "shout", lambda root: root.tid.upper())  # a new field
    registry.add_field("Product", "maker", loader="makers", key="maker_id",  # a loaded one
                       graphql_type=Maker | None, build=Maker.from_row)
    registry.add_query(MyQuery)                 # a strawberry type: its fields join Query
    registry.add_mutation(MyMutation)           # ... or Mutation
    registry.add_schema_extension(MyExtension)  # a strawberry SchemaExtension
    registry.add_request_hook(my_hook)          # async def my_hook(context) -> None
    registry.set_mapping("omnicommerce", my_mapping)  # see gateway.mappings
    registry.add_loader("users", users_by_id, upstream=MY_API)  # see gateway.extension_loaders
```

Resolvers added with ``add_field`` receive the GraphQL object as ``root`` and may take
``info: strawberry.Info`` to reach ``info.context.loaders``, ``.runtime`` (the clients) and
``.principal``; ``info.context.loader("users")`` is the request's loader an extension added
(its calls go through the gateway's transport and shared cache). Fields declared plannable
(a loaded field, ``context_only=True``; see ``gateway.extension_fields``) run on the fast
executor; others on graphql-core. An extension that cannot be imported, lacks ``register``,
or breaks the schema stops the gateway at start with an ``ExtensionError`` naming the module.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import strawberry
from strawberry.types.field import StrawberryField

from gateway.extension_fields import CONTEXT_ONLY, loaded_field
from gateway.extension_loaders import (
    BUILT_IN_UPSTREAMS,
    BatchFunction,
    ExtensionUpstream,
    LoaderSpec,
)

__all__ = [
    "ExtensionError",
    "ExtensionRegistry",
    "ExtensionUpstream",
    "RequestHook",
    "load_extensions",
]

RequestHook = Callable[[Any], Awaitable[None]]
_BUILD_LOCK = threading.Lock()


class ExtensionError(RuntimeError):
    """An extension could not be loaded or applied; the message names its module."""


@dataclass(slots=True)
class _AddedField:
    type_name: str
    field: StrawberryField
    module: str


@dataclass(slots=True)
class ExtensionRegistry:
    """What the loaded extensions add; ``register(registry)`` functions fill it."""

    fields: list[_AddedField] = field(default_factory=list)
    queries: list[type] = field(default_factory=list)
    mutations: list[type] = field(default_factory=list)
    schema_extensions: list[Any] = field(default_factory=list)
    request_hooks: list[RequestHook] = field(default_factory=list)
    mappings: dict[str, Callable[..., Any]] = field(default_factory=dict)
    loaders: dict[str, LoaderSpec] = field(default_factory=dict)
    modules: list[str] = field(default_factory=list)
    _current: str = "<api>"

    def add_field(
        self,
        type_name: str | type,
        name: str,
        resolver: Callable[..., Any] | None = None,
        *,
        description: str | None = None,
        context_only: bool = False,
        loader: str | None = None,
        key: str | Callable[[Any], Hashable] | None = None,
        build: Callable[[Any], Any] | None = None,
        graphql_type: Any = None,
    ) -> None:
        """Add field ``name`` (snake_case becomes camelCase) to an existing object type.

        Either ``resolver`` (``context_only=True``: it reads nothing of ``info`` but
        ``info.context``, so the fast executor may call it) or ``loader`` and ``key``: the
        field is ``build(await info.context.loader(loader).load(root.<key>))``, typed
        ``graphql_type``, and runs batched per level on the fast path
        (``gateway.extension_fields``)."""
        owner = type_name if isinstance(type_name, str) else type_name.__name__
        if loader is not None:
            if resolver is not None or key is None or graphql_type is None:
                raise ExtensionError(
                    f"extension {self._current}: field {name!r} with a loader takes key= and "
                    "graphql_type=, and no resolver"
                )
            added = loaded_field(
                loader,
                key=key,
                graphql_type=graphql_type,
                build=build,
                description=description,
            )
        elif resolver is None:
            raise ExtensionError(f"extension {self._current}: field {name!r} needs a resolver")
        else:
            added = strawberry.field(
                resolver=resolver,
                description=description,
                graphql_type=graphql_type,
                metadata=CONTEXT_ONLY if context_only else None,
            )
        added.python_name = name
        self.fields.append(_AddedField(owner, added, self._current))

    def add_query(self, query_type: type) -> None:
        self.queries.append(query_type)

    def add_mutation(self, mutation_type: type) -> None:
        self.mutations.append(mutation_type)

    def add_schema_extension(self, extension: Any) -> None:
        self.schema_extensions.append(extension)

    def add_request_hook(self, hook: RequestHook) -> None:
        """``await hook(context)`` runs before each operation, e.g. to audit or to enrich."""
        self.request_hooks.append(hook)

    def set_mapping(self, channel: str, mapping: Callable[..., Any]) -> None:
        """Replace the mapping of a PIM product onto ``channel`` (omnicommerce, citrusad)."""
        self.mappings[channel] = mapping

    def add_loader(
        self,
        name: str,
        batch: BatchFunction,
        *,
        upstream: ExtensionUpstream,
        max_batch_size: int | None = 100,
    ) -> None:
        """A loader ``info.context.loader(name)`` hands resolvers, one per request:
        ``await batch(keys, calls)`` returns one slot per key, ``calls`` reaching ``upstream``
        through the gateway's transport; see ``gateway.extension_loaders``."""
        if name in self.loaders:
            raise ExtensionError(f"extension {self._current}: loader {name!r} added twice")
        if upstream.name in BUILT_IN_UPSTREAMS:
            raise ExtensionError(
                f"extension {self._current}: upstream name {upstream.name!r} is the gateway's own"
            )
        for other in self.loaders.values():
            if other.upstream.name == upstream.name and other.upstream != upstream:
                raise ExtensionError(
                    f"extension {self._current}: upstream {upstream.name!r} declared twice, "
                    "differently"
                )
        self.loaders[name] = LoaderSpec(name, upstream, batch, max_batch_size, self._current)

    @contextmanager
    def fields_applied(self, types: dict[str, type]) -> Iterator[None]:
        """Temporarily add the extension fields to the types while a schema is built.

        Strawberry copies each type's fields into the GraphQL schema it builds, so the
        additions live on in that schema and the shared type stays clean for the next build.
        """
        with _BUILD_LOCK:
            saved = {name: list(t.__strawberry_definition__.fields) for name, t in types.items()}  # type: ignore[attr-defined]
            try:
                for added in self.fields:
                    target = types.get(added.type_name)
                    if target is None:
                        raise ExtensionError(
                            f"extension {added.module}: no type {added.type_name!r} to extend"
                        )
                    added.field.origin = target
                    target.__strawberry_definition__.fields.append(added.field)  # type: ignore[attr-defined]
                yield
            finally:
                for name, fields in saved.items():
                    types[name].__strawberry_definition__.fields[:] = fields  # type: ignore[attr-defined]


def _importable_from_current_directory() -> None:
    # ``python -m gateway`` puts the current directory first on sys.path, the ``gateway``
    # script does not; extensions sit beside the user (``examples.computed_field``) either way.
    # Appended, not prepended, so a local folder never shadows an installed package.
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)


def load_extensions(
    names: Sequence[str] = (), modules: Iterable[ModuleType] = ()
) -> ExtensionRegistry:
    """Import each named module (and take the given ones) and run its ``register``."""
    registry = ExtensionRegistry()
    loaded: list[ModuleType] = []
    if names:
        _importable_from_current_directory()
    for name in names:
        try:
            loaded.append(importlib.import_module(name))
        except Exception as exc:
            raise ExtensionError(f"extension {name} could not be imported: {exc}") from exc
    loaded.extend(modules)
    for module in loaded:
        register = getattr(module, "register", None)
        if not callable(register):
            raise ExtensionError(f"extension {module.__name__} has no register(registry) function")
        registry._current = module.__name__
        registry.modules.append(module.__name__)
        try:
            register(registry)
        except ExtensionError:
            raise
        except Exception as exc:
            raise ExtensionError(f"extension {module.__name__} failed to register: {exc}") from exc
    registry._current = "<api>"
    return registry
