"""Whole-response cache for queries: identical reads answered from memory, as bytes.

Beneath it the shared entity cache already saves the upstream calls; this saves the
execution itself, which for a deep query is most of the time. An answer is kept only when
it is a query's, complete and without errors, and is served only to a caller allowed to
read. Any mutation through the gateway clears it all, so a write is seen by the next read;
changes made behind the gateway's back show within the TTL, as with the entity cache.

| key part | why |
| --- | --- |
| query text, operation name, variables | the operation itself |
| response media type | the body's content type is part of the answer |
| ``Accept-Language`` | localized fields follow it |

Several processes: ``on_clear`` is told of every ``clear()`` (a mutation here), so the other
processes clear theirs too (``Runtime.share_response_cache``); a clear that comes from another
process is ``clear(announce=False)``, so it goes no further.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson
from cachetools import TTLCache

__all__ = ["ResponseCache"]

CacheKey = tuple[str, str | None, bytes, str, str]


class ResponseCache:
    """Bounded by bytes (``max_bytes``) and by age (``ttl`` seconds)."""

    def __init__(self, *, max_bytes: int, ttl: float) -> None:
        self._entries: TTLCache[CacheKey, bytes] = TTLCache(
            maxsize=max_bytes, ttl=ttl, getsizeof=len
        )
        self.hits = 0
        self.misses = 0
        self.on_clear: Callable[[], None] | None = None

    @staticmethod
    def key(
        query: str,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        media: str,
        accept_language: str,
    ) -> CacheKey | None:
        try:
            canonical = orjson.dumps(dict(variables or {}), option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return None
        return (query, operation_name, canonical, media, accept_language)

    def get(self, key: CacheKey | None) -> bytes | None:
        found = self._entries.get(key) if key is not None else None
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: CacheKey | None, body: bytes) -> None:
        if key is not None and len(body) <= self._entries.maxsize:
            self._entries[key] = body

    def clear(self, *, announce: bool = True) -> None:
        self._entries.clear()
        if announce and self.on_clear is not None:
            self.on_clear()

    def __len__(self) -> int:
        return len(self._entries)
