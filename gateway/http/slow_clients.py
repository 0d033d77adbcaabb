"""Slow clients: a connection that has not sent a request's headers within
``header_timeout_seconds``, or its body within ``body_timeout_seconds``, is closed.

| the connection is | clock | when it runs out |
| --- | --- | --- |
| new, nothing sent yet | headers, from the accept | closed |
| idle between keep-alive requests | none: uvicorn's ``timeout_keep_alive`` | closed by uvicorn |
| part way through a request's headers | headers, from its first byte | closed |
| headers in, body on its way | body, from the end of the headers | 408 if nothing was answered yet, else closed |
| request in, answer being made | none | - |
| paused by us (pipelining, the app behind on the body) | body clock starts over | - |

Why a uvicorn protocol class and not a front server (nginx, h2o) with its own timeouts: the
gateway must be safe as it ships, and ``make run``, ``gateway serve``, the Docker image and
the Python API run uvicorn alone; a protection that holds only behind a proxy someone has to
install and configure would be missing exactly where nobody added it. An ASGI middleware
cannot do it either: uvicorn calls the app only once the headers are complete, so a client
trickling headers never reaches one. The timers live in the two uvicorn HTTP/1.1 protocols
(httptools, used when it is installed, as uvicorn's ``auto`` does, and h11), as subclasses
that only add the clocks; ``slow_client_protocol()`` builds the class ``uvicorn.Config(http=)``
takes. A front server may still be put before it; it changes nothing here.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

import h11
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "ConnectionCollector",
    "ConnectionDeadlines",
    "Parser",
    "SlowClientLimits",
    "slow_client_protocol",
]

Parser = Literal["auto", "httptools", "h11"]
Phase = Literal["headers", "body"]

_TIMEOUT_BODY = b"The request body did not arrive in time.\n"


@dataclass(slots=True)
class SlowClientLimits:
    """The two timeouts, and how many connections each has closed (read by ``/metrics``)."""

    header_seconds: float
    body_seconds: float
    closed: dict[str, int] = field(default_factory=lambda: {"headers": 0, "body": 0})


class ConnectionDeadlines:
    """One connection's clock: the headers' or the body's, at most one running at a time."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        limits: SlowClientLimits,
        on_late: Callable[[Phase], None],
    ) -> None:
        self._loop = loop
        self._limits = limits
        self._on_late = on_late
        self._timer: asyncio.TimerHandle | None = None
        self.phase: Phase | None = None

    def await_headers(self) -> None:
        """Start the header clock unless it runs already (it counts from the first byte)."""
        if self.phase != "headers":
            self._start("headers", self._limits.header_seconds)

    def await_body(self) -> None:
        if self.phase != "body":
            self._start("body", self._limits.body_seconds)

    def restart_body(self) -> None:
        self._start("body", self._limits.body_seconds)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self.phase = None

    def _start(self, phase: Phase, seconds: float) -> None:
        self.stop()
        self.phase = phase
        self._timer = self._loop.call_later(seconds, self._fire, phase)

    def _fire(self, phase: Phase) -> None:
        self._timer = None
        self.phase = None
        self._on_late(phase)


class _Cycle(Protocol):
    """What both uvicorn protocols' request cycles have and the body timeout needs."""

    response_started: bool
    disconnected: bool
    message_event: asyncio.Event


def _close_late(
    transport: asyncio.Transport,
    cycle: _Cycle | None,
    default_headers: list[tuple[bytes, bytes]],
    *,
    answer: bool,
) -> None:
    """Close a late connection, with a 408 first when ``answer`` and nothing was sent yet."""
    if transport.is_closing():
        return
    if cycle is not None:
        if answer and not cycle.response_started:
            transport.write(_request_timeout(default_headers))
        # The app sees a disconnect, and its own answer (if it still makes one) is dropped
        # rather than written after ours.
        cycle.disconnected = True
        cycle.message_event.set()
    transport.close()


def _request_timeout(default_headers: list[tuple[bytes, bytes]]) -> bytes:
    lines = [b"HTTP/1.1 408 Request Timeout"]
    lines += [name + b": " + value for name, value in default_headers]
    lines += [
        b"content-type: text/plain; charset=utf-8",
        b"content-length: " + str(len(_TIMEOUT_BODY)).encode("ascii"),
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + _TIMEOUT_BODY


class _H11Guarded(H11Protocol):
    """h11's protocol with the clocks; where a request stands is read from h11's own state."""

    limits: ClassVar[SlowClientLimits]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadlines = ConnectionDeadlines(self.loop, self.limits, self._late)
        self._upgraded = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.deadlines.await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self.deadlines.stop()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_request()

    def on_response_complete(self) -> None:
        # Here h11 goes on to a pipelined request it had held back.
        super().on_response_complete()
        self._follow_request()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._upgraded = True
        self.deadlines.stop()
        super().handle_websocket_upgrade(event)

    def _follow_request(self) -> None:
        if self._upgraded or self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            self.deadlines.await_body()
        elif state is h11.IDLE and self.conn.trailing_data[0]:
            self.deadlines.await_headers()  # part of a request's headers is in
        elif state is h11.IDLE and self.deadlines.phase == "headers":
            pass  # a new connection: its clock runs from the accept
        else:
            # A request is in, or the connection idles between requests: uvicorn's
            # keep-alive clock runs then, not ours.
            self.deadlines.stop()

    def _late(self, phase: Phase) -> None:
        if phase == "body" and self.flow.read_paused:
            self.deadlines.restart_body()  # we stopped reading, not the client
            return
        self.limits.closed[phase] += 1
        answer = phase == "body" and self.conn.our_state is h11.SEND_RESPONSE
        _close_late(self.transport, self.cycle, self.server_state.default_headers, answer=answer)


def _httptools_guarded() -> type[asyncio.Protocol]:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HttpToolsGuarded(HttpToolsProtocol):
        """httptools' protocol with the clocks, moved along by the parser's callbacks."""

        limits: ClassVar[SlowClientLimits]

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.deadlines = ConnectionDeadlines(self.loop, self.limits, self._late)
            self._in_message = False
            self._upgraded = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.deadlines.await_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self.deadlines.stop()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            # Bytes between requests (even the blank lines a parser skips) start the header
            # clock, so trickling them cannot hold a connection past uvicorn's keep-alive.
            if not self._in_message:
                self.deadlines.await_headers()
            super().data_received(data)

        def on_message_begin(self) -> None:
            self._in_message = True
            self.deadlines.await_headers()
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self.deadlines.await_body()
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_message = False
            self.deadlines.stop()
            super().on_message_complete()

        def handle_websocket_upgrade(self) -> None:
            self._upgraded = True
            self.deadlines.stop()
            super().handle_websocket_upgrade()

        def _late(self, phase: Phase) -> None:
            if self._upgraded:
                return
            if phase == "body" and self.flow.read_paused:
                self.deadlines.restart_body()  # we stopped reading, not the client
                return
            self.limits.closed[phase] += 1
            # With a pipelined request queued, an earlier answer may be on the wire.
            answer = phase == "body" and not self.pipeline
            _close_late(
                self.transport, self.cycle, self.server_state.default_headers, answer=answer
            )

    return HttpToolsGuarded


def slow_client_protocol(
    limits: SlowClientLimits, parser: Parser = "auto"
) -> type[asyncio.Protocol]:
    """The class for ``uvicorn.Config(http=...)``; ``auto`` takes httptools when installed,
    like uvicorn's own ``auto``."""
    if parser == "auto":
        parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    base = _httptools_guarded() if parser == "httptools" else _H11Guarded
    return type(f"SlowClient{base.__name__}", (base,), {"limits": limits})


class ConnectionCollector(Collector):
    """``gateway_open_connections`` (uvicorn's own set, WebSockets included) and
    ``gateway_slow_client_closes_total`` by phase, read at scrape time."""

    def __init__(self, connections: Callable[[], int], limits: SlowClientLimits) -> None:
        self._connections = connections
        self._limits = limits

    def collect(self) -> Iterator[Metric]:
        open_now = GaugeMetricFamily("gateway_open_connections", "Open client connections.")
        open_now.add_metric([], self._connections())
        closes = CounterMetricFamily(
            "gateway_slow_client_closes",
            "Connections closed for sending headers or body too slowly.",
            labels=["phase"],
        )
        for phase, count in sorted(self._limits.closed.items()):
            closes.add_metric([phase], count)
        yield from (open_now, closes)
