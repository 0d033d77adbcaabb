"""Slow clients (issue 14): late headers or a late body close the connection.

Raw sockets against ``gateway serve`` (the wiring users run) and against a tiny app served
in process by each of the two protocol classes (httptools and h11). Timeouts are small
(headers 1 s, body 2.5 s); every wait allows at least 1 s more than the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import get_args

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from websockets.sync.client import connect

from gateway.emulators.serving import BackgroundServer
from gateway.http.slow_clients import Parser, SlowClientLimits, slow_client_protocol
from tests.test_serving import _free_port, _process

HEADER_SECONDS = 1.0
BODY_SECONDS = 2.5
MARGIN = 1.5  # generous: a busy 2-core machine
KEEP_ALIVE = 5  # uvicorn's default timeout_keep_alive, which the gateway keeps

QUERY = b'{"query": "{ product(tid: \\"DEMO-0001\\") { tid } }"}'


# --- helpers -------------------------------------------------------------------------------


@contextlib.contextmanager
def _connect(port: int) -> Iterator[socket.socket]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        yield sock
    finally:
        sock.close()


def _read_until_closed(sock: socket.socket, within: float) -> tuple[bool, bytes]:
    """Everything the server sends until it closes, and whether it closed within ``within``."""
    deadline = time.monotonic() + within
    received = b""
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return True, received
        if not chunk:
            return True, received
        received += chunk
    return False, received


def _request(path: str, body: bytes = b"", *, length: int | None = None) -> bytes:
    method = b"POST" if length is not None or body else b"GET"
    head = [method + b" " + path.encode() + b" HTTP/1.1", b"Host: test"]
    if method == b"POST":
        head += [b"Content-Type: application/json", b"Content-Length: %d" % (length or len(body))]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def _one_response(sock: socket.socket) -> bytes:
    """One whole response with a ``content-length`` from a kept-open connection."""
    return _responses(sock, 1)[0]


def _responses(sock: socket.socket, count: int) -> list[bytes]:
    """``count`` whole responses, each with a ``content-length``, read off one connection."""
    received, answers = b"", list[bytes]()
    while len(answers) < count:
        head, blank, rest = received.partition(b"\r\n\r\n")
        found = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
        if blank and found and len(rest) >= int(found[1]):
            answers.append(head + blank + rest[: int(found[1])])
            received = rest[int(found[1]) :]
            continue
        chunk = sock.recv(65536)
        assert chunk, f"closed before a whole response: {received!r}"
        received += chunk
    return answers


def _open_connections(port: int) -> float:
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
    return float(re.search(r"^gateway_open_connections (\S+)$", metrics, re.MULTILINE)[1])  # type: ignore[index]


# --- `gateway serve` -----------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    port: int  # the public listener
    admin: int  # the admin listener: /metrics


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    port, admin = _free_port(), _free_port()
    env = {
        "GATEWAY_PORT": str(port),
        "GATEWAY_ADMIN_PORT": str(admin),
        "GATEWAY_DEVELOPMENT_MODE": "true",
        "GATEWAY_DATABASE": str(tmp_path_factory.mktemp("slow") / "g.sqlite3"),
        "GATEWAY_HEADER_TIMEOUT_SECONDS": str(HEADER_SECONDS),
        "GATEWAY_BODY_TIMEOUT_SECONDS": str(BODY_SECONDS),
    }
    with _process(["serve"], env, f"http://127.0.0.1:{port}", "/healthz"):
        yield Served(port, admin)


def test_serve_closes_a_connection_with_partial_headers(served: Served) -> None:
    with _connect(served.port) as sock:
        sock.sendall(b"POST /graphql HTTP/1.1\r\nHost: test\r\n")
        started = time.monotonic()
        closed, received = _read_until_closed(sock, HEADER_SECONDS + MARGIN)
        waited = time.monotonic() - started
    assert closed and received == b""
    assert waited >= HEADER_SECONDS - 0.1  # its clock ran out, nothing closed it sooner


def test_serve_closes_partial_headers_on_the_admin_listener_too(served: Served) -> None:
    with _connect(served.admin) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\n")
        closed, received = _read_until_closed(sock, HEADER_SECONDS + MARGIN)
    assert closed and received == b""


def test_serve_answers_408_to_a_partial_body_and_closes(served: Served) -> None:
    with _connect(served.port) as sock:
        sock.sendall(_request("/graphql", QUERY[:10], length=1000))
        closed, received = _read_until_closed(sock, BODY_SECONDS + MARGIN)
    assert closed
    assert received.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in received


def test_serve_closes_200_slow_connections_and_still_answers(served: Served) -> None:
    partial_headers = b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Le"
    partial_body = _request("/graphql", QUERY[:10], length=1000)
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(_connect(served.port)) for _ in range(200)]
        for index, sock in enumerate(socks):
            sock.sendall(partial_headers if index % 2 else partial_body)
        # The server accepts them from its backlog as its loop gets to it: wait for all 200.
        deadline = time.monotonic() + 10 * MARGIN
        while (opened := _open_connections(served.admin)) < 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert opened >= 200
        deadline = time.monotonic() + BODY_SECONDS + 2 * MARGIN
        still_open = sum(
            not _read_until_closed(sock, max(deadline - time.monotonic(), 0.01))[0]
            for sock in socks
        )
    assert still_open == 0
    answer = httpx.post(
        f"http://127.0.0.1:{served.port}/graphql",
        content=QUERY,
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert answer.json() == {"data": {"product": {"tid": "DEMO-0001"}}}
    # Server side too, read on the admin listener: none left (closing is not instant).
    deadline = time.monotonic() + MARGIN
    while (count := _open_connections(served.admin)) > 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert count == 0


def test_serve_keeps_an_idle_keep_alive_connection_longer_than_the_header_timeout(
    served: Served,
) -> None:
    with _connect(served.port) as sock:
        sock.sendall(_request("/graphql", QUERY))
        first = _one_response(sock)
        time.sleep(HEADER_SECONDS + 1.0)  # idle: uvicorn's keep-alive clock (5 s), not ours
        sock.sendall(_request("/graphql", QUERY))
        second = _one_response(sock)
    for answer in (first, second):
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert answer.endswith(b'{"data":{"product":{"tid":"DEMO-0001"}}}')


def test_serve_takes_a_slow_but_steady_body_within_the_body_timeout(served: Served) -> None:
    # Five pieces over ~1.25 s: longer than the header timeout, well inside the body's.
    pieces = [QUERY[i : i + 10] for i in range(0, len(QUERY), 10)]
    pause = 1.25 / len(pieces)
    with _connect(served.port) as sock:
        sock.sendall(_request("/graphql", length=len(QUERY)))
        for piece in pieces:
            time.sleep(pause)
            sock.sendall(piece)
        answer = _one_response(sock)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.endswith(b'{"data":{"product":{"tid":"DEMO-0001"}}}')


# --- each protocol class, in process ---------------------------------------------------------


async def _echo(request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(len(await request.body())))


async def _early(request: Request) -> PlainTextResponse:
    return PlainTextResponse("answered before the body")  # never reads it


async def _slow(request: Request) -> PlainTextResponse:
    await asyncio.sleep(BODY_SECONDS + 1.0)  # the app is slow, not the client
    return PlainTextResponse("late but whole")


async def _echo_ws(websocket: WebSocket) -> None:
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text)


@pytest.fixture(params=[p for p in get_args(Parser) if p != "auto"])
def guarded(request: pytest.FixtureRequest) -> Iterator[tuple[int, SlowClientLimits]]:
    app = Starlette(
        routes=[
            Route("/echo", _echo, methods=["GET", "POST"]),
            Route("/early", _early, methods=["POST"]),
            Route("/slow", _slow, methods=["GET"]),
            WebSocketRoute("/ws", _echo_ws),
        ]
    )
    limits = SlowClientLimits(HEADER_SECONDS, BODY_SECONDS)
    server = BackgroundServer(app)
    server.server.config.http = slow_client_protocol(limits, request.param)
    server.start()
    try:
        yield server.port, limits
    finally:
        server.stop()


def test_a_connection_that_sends_nothing_is_closed(guarded: tuple[int, SlowClientLimits]) -> None:
    port, limits = guarded
    with _connect(port) as sock:
        closed, received = _read_until_closed(sock, HEADER_SECONDS + MARGIN)
    assert closed and received == b""
    assert limits.closed == {"headers": 1, "body": 0}


def test_partial_headers_are_closed(guarded: tuple[int, SlowClientLimits]) -> None:
    port, limits = guarded
    with _connect(port) as sock:
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: te")
        closed, received = _read_until_closed(sock, HEADER_SECONDS + MARGIN)
    assert closed and received == b""
    assert limits.closed["headers"] == 1


def test_a_partial_body_gets_408(guarded: tuple[int, SlowClientLimits]) -> None:
    port, limits = guarded
    with _connect(port) as sock:
        sock.sendall(_request("/echo", b"x" * 10, length=1000))
        closed, received = _read_until_closed(sock, BODY_SECONDS + MARGIN)
    assert closed
    assert received.startswith(b"HTTP/1.1 408 ")
    assert received.count(b"HTTP/1.1") == 1  # the app's own answer is not written after it
    assert limits.closed == {"headers": 0, "body": 1}


def test_a_late_body_after_the_answer_is_closed_without_a_408(
    guarded: tuple[int, SlowClientLimits],
) -> None:
    port, limits = guarded
    with _connect(port) as sock:
        sock.sendall(_request("/early", b"x" * 10, length=1000))
        started = time.monotonic()
        closed, received = _read_until_closed(sock, BODY_SECONDS + MARGIN)
        waited = time.monotonic() - started
    assert closed
    assert received.startswith(b"HTTP/1.1 200 ") and b"408" not in received
    assert waited < KEEP_ALIVE  # the body's clock closed it, not the keep-alive one
    assert limits.closed["body"] == 1


def test_idle_keep_alive_outlives_the_header_timeout(guarded: tuple[int, SlowClientLimits]) -> None:
    port, limits = guarded
    with _connect(port) as sock:
        sock.sendall(_request("/echo"))
        first = _one_response(sock)
        time.sleep(HEADER_SECONDS + 1.0)
        sock.sendall(_request("/echo", b"abc"))
        second = _one_response(sock)
    assert first.startswith(b"HTTP/1.1 200 ") and first.endswith(b"\r\n\r\n0")
    assert second.startswith(b"HTTP/1.1 200 ") and second.endswith(b"\r\n\r\n3")
    assert limits.closed == {"headers": 0, "body": 0}


def test_the_next_requests_headers_are_timed_from_its_first_byte(
    guarded: tuple[int, SlowClientLimits],
) -> None:
    port, limits = guarded
    with _connect(port) as sock:
        sock.sendall(_request("/echo"))
        _one_response(sock)
        sock.sendall(b"GET /echo HTTP/1.1\r\n")
        started = time.monotonic()
        closed, _ = _read_until_closed(sock, HEADER_SECONDS + MARGIN)
        waited = time.monotonic() - started
    assert closed
    assert waited < KEEP_ALIVE  # the header clock, not the keep-alive one
    assert limits.closed["headers"] == 1


def test_a_slow_but_steady_body_is_taken(guarded: tuple[int, SlowClientLimits]) -> None:
    port, limits = guarded
    with _connect(port) as sock:
        sock.sendall(_request("/echo", length=50))
        for _ in range(5):  # ~1.25 s: past the header timeout, inside the body's
            time.sleep(0.25)
            sock.sendall(b"x" * 10)
        answer = _one_response(sock)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"\r\n\r\n50")
    assert limits.closed == {"headers": 0, "body": 0}


def test_a_slow_answer_is_not_cut_off(guarded: tuple[int, SlowClientLimits]) -> None:
    port, limits = guarded
    with _connect(port) as sock:
        sock.sendall(_request("/slow"))
        sock.settimeout(BODY_SECONDS + 1.0 + MARGIN + 5)
        answer = _one_response(sock)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"late but whole")
    assert limits.closed == {"headers": 0, "body": 0}


def test_a_websocket_outlives_both_timeouts(guarded: tuple[int, SlowClientLimits]) -> None:
    port, limits = guarded
    with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=10) as ws:
        ws.send("before")
        assert ws.recv(timeout=10) == "before"
        time.sleep(BODY_SECONDS + 1.0)
        ws.send("after")
        assert ws.recv(timeout=10) == "after"
    assert limits.closed == {"headers": 0, "body": 0}


def test_pipelined_requests_are_answered(guarded: tuple[int, SlowClientLimits]) -> None:
    port, limits = guarded
    with _connect(port) as sock:
        sock.sendall(_request("/echo", b"ab") + _request("/echo", b"abcd") + _request("/echo"))
        answers = _responses(sock, 3)
    assert [answer.rpartition(b"\r\n\r\n")[2] for answer in answers] == [b"2", b"4", b"0"]
    assert limits.closed == {"headers": 0, "body": 0}
