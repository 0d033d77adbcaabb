"""Extension fields declared plannable: the fast executor (``gateway.execution``) runs them.

graphql-core and strawberry resolve an extension's field once per object (a task, an info
and a path each); the fast executor resolves a whole level of objects at once, but it can
only call what it knows reads nothing of ``info`` beyond ``info.context`` (its ``FastInfo``).
The gateway's own resolvers are known; an extension's are when it says so:

| declaration | the field's value | on the fast path |
| --- | --- | --- |
| ``title: str`` (a plain attribute of an extension type) | ``getattr(root, "title")`` | read in one loop per level |
| ``loaded_field("users", key="user_id", build=User.from_row, graphql_type=User \\| None)`` | ``build(await info.context.loader("users").load(root.user_id))``; a ``None`` key or record is null | one ``load`` per object, one batch per level, no task per object |
| ``strawberry.field(metadata=CONTEXT_ONLY)``, ``registry.add_field(..., context_only=True)`` | the resolver's own | called directly, once per object (a root field: once), its children planned |

``key`` is an attribute name of the parent object or a function of it (a root field's parent
is the root value, ``None``). A field without a declaration runs on graphql-core, as before;
both paths give the same answers (``tests/execution``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import strawberry

__all__ = ["CONTEXT_ONLY", "FAST_PATH", "LoadedField", "loaded_field"]

# The strawberry field metadata key the fast executor reads.
FAST_PATH = "gateway.fast_path"


@dataclass(frozen=True, slots=True)
class _ContextOnly:
    """The resolver reads only ``info.context`` of its ``info`` (no path, selection...)."""


@dataclass(frozen=True, slots=True)
class LoadedField:
    """``build(await info.context.loader(loader).load(key_of(root)))``, null for no key or
    no record."""

    loader: str
    key_of: Callable[[Any], Hashable]
    build: Callable[[Any], Any]

    def value(self, record: Any) -> Any:
        return None if record is None else self.build(record)

    async def resolve(self, root: Any, context: Any) -> Any:
        key = self.key_of(root)
        if key is None:
            return None
        return self.value(await context.loader(self.loader).load(key))


CONTEXT_ONLY: dict[str, Any] = {FAST_PATH: _ContextOnly()}


def _unchanged(record: Any) -> Any:
    return record


def loaded_field(
    loader: str,
    *,
    key: str | Callable[[Any], Hashable],
    graphql_type: Any,
    build: Callable[[Any], Any] | None = None,
    description: str | None = None,
) -> Any:
    """A strawberry field whose value is loader ``loader``'s record for the parent's ``key``
    (an attribute name, or a function of the parent), given to ``build``."""
    key_of = attrgetter(key) if isinstance(key, str) else key
    spec = LoadedField(loader, key_of, build or _unchanged)

    async def resolve(root: Any, info: strawberry.Info) -> Any:
        return await spec.resolve(root, info.context)

    return strawberry.field(
        resolver=resolve,
        graphql_type=graphql_type,
        description=description,
        metadata={FAST_PATH: spec},
    )
