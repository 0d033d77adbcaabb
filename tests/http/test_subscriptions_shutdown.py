"""A server shutting down is not held by its subscribers once ``OpenStreams.close()`` runs."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import uvicorn

from gateway.emulators.serving import bind_socket, http_root
from gateway.http import OpenStreams
from tests.http.subscriptions import (
    READER,
    SSE,
    Counters,
    build_app,
    eventually,
    init,
    receive,
    subscribe,
)


class _ClosingServer(uvicorn.Server):
    """Closes the app's streams as shutdown begins, as ``gateway serve``'s exit hook does."""

    def __init__(self, config: uvicorn.Config, streams: OpenStreams) -> None:
        super().__init__(config)
        self.streams = streams

    async def shutdown(self, sockets: Any = None) -> None:
        self.streams.close()
        await super().shutdown(sockets)


async def test_open_sse_streams_and_websockets_end_when_the_server_shuts_down() -> None:
    from websockets.asyncio.client import connect

    counters = Counters()
    app, streams = build_app(counters, [])
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", log_config=None, timeout_graceful_shutdown=30
    )
    server = _ClosingServer(config, streams)
    sock = bind_socket()
    url = f"{http_root(sock)}/graphql"
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        await eventually(lambda: server.started)
        async with (
            httpx.AsyncClient(timeout=10) as client,
            client.stream(
                "POST",
                url,
                json={"query": "subscription { forever }"},
                headers={"accept": SSE, "x-api-key": READER},
            ) as answer,
            connect(
                "ws" + url.removeprefix("http"),
                subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                additional_headers={"x-api-key": READER},
            ) as ws,
        ):
            lines = answer.aiter_lines()
            assert await anext(lines) == "event: next"
            await init(ws)
            await subscribe(ws, "f", "subscription { forever }")
            await receive(ws)
            assert len(streams) == 2

            started = time.monotonic()
            server.should_exit = True
            rest = [line async for line in lines]  # the stream ends, without ``complete``
            async with asyncio.timeout(5):
                await ws.wait_closed()
            await asyncio.to_thread(thread.join, 10)
            stopped = time.monotonic() - started
        assert "event: complete" not in rest
        # 1001 from the app, or uvicorn's own 1012 if it reached the socket first.
        assert ws.close_code in (1001, 1012)
        assert not thread.is_alive()
        assert stopped < 5, f"shutdown took {stopped:.1f}s: a subscriber held it"
        assert counters.closed == 2
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
