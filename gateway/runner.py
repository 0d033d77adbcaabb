"""Run the gateway and, for upstreams without a URL, the built-in emulators, in one process.

``run_loop(main, settings.event_loop)`` is how ``gateway serve`` and ``gateway worker`` run:

| ``event_loop`` | loop | HTTP/1.1 parser of ``serve`` |
| --- | --- | --- |
| ``auto`` (default) | uvloop when installed, else asyncio's | httptools when installed, else h11 |
| ``uvloop`` | uvloop (a start-up mistake when it is not installed) | httptools when installed, else h11 |
| ``asyncio`` | the standard library's | h11: nothing compiled, to rule them out |

The same defaults as ``uvicorn``'s own ``loop="auto"`` and ``http="auto"``; we run the loop
ourselves (several servers share it), so uvicorn's ``run()`` never picks it for us.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import logging
import signal
import socket
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import uvicorn
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.emulators.serving import bind_socket, build_emulators, http_root, make_server
from gateway.http.slow_clients import (
    ConnectionCollector,
    Parser,
    SlowClientLimits,
    slow_client_protocol,
)
from gateway.runtime import Runtime
from gateway.security import development_mode_warning
from gateway.settings import Settings, with_embedded_upstreams
from gateway.startup import StartupError, listen

__all__ = [
    "YOUNG_THRESHOLD",
    "loop_factory",
    "loop_name",
    "run_loop",
    "run_worker",
    "serve_emulators",
    "serve_gateway",
    "tune_collector",
]

log = logging.getLogger("gateway")
T = TypeVar("T")
LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def loop_factory(choice: str) -> LoopFactory | None:
    """The event loop ``choice`` asks for (the table above); ``None``: asyncio's own."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise StartupError(
                "GATEWAY_EVENT_LOOP=uvloop but uvloop is not installed (pip install uvloop)"
            ) from None
        return None
    factory: LoopFactory = uvloop.new_event_loop
    return factory


def run_loop(main: Coroutine[Any, Any, T], choice: str = "auto") -> T:
    """``asyncio.run(main)`` on the loop ``choice`` names (Python 3.11's ``asyncio.run`` has
    no ``loop_factory``; ``asyncio.Runner`` has)."""
    try:
        factory = loop_factory(choice)
    except BaseException:
        main.close()  # never awaited: say nothing of it
        raise
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def loop_name() -> str:
    """``uvloop`` or ``asyncio``: which loop runs this coroutine (told in the start line)."""
    module = type(asyncio.get_running_loop()).__module__
    return "uvloop" if module.startswith("uvloop") else "asyncio"


def _parser(choice: str) -> Parser:
    if choice == "asyncio":
        return "h11"
    return "httptools" if importlib.util.find_spec("httptools") else "h11"


async def serve_gateway(settings: Settings) -> None:
    """Serve the gateway on ``settings.host:port`` until interrupted.

    Emulators take free loopback ports, so they never collide with the gateway's own port.
    Everything a start-up mistake can stop (the ports, the API keys, the extensions; see
    ``gateway.startup``) is done before the first log line, so such a mistake is told alone.
    """
    main_sock = listen(settings.host, settings.port)
    sockets = [main_sock]
    try:
        admin_sock = None
        if settings.admin_port is not None:
            admin_sock = listen(settings.host, settings.admin_port, "GATEWAY_ADMIN_PORT")
            sockets.append(admin_sock)
        emulated = settings.emulated_upstreams
        emulators = dict(build_emulators().items()) if emulated else {}
        sidecars: list[tuple[uvicorn.Server, socket.socket]] = []
        for name in emulated:
            sidecars.append(_sidecar(emulators[name]))
            sockets.append(sidecars[-1][1])
        roots = {name: http_root(sock) for name, (_, sock) in zip(emulated, sidecars, strict=True)}
        settings = with_embedded_upstreams(settings, roots)
        app = create_app(settings, emulated=emulated)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    for name, root in roots.items():
        log.warning("upstream %s: built-in emulator at %s", name, root)
    warning = development_mode_warning(settings)
    if warning:
        log.warning(warning)
    main = make_server(
        app,
        log_level="info",
        handle_signals=True,
        grace_seconds=settings.shutdown_grace_seconds,
        on_exit=lambda: _begin_shutdown(app),
    )
    limits = SlowClientLimits(settings.header_timeout_seconds, settings.body_timeout_seconds)
    parser = _parser(settings.event_loop)
    _guard_slow_clients(main, limits, parser)
    app.state.metrics.registry.register(
        ConnectionCollector(lambda: len(main.server_state.connections), limits)
    )
    log.info(
        "gateway on %s/graphql (%s loop, %s parser)",
        http_root(main_sock),
        loop_name(),
        parser,
        extra={"event_loop": loop_name(), "http_parser": parser},
    )
    if app.state.admin_app is not None and admin_sock is not None:
        admin = make_server(app.state.admin_app)
        _guard_slow_clients(admin, limits, parser)
        sidecars.append((admin, admin_sock))
        log.info("admin (/metrics, /readyz) on %s", http_root(admin_sock))
    # Only here, in the server's own process: an embedding application decides for itself.
    tune_collector()
    await _run(main, main_sock, sidecars)


# Net container allocations between two collections of the youngest generation (Python's
# default: 700).
YOUNG_THRESHOLD = 20_000
SWITCH_INTERVAL = 0.001


def tune_collector() -> None:
    """The cyclic garbage collector set for serving requests.

    * What start-up made (the schema, the modules) lives as long as the process: frozen out of
      the collector's reach, full collections stop scanning it because of each request's
      garbage (measured on the N+1 query: about a third more requests a second).
    * A request makes thousands of containers and frees nearly all of them by reference
      counting when it ends; at the default threshold their mere number set off a collection
      of the youngest generation about every other N+1 query under load, and of the older
      ones every twentieth (up to 15 ms each): about a tenth of the gateway's CPU (issue 17,
      timed with ``gc.callbacks``). At ``YOUNG_THRESHOLD`` such collections are rare; garbage
      in cycles waits a little longer (no growth of the resident size measured).
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
    # New documents are parsed and validated on a thread of their own (``new_documents``):
    # the event loop waits at most this long for the GIL when it has a request to serve
    # (Python's default: 5 ms).
    sys.setswitchinterval(SWITCH_INTERVAL)


async def run_worker(settings: Settings) -> None:
    """Run write jobs until SIGTERM/SIGINT: then no new chunk starts, and chunks on the wire
    get ``shutdown_grace_seconds`` to settle."""
    workers = settings.write_workers or 8
    settings = settings.model_copy(update={"write_workers": workers})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Runtime.build(settings) as runtime:
        log.warning(
            "write worker %s: %d tasks (%s loop)",
            runtime.writes.owner,
            workers,
            loop_name(),
            extra={"event_loop": loop_name()},
        )
        await stop.wait()
        runtime.writes.stop_claiming()
    log.warning("write worker stopped")


async def serve_emulators(host: str, ports: dict[str, int]) -> None:
    """Serve the three emulators on ``host`` at the given ports, until interrupted.

    Every port is taken before the first log line, so a port in use is told alone.
    """
    sockets: list[socket.socket] = []
    try:
        for name, port in ports.items():
            sockets.append(listen(host, port, f"--{name}-port", "--host"))
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    emulators = dict(build_emulators().items())
    servers = []
    for index, (name, sock) in enumerate(zip(ports, sockets, strict=True)):
        # The first server owns the signals; its exit stops the others.
        servers.append((make_server(emulators[name], handle_signals=index == 0), sock))
        log.warning("emulator %s on %s", name, http_root(sock))
    (main, main_sock), *sidecars = servers
    await _run(main, main_sock, sidecars)


def _begin_shutdown(app: Starlette) -> None:
    """At the signal, before uvicorn waits for open connections: no new write-job chunk
    starts (callers waiting for a job are answered), and open subscriptions end."""
    runtime = getattr(app.state, "runtime", None)
    if runtime is not None:
        runtime.writes.stop_claiming()
    subscriptions = getattr(app.state, "subscriptions", None)
    if subscriptions is not None:
        subscriptions.close()


def _guard_slow_clients(
    server: uvicorn.Server, limits: SlowClientLimits, parser: Parser = "auto"
) -> None:
    """Close connections that send their headers or body too slowly (gateway.http.slow_clients).

    Set on the config before ``serve()`` loads it, which is when uvicorn reads ``http``.
    """
    server.config.http = slow_client_protocol(limits, parser)


def _sidecar(app: Starlette) -> tuple[uvicorn.Server, socket.socket]:
    return make_server(app), bind_socket("127.0.0.1", 0)


async def _run(
    main: uvicorn.Server,
    main_sock: socket.socket,
    sidecars: list[tuple[uvicorn.Server, socket.socket]],
) -> None:
    tasks = [asyncio.create_task(s.serve(sockets=[sock])) for s, sock in sidecars]
    try:
        await main.serve(sockets=[main_sock])
    finally:
        for server, _ in sidecars:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
