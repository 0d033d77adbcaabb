"""The operation's deadline, where every layer beneath the executor can read it.

A GraphQL operation (query or mutation; subscriptions run for as long as they are wanted)
must be answered within ``operation_deadline_seconds``. The executor opens the deadline; the
transport bounds each upstream call by what is left of it; the executor's backstop turns what
is still pending when it passes into UPSTREAM_TIMEOUT errors.

| call | gives |
| --- | --- |
| ``within(seconds)`` | context manager: the operation's deadline, ``seconds`` from now (an earlier one already open stays) |
| ``current()`` | the deadline (event-loop time, as ``asyncio.timeout_at`` takes it), ``None`` outside an operation |
| ``remaining()`` | seconds left, ``None`` outside an operation |
| ``passed()`` | the ``UpstreamTimeout`` a field unfinished at the deadline answers with |
| ``answer_by(margin, share)`` | ``async with``: ``TimeoutError`` ``margin`` seconds (or ``share`` of the operation's time, if more) before the deadline (never outside an operation), for work that can stop waiting and still answer |

A context variable, so the tasks an operation starts (graphql-core's gathers, DataLoader
batches, coalesced cache fetches) inherit it, and work started outside any operation (the
write workers, readiness probes) never sees one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from gateway.errors import UpstreamTimeout

__all__ = ["ANSWER_MARGIN", "answer_by", "current", "passed", "remaining", "within"]

# Work inside an operation ends this long before its deadline: the field's answer (or error)
# and the response still have to be built and sent by then.
ANSWER_MARGIN = 0.1

_DEADLINE: ContextVar[float | None] = ContextVar("gateway_operation_deadline", default=None)
_SECONDS: ContextVar[float | None] = ContextVar("gateway_operation_seconds", default=None)


@contextlib.contextmanager
def within(seconds: float) -> Iterator[float]:
    """Open the operation's deadline ``seconds`` from now and yield it (loop time)."""
    deadline = asyncio.get_running_loop().time() + seconds
    earlier = _DEADLINE.get()
    if earlier is not None and earlier <= deadline:
        # An operation run inside another (an extension executing a query) keeps the outer one.
        yield earlier
        return
    token, seconds_token = _DEADLINE.set(deadline), _SECONDS.set(seconds)
    try:
        yield deadline
    finally:
        _DEADLINE.reset(token)
        _SECONDS.reset(seconds_token)


def current() -> float | None:
    return _DEADLINE.get()


def remaining() -> float | None:
    deadline = _DEADLINE.get()
    if deadline is None:
        return None
    return deadline - asyncio.get_running_loop().time()


def passed() -> UpstreamTimeout:
    """The error of a field still unfinished when the operation's deadline passed."""
    seconds = _SECONDS.get()
    limit = f" of {seconds:g} s" if seconds is not None else ""
    return UpstreamTimeout(f"the operation's deadline{limit} passed before this field was answered")


def answer_by(margin: float = ANSWER_MARGIN, share: float = 0.0) -> asyncio.Timeout:
    """``async with answer_by(0.5):`` raises ``TimeoutError`` ``margin`` s before the deadline,
    or ``share`` of the operation's whole time before it if that is more."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return asyncio.timeout_at(None)
    seconds = _SECONDS.get()
    return asyncio.timeout_at(deadline - max(margin, share * (seconds or 0.0)))
