"""Upstream calls, as the emulators recorded them: read and cleared over their admin routes.

The emulators run in another process, so their logs are read over HTTP
(``/__emulator__/log``); answer statuses come from the bench's own counter
(``/__bench__/statuses``, see ``bench.upstreams``), since the log records requests only.

Endpoints are named by method and path, with the CitrusAd product path's two ids folded
(``GET /v1/catalog-products/{catalogId}/{code}``) so that 100 GETs read as one endpoint.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from bench.upstreams import STATUS_PATH

__all__ = ["UpstreamCalls", "UpstreamLogs", "endpoint"]

_LOG_PATH = "/__emulator__/log"
_CATALOG_ITEM = re.compile(r"^(/v1/catalog-products)/[^/]+/[^/]+$")
_CATALOG_ITEM_NAME = r"\1/{catalogId}/{code}"


def endpoint(method: str, path: str) -> str:
    return f"{method} {_CATALOG_ITEM.sub(_CATALOG_ITEM_NAME, path)}"


@dataclass(slots=True)
class UpstreamCalls:
    """Calls per (upstream, endpoint), and answers per (upstream, endpoint, status)."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    statuses: Counter[tuple[str, str, int]] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def by_upstream(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for (upstream, _), count in self.calls.items():
            totals[upstream] += count
        return dict(totals)

    def answered(self, status: int, upstream: str | None = None) -> int:
        return sum(
            n
            for (name, _, code), n in self.statuses.items()
            if code == status and upstream in (None, name)
        )


class UpstreamLogs:
    """The three emulators' logs and status counters, at their server roots."""

    def __init__(self, roots: Mapping[str, str]) -> None:
        self.roots = dict(roots)

    def clear(self) -> None:
        with httpx.Client(timeout=30) as client:
            for root in self.roots.values():
                client.delete(root + _LOG_PATH).raise_for_status()
                client.delete(root + STATUS_PATH).raise_for_status()

    def read(self) -> UpstreamCalls:
        seen = UpstreamCalls()
        with httpx.Client(timeout=120) as client:
            for name, root in self.roots.items():
                log = client.get(root + _LOG_PATH)
                log.raise_for_status()
                for entry in log.json():
                    seen.calls[(name, endpoint(entry["method"], entry["path"]))] += 1
                statuses = client.get(root + STATUS_PATH)
                statuses.raise_for_status()
                for row in statuses.json():
                    key = (name, endpoint(row["method"], row["path"]), int(row["status"]))
                    seen.statuses[key] += int(row["count"])
        return seen
