"""What the PIM mutation modules share: the writer, and keys from ``tids``/``pimIds`` lists."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.errors import BadUserInput
from gateway.graphql.info import Info
from gateway.writes.pim import ItemKey, PimWriter

__all__ = ["item_keys", "writer"]


def writer(info: Info) -> PimWriter:
    runtime = info.context.runtime
    return PimWriter(runtime.pim, runtime.cache)


def item_keys(operation: str, **lists: Sequence[str] | Sequence[int] | None) -> list[ItemKey]:
    """The items named by exactly one of ``lists`` (``tids=``, ``pimIds=``, ``paths=``)."""
    given = {name: keys for name, keys in lists.items() if keys is not None}
    if len(given) != 1:
        raise BadUserInput(f"{operation} takes exactly one of {', '.join(lists)}", upstream="pim")
    ((name, keys),) = given.items()
    field = {"tids": "tid", "pimIds": "id", "paths": "path"}[name]
    return [ItemKey(**{field: key}) for key in keys]  # type: ignore[arg-type]
