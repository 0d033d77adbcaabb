"""The PIM's JSON query answers: lists of ids or tids, read strictly."""

from __future__ import annotations

import json
from typing import Any

from gateway.upstreams.records import PimIdList

from ._safe import bad

__all__ = ["parse_id_list"]


def _list(data: dict[str, Any], key: str, kind: type) -> tuple[Any, ...]:
    value = data.get(key, [])
    # bool is an int to Python, never an id to the PIM.
    if not isinstance(value, list) or not all(
        isinstance(x, kind) and not isinstance(x, bool) for x in value
    ):
        raise bad(f"{key!r} is not a list of {kind.__name__}")
    return tuple(value)


def parse_id_list(body: bytes | str) -> PimIdList:
    """The JSON answer of a ``.../query`` endpoint.

    | endpoint | answer | record |
    | --- | --- | --- |
    | attribute-definitions/query | ``{"ids": [15210], "all": false}`` | ``PimIdList(ids=(15210,), all=False)`` |
    | attributes/query | ``{"ids": [75662]}`` | ``PimIdList(ids=(75662,))`` |
    | nodes/query | ``{"ids": [756362], "level": 1}`` | ``PimIdList(ids=(756362,), level=1)`` |
    | products/query | ``{"tids": ["8E93..."]}`` | ``PimIdList(tids=("8E93...",))`` |
    """
    try:
        data = json.loads(body)
    except (ValueError, TypeError) as exc:
        raise bad(f"malformed JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise bad("a query answer is not a JSON object")
    all_ = data.get("all")
    level = data.get("level")
    if all_ is not None and not isinstance(all_, bool):
        raise bad("'all' is not a boolean")
    if level is not None and (not isinstance(level, int) or isinstance(level, bool)):
        raise bad("'level' is not a number")
    return PimIdList(
        ids=_list(data, "ids", int), tids=_list(data, "tids", str), all=all_, level=level
    )
