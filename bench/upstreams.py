"""The three emulators in one process of their own, as the gateway under test sees real APIs.

``python -m bench.upstreams`` serves them on free loopback ports and prints one JSON line,
``{"pim": "http://127.0.0.1:PORT", ...}``, then runs until SIGTERM/SIGINT.

The emulators' request logs (``/__emulator__/log``) say what was asked, not what was answered;
the bulk-write target counts 429 answers, so each emulator is wrapped in ``StatusCounter``:

| method and path | effect |
| --- | --- |
| ``GET /__bench__/statuses`` | ``[{"method", "path", "status", "count"}, ...]`` since the last reset |
| ``DELETE /__bench__/statuses`` | reset the counts |
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections import Counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.emulators.serving import bind_socket, build_emulators, make_server

__all__ = ["STATUS_PATH", "StatusCounter", "main"]

STATUS_PATH = "/__bench__/statuses"


class StatusCounter:
    """ASGI middleware counting answers by (method, path, status), readable over HTTP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._counts: Counter[tuple[str, str, int]] = Counter()
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == STATUS_PATH:
            await self._admin(scope, send)
            return
        key = (scope["method"], scope["path"])

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                with self._lock:
                    self._counts[(*key, int(message["status"]))] += 1
            await send(message)

        await self.app(scope, receive, counting_send)

    async def _admin(self, scope: Scope, send: Send) -> None:
        with self._lock:
            if scope["method"] == "DELETE":
                self._counts.clear()
            rows = [
                {"method": m, "path": p, "status": s, "count": n}
                for (m, p, s), n in self._counts.items()
            ]
        body = json.dumps(rows).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _serve() -> None:
    servers = []
    roots: dict[str, str] = {}
    for index, (name, app) in enumerate(build_emulators().items()):
        sock = bind_socket("127.0.0.1", 0)
        # The first server owns the signals; its exit stops the others.
        server = make_server(StatusCounter(app), handle_signals=index == 0)  # type: ignore[arg-type]
        servers.append((server, sock))
        roots[name] = f"http://127.0.0.1:{sock.getsockname()[1]}"
    (main_server, main_sock), *sidecars = servers
    tasks = [asyncio.create_task(s.serve(sockets=[sock])) for s, sock in sidecars]
    main_task = asyncio.create_task(main_server.serve(sockets=[main_sock]))
    # Announce only once every server listens, so the bench can start at once; uvicorn
    # offers a `started` flag, not an event, hence the polling.
    while not all(s.started for s, _ in servers) and not main_task.done():  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    if main_task.done():
        await main_task  # it failed to start: raise its error rather than announce it
        return
    sys.stdout.write(json.dumps(roots) + "\n")
    sys.stdout.flush()
    try:
        await main_task
    finally:
        for server, _ in sidecars:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
