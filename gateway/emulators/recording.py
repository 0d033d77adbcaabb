"""What every emulator shares: a request log, fault switches, and the admin routes over both.

Tests count upstream calls in the log and provoke failures with the faults. Both are reachable
in process (``app.state.log``, ``app.state.faults``) and over HTTP under ``/__emulator__``:

| method and path | effect |
| --- | --- |
| ``GET /__emulator__/log`` | the recorded requests, oldest first (JSON), each with ``at`` and ``status`` |
| ``DELETE /__emulator__/log`` | forget them |
| ``POST /__emulator__/faults`` | ``{"latency": 0.5, "jitter": 0.3, "status": 503, "count": 2, "retry_after": 1, "malformed": 1}`` |
| ``DELETE /__emulator__/faults`` | clear every fault |

| fault | effect on each request |
| --- | --- |
| ``latency`` | waits that many seconds before it is handled |
| ``jitter`` | waits a uniformly random 0..``jitter`` seconds more: network delay on the way in, so requests sent in order and apart may arrive bunched or reordered |
| ``status``, ``count``, ``retry_after`` | the next ``count`` requests are answered ``status`` (with ``Retry-After``) |
| ``malformed`` | the next requests get ``malformed_body`` instead of the real answer |

Each entry is logged when the request is received (so a test sees a request whose client
gave up), then gets ``at`` (``time.time()`` when it reaches the handler, after latency and
jitter: the moment a rate limit counts it) and ``status`` (when the answer starts).
``RequestLog.max_in_window(1.0)`` counts the most arrivals within any sliding second, so
tests measure a rate at the upstream's end, never at the client's.

Admin requests are neither logged nor faulted.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "ADMIN_PREFIX",
    "Faults",
    "RecordedRequest",
    "RecordingMiddleware",
    "RequestLog",
    "admin_routes",
    "max_in_window",
]

ADMIN_PREFIX = "/__emulator__"
_SECRET_HEADERS = frozenset({"authorization", "x-api-key", "cookie", "proxy-authorization"})
_REDACTED = "<redacted>"


@dataclass(slots=True)
class RecordedRequest:
    """One request as the emulator received it, with secret header values redacted.

    ``at`` and ``status`` are filled in later (arrival at the handler, answer): ``None`` until
    then, e.g. while the request still waits out its latency.
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    at: float | None = None
    status: int | None = None

    def json(self) -> Any:
        return json.loads(self.body)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["body"] = self.body.decode("utf-8", errors="replace")
        return data


class RequestLog:
    """Thread-safe list of recorded requests (tests read it from another thread)."""

    def __init__(self) -> None:
        self._entries: list[RecordedRequest] = []
        self._lock = threading.Lock()

    def append(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests matched ``method`` and ``path`` (exact), each if given."""
        return sum(1 for e in self.entries() if _matches(e, method, path))

    def max_in_window(
        self, seconds: float = 1.0, method: str | None = None, path: str | None = None
    ) -> int:
        """The most matching requests that arrived (``at``) within any ``seconds`` window.

        The window is half-open, as a sliding-window limiter counts: arrivals exactly
        ``seconds`` apart are not in one window.
        """
        return max_in_window(
            [e.at for e in self.entries() if e.at is not None and _matches(e, method, path)],
            seconds,
        )


def max_in_window(times: list[float], seconds: float = 1.0) -> int:
    """The most of ``times`` within any half-open window ``[t, t + seconds)``."""
    ordered = sorted(times)
    most = first = 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


def _matches(entry: RecordedRequest, method: str | None, path: str | None) -> bool:
    return (method is None or entry.method == method) and (path is None or entry.path == path)


@dataclass(slots=True)
class Faults:
    """Switches that make the next requests slow, failing or garbled."""

    latency: float = 0.0
    jitter: float = 0.0
    status: int | None = None
    count: int = 0
    retry_after: int | None = None
    malformed: int = 0
    malformed_body: bytes = b"<pim><unclosed"
    malformed_content_type: str = "application/xml"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set(self, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                if name.startswith("_") or not hasattr(self, name):
                    raise ValueError(f"unknown fault {name!r}")
                setattr(self, name, value)

    def clear(self) -> None:
        self.set(latency=0.0, jitter=0.0, status=None, count=0, retry_after=None, malformed=0)

    def delay(self) -> float:
        """Seconds the next request waits before it is handled: latency plus its jitter."""
        with self._lock:
            return self.latency + (random.uniform(0.0, self.jitter) if self.jitter > 0 else 0.0)

    def take_status(self) -> int | None:
        """The status to answer instead of the real one, consuming one of ``count``."""
        with self._lock:
            if self.status is None or self.count <= 0:
                return None
            self.count -= 1
            return self.status

    def take_malformed(self) -> bool:
        with self._lock:
            if self.malformed <= 0:
                return False
            self.malformed -= 1
            return True


class RecordingMiddleware:
    """ASGI middleware: records each request, then applies the faults before the app runs."""

    def __init__(self, app: ASGIApp, log: RequestLog, faults: Faults) -> None:
        self.app = app
        self.log = log
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        entry = _record(scope, body)
        self.log.append(entry)
        delay = self.faults.delay()
        if delay > 0:
            await asyncio.sleep(delay)
        # Nothing yields between here and the app's handler: ``at`` is when a limit counts it.
        entry.at = time.time()
        send = _noting_status(entry, send)
        status = self.faults.take_status()
        if status is not None:
            await self._fault_response(status)(scope, receive, send)
            return
        if self.faults.take_malformed():
            garbled = Response(
                self.faults.malformed_body, media_type=self.faults.malformed_content_type
            )
            await garbled(scope, receive, send)
            return
        await self.app(scope, _replay(body), send)

    def _fault_response(self, status: int) -> Response:
        headers = {}
        if self.faults.retry_after is not None:
            headers["Retry-After"] = str(self.faults.retry_after)
        return Response(f"emulated fault {status}", status_code=status, headers=headers)


def admin_routes(log: RequestLog, faults: Faults, extra: list[Route] | None = None) -> list[Route]:
    """The ``/__emulator__`` routes over ``log`` and ``faults``, plus an emulator's own."""

    async def read_log(request: Request) -> Response:
        return JSONResponse([e.as_dict() for e in log.entries()])

    async def clear_log(request: Request) -> Response:
        log.clear()
        return Response(status_code=204)

    async def set_faults(request: Request) -> Response:
        changes = await request.json()
        if "malformed_body" in changes:
            changes["malformed_body"] = str(changes["malformed_body"]).encode()
        try:
            faults.set(**changes)
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return Response(status_code=204)

    async def clear_faults(request: Request) -> Response:
        faults.clear()
        return Response(status_code=204)

    return [
        Route(f"{ADMIN_PREFIX}/log", read_log, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/log", clear_log, methods=["DELETE"]),
        Route(f"{ADMIN_PREFIX}/faults", set_faults, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/faults", clear_faults, methods=["DELETE"]),
        *(extra or []),
    ]


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _noting_status(entry: RecordedRequest, send: Send) -> Send:
    async def noting(message: Message) -> None:
        if message["type"] == "http.response.start":
            entry.status = int(message["status"])
        await send(message)

    return noting


def _replay(body: bytes) -> Callable[[], Any]:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            # Starlette only asks again to watch for a disconnect; never answer one early.
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _record(scope: Scope, body: bytes) -> RecordedRequest:
    headers = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        headers[name] = _REDACTED if name in _SECRET_HEADERS else raw_value.decode("latin-1")
    return RecordedRequest(
        method=scope["method"],
        path=scope["path"],
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
    )
