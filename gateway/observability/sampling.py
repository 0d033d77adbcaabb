"""Tracebacks sampled per kind, so a failure repeated by every request cannot flood the log.

A kind is ``(exception type, location)``, the location being the innermost frame's file and
line. ``TracebackSampler(interval=60)``:

| call for a kind | ``admit`` | what the caller logs |
| --- | --- | --- |
| first, or first after its window of ``interval`` seconds ended | ``True`` | the traceback |
| again within the window | ``False`` (counted) | one debug line, no traceback |

``ended()`` hands back each kind whose window is over with how many were left untold, for one
summary line each ("… 57 more in the last 60 s"); callers ask on every error, so a burst's
count is told by the next error of any kind once its window has passed. At most ``max_kinds``
windows are kept (the oldest go first, their counts told).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Kind", "TracebackSampler", "kind_of"]

Kind = tuple[str, str]


def kind_of(exc: BaseException) -> Kind:
    """``("ValueError", "gateway/x.py:12")``: the type and where it was raised."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else "?"
    return (type(exc).__qualname__, where)


@dataclass(slots=True)
class _Window:
    started: float
    untold: int = 0


class TracebackSampler:
    def __init__(
        self,
        *,
        interval: float = 60.0,
        max_kinds: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.max_kinds = max_kinds
        self._clock = clock
        self._windows: OrderedDict[Kind, _Window] = OrderedDict()
        self._ended: list[tuple[Kind, int]] = []

    def admit(self, kind: Kind) -> bool:
        """True: log this one's traceback (it opens a window); False: it was counted."""
        now = self._clock()
        window = self._windows.get(kind)
        if window is not None and now - window.started < self.interval:
            window.untold += 1
            return False
        if window is not None:
            self._close(kind)
        self._windows[kind] = _Window(now)
        while len(self._windows) > self.max_kinds:
            self._close(next(iter(self._windows)))
        return True

    def ended(self) -> list[tuple[Kind, int]]:
        """Kinds whose window is over with errors left untold, and how many; each told once."""
        now = self._clock()
        for kind in [k for k, w in self._windows.items() if now - w.started >= self.interval]:
            self._close(kind)
        ended, self._ended = self._ended, []
        return ended

    def _close(self, kind: Kind) -> None:
        window = self._windows.pop(kind)
        if window.untold:
            self._ended.append((kind, window.untold))
