"""A per-key sliding one-second window: the Data Management API's 5 requests per second.

A sliding window (not a fixed one) because it is the stricter reading of "5 requests per
second": no burst of 10 across a second boundary gets through, so a gateway paced for the
emulator is paced for the real API too. Refused requests are not counted, so a client that
waits ``Retry-After`` seconds is always admitted.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

__all__ = ["SlidingWindow"]


class SlidingWindow:
    """Admit at most ``limit`` calls per key within any ``window`` seconds."""

    def __init__(
        self, limit: int = 5, window: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float | None:
        """Count one call for ``key``: ``None`` if admitted, else seconds until a slot frees."""
        with self._lock:
            now = self._clock()
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            return None
