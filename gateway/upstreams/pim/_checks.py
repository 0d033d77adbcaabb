"""Input checks run before any PIM call: a clear ``BadUserInput`` naming the item at fault."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gateway.errors import BadUserInput

from ._errors import UPSTREAM

__all__ = ["DEFINITION_TYPES", "definition_types", "node_level", "one_of", "one_value", "refuse"]

DEFINITION_TYPES = ("text", "number", "date", "boolean", "ref", "table")


def refuse(message: str, item: str | None = None) -> BadUserInput:
    return BadUserInput(message, upstream=UPSTREAM, item=item)


def _key(name: str, index: int, value: object) -> None:
    """A tid or a path is a non-empty string, an id an integer; which one the name says."""
    # Case matters: "productId" is an id, "productTid" a tid.
    if name.endswith(("tid", "tids", "Tid", "Tids", "path", "paths", "Path", "Paths")):
        ok = isinstance(value, str) and value.strip() != ""
    else:
        ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok:
        raise refuse(f"{name}[{index}] is not a valid {name}", item=f"{name}[{index}]")


def one_of(
    operation: str, choices: Mapping[str, Sequence[Any] | None], *, optional: bool = False
) -> tuple[Any, list[Any]]:
    """The one list of keys given, as ``(its request key, the keys)``; ``(None, [])`` if none
    and ``optional``. An empty list is a valid choice: it asks for nothing."""
    given = {name: keys for name, keys in choices.items() if keys is not None}
    if len(given) > 1 or (not given and not optional):
        raise refuse(f"{operation} takes exactly one of {', '.join(choices)}")
    if not given:
        return None, []
    ((name, keys),) = given.items()
    if isinstance(keys, str | bytes):
        raise refuse(f"{operation}: {name} must be a list, not one string", item=name)
    for index, key in enumerate(keys):
        _key(name, index, key)
    return name, list(keys)


def one_value(operation: str, choices: Mapping[str, object]) -> tuple[str, object]:
    given = [(name, value) for name, value in choices.items() if value is not None]
    if len(given) != 1:
        raise refuse(f"{operation} takes exactly one of {', '.join(choices)}")
    return given[0]


def definition_types(types: Sequence[str]) -> None:
    if isinstance(types, str):
        raise refuse("types must be a list of attribute definition types", item="types")
    for index, kind in enumerate(types):
        if kind not in DEFINITION_TYPES:
            raise refuse(
                f"unknown attribute definition type {kind!r}; one of {', '.join(DEFINITION_TYPES)}",
                item=f"types[{index}]",
            )


def node_level(path: str, level: int) -> None:
    if not isinstance(path, str) or not path.strip():
        raise refuse("a node path is required", item="path")
    if isinstance(level, bool) or not isinstance(level, int) or level < 1:
        # The PIM answers 1001 "The level should not be 0".
        raise refuse("level must be 1 or more", item="level")
