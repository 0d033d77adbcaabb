"""Opaque page cursors: ``kind:value`` in URL-safe base64, checked on the way back in.

| connection | kind | value |
| --- | --- | --- |
| ``searchProducts``, ``ClassificationNode.products`` | ``offset`` | position in the tid list |
| ``commerceProducts`` | ``commerce`` | product id |
| ``writeJobs`` / ``WriteJob.items`` | ``job`` / ``item`` | job id / item index |
"""

from __future__ import annotations

import base64

from gateway.errors import BadUserInput

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(kind: str, value: str | int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(cursor: str | None, kind: str) -> str | None:
    """The value of a ``kind`` cursor, None for no cursor; BadUserInput for anything else."""
    if cursor is None:
        return None
    try:
        found, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        found, value = "", ""
    if found != kind or not value:
        raise BadUserInput("not a valid cursor", item=cursor[:80])
    return value
