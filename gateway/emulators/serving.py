"""Serve ASGI apps on loopback: the three emulators, alone or beside the gateway.

| helper | used by |
| --- | --- |
| ``build_emulators()`` | ``gateway emulate``, ``gateway serve`` without upstream URLs, tests |
| ``bind_socket()`` + ``make_server()`` | running several servers in one event loop |
| ``BackgroundServer`` | tests and benchmarks: one app in a thread, on a free port |
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from gateway.emulators import citrusad, omnicommerce, pim

__all__ = [
    "EMULATOR_NAMES",
    "BackgroundServer",
    "Emulators",
    "bind_socket",
    "build_emulators",
    "http_root",
    "make_server",
]

EMULATOR_NAMES = ("pim", "omnicommerce", "citrusad")


@dataclass(frozen=True, slots=True)
class Emulators:
    """The three emulator apps, each with ``state.log``, ``state.faults`` and ``state.store``."""

    pim: Starlette
    omnicommerce: Starlette
    citrusad: Starlette

    def items(self) -> list[tuple[str, Starlette]]:
        return [(name, getattr(self, name)) for name in EMULATOR_NAMES]


def build_emulators(*, seed: bool = True) -> Emulators:
    """Fresh emulators, seeded with the demo data unless ``seed`` is false."""
    return Emulators(
        pim=pim.create_app(seed=seed),
        omnicommerce=omnicommerce.create_app(seed=seed),
        citrusad=citrusad.create_app(seed=seed),
    )


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket on an IPv4 or IPv6 ``host``; port 0 picks a free one, read it
    back with ``getsockname()``.

    The socket is made with ``IPPROTO_TCP`` rather than protocol 0: asyncio turns
    TCP_NODELAY on for accepted connections only when the listening socket's protocol says
    TCP, and without it every small answer on a kept-open connection waits about 40 ms for
    the client's delayed ACK (Nagle). TCP_NODELAY is also set on the listening socket,
    which Linux copies to the connections it accepts.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def http_root(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket, with an IPv6 host in brackets."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _SidecarServer(uvicorn.Server):
    """A server that leaves signals to the main one, so several can share one event loop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _MainServer(uvicorn.Server):
    """Shuts down gracefully on SIGINT/SIGTERM and then returns, instead of re-raising the
    signal as uvicorn does, so ``gateway serve`` exits 0 after a clean stop.

    ``on_exit`` runs (on the event loop) as soon as the signal arrives, before uvicorn waits
    for requests in flight: the write workers stop taking chunks there, so a caller waiting
    for a job is answered at once instead of holding the shutdown.
    """

    on_exit: Callable[[], None] | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.on_exit is not None and not self.should_exit:
            try:
                asyncio.get_running_loop().call_soon_threadsafe(self.on_exit)
            except RuntimeError:
                self.on_exit()
        super().handle_exit(sig, frame)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def make_server(
    app: Starlette,
    *,
    log_level: str = "warning",
    handle_signals: bool = False,
    grace_seconds: float | None = None,
    on_exit: Callable[[], None] | None = None,
) -> uvicorn.Server:
    """A uvicorn server for ``app``; start it with ``await server.serve(sockets=[sock])``.

    Only the process's main server should ``handle_signals``; the others are stopped by it.
    On shutdown it stops accepting at once and lets requests in flight finish for up to
    ``grace_seconds`` (unbounded when ``None``).
    """
    config = uvicorn.Config(
        app,
        log_level=log_level,
        lifespan="auto",
        access_log=False,
        timeout_graceful_shutdown=math.ceil(grace_seconds) if grace_seconds is not None else None,
        log_config=None,
    )
    if not handle_signals:
        return _SidecarServer(config)
    server = _MainServer(config)
    server.on_exit = on_exit
    return server


class BackgroundServer:
    """One app served on a free loopback port from a daemon thread, until ``stop()``."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1") -> None:
        self.app = app
        self._sock = bind_socket(host)
        self.host, self.port = self._sock.getsockname()[:2]
        self._server = make_server(app)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return http_root(self._sock)

    @property
    def server(self) -> uvicorn.Server:
        """The running uvicorn server (its ``server_state.connections`` are the open ones)."""
        return self._server

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"server for {self.app!r} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
