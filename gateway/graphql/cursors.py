"""Opaque page cursors: ``kind:value`` in URL-safe base64, checked on the way back in.

| connection | kind | value |
| --- | --- | --- |
| ``searchProducts``, ``ClassificationNode.products`` | ``offset`` | position in the tid list |
| ``commerceProducts`` | ``commerce`` | product id |
| ``writeJobs`` / ``WriteJob.items`` | ``job`` / ``item`` | job id / item index |

A value the gateway did not make is refused as BAD_USER_INPUT before it reaches the store or
an upstream: a position is 1 to 18 ASCII digits (``decode_index``), and ``decode_cursor``
takes a check for what else a kind's value may hold (a commerce or job id).
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from gateway.errors import BadUserInput
from gateway.graphql.globalid import int_key

__all__ = ["decode_cursor", "decode_index", "encode_cursor"]


def encode_cursor(kind: str, value: str | int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(
    cursor: str | None, kind: str, valid: Callable[[str], object] = bool
) -> str | None:
    """The value of a ``kind`` cursor, None for no cursor; BadUserInput for anything else,
    a value ``valid`` refuses included."""
    if cursor is None:
        return None
    try:
        found, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        found, value = "", ""
    if found != kind or not value or not valid(value):
        raise BadUserInput("not a valid cursor", item=cursor[:80])
    return value


def decode_index(cursor: str | None, kind: str) -> int | None:
    """The position in a ``kind`` cursor, None for no cursor; BadUserInput for anything else."""
    value = decode_cursor(cursor, kind, lambda v: int_key(v) is not None)
    return None if value is None else int_key(value)
