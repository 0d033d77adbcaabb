"""Catalog products by ``(catalogId, gtin)``, with the ingestion delay CitrusAd documents.

A sync is not visible at once: each write becomes a version that GET sees only
``ingestion_delay`` seconds later; until then GET sees the previous version, or nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["CatalogStore", "Key"]

Key = tuple[str, str]


@dataclass(slots=True)
class _Version:
    record: dict[str, Any]
    visible_at: float


class CatalogStore:
    """``products[(catalogId, gtin)]`` is the latest record synced, ingested or not."""

    def __init__(
        self, ingestion_delay: float = 0.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.products: dict[Key, dict[str, Any]] = {}
        self.ingestion_delay = ingestion_delay
        self._clock = clock
        self._versions: dict[Key, list[_Version]] = {}

    def upsert(self, record: dict[str, Any], *, delay: float | None = None) -> None:
        key = (record["catalogId"], record["gtin"])
        wait = self.ingestion_delay if delay is None else delay
        self.products[key] = record
        self._versions.setdefault(key, []).append(_Version(record, self._clock() + wait))

    def visible(self, key: Key) -> dict[str, Any] | None:
        """The newest version ingested by now, dropping the older ones it supersedes."""
        versions = self._versions.get(key, [])
        now = self._clock()
        ready = [i for i, v in enumerate(versions) if v.visible_at <= now]
        if not ready:
            return None
        del versions[: ready[-1]]
        return versions[0].record

    def delete(self, key: Key) -> None:
        self.products.pop(key, None)
        self._versions.pop(key, None)
