"""``RequestGuards``: pure ASGI middleware refusing hostile requests before GraphQL sees them.

Checked in this order, on the GraphQL path(s) only (``/healthz`` and the rest pass untouched):

| check | refused with | ``extensions.code`` |
| --- | --- | --- |
| CSRF: no preflight-forcing Content-Type and no required header | 400 | ``CSRF_ERROR`` |
| ``Content-Length`` or streamed body over ``max_body_bytes`` | 413 | ``PAYLOAD_TOO_LARGE`` |
| JSON body (or GET ``variables``/``extensions``) nested over ``max_json_depth`` | 400 | ``JSON_TOO_DEEP`` |
| a JSON array body (a batch) while batching is off | 400 | ``BATCHING_NOT_ENABLED`` |
| a batch of more than ``max_batch_size`` operations | 400 | ``BATCH_TOO_LARGE`` |

Refusals are GraphQL-shaped: ``{"errors": [{"message": ..., "extensions": {"code": ...}}]}``.

CSRF prevention is Apollo Router's: a browser sends a cross-site request without a CORS
preflight only when its Content-Type is absent or one of ``text/plain``,
``application/x-www-form-urlencoded``, ``multipart/form-data``. A request is executed only
if its Content-Type is something else (parsed as a MIME type; an unparsable one does not
count) or it carries a non-empty required header (by default ``X-Apollo-Operation-Name`` or
``Apollo-Require-Preflight``), which a browser also cannot add without a preflight.

The body is read at most once and at most ``max_body_bytes`` of it is ever held; the depth
check does not recurse (brackets are counted after strings are cut out), so a 1,000-deep
``[[[[...`` costs a linear scan, not a stack.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Iterable
from itertools import accumulate
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.settings import Settings

__all__ = [
    "CSRF_HEADERS",
    "SIMPLE_CONTENT_TYPES",
    "RequestGuards",
    "is_csrf_safe",
    "json_depth",
    "request_guards_options",
]

SIMPLE_CONTENT_TYPES = frozenset(
    {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
)
CSRF_HEADERS = ("x-apollo-operation-name", "apollo-require-preflight")

# RFC 9110 token characters: a MIME type is token "/" token, then optional parameters.
_MIME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# A JSON string; possessive, so a long string is one linear step and never backtracks.
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
# Maps each bracket to a signed byte: +1 for an opener, -1 (0xff) for a closer.
_BRACKETS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def is_csrf_safe(
    content_types: Iterable[str], headers: dict[str, str], required: Iterable[str]
) -> bool:
    """Would Apollo Router execute this request? (see the module docstring)

    | Content-Type | required header | safe |
    | --- | --- | --- |
    | ``application/json`` | none | yes |
    | ``text/plain; charset=utf-8`` | none | no |
    | absent (a plain GET) | none | no |
    | absent | ``apollo-require-preflight: true`` | yes |
    | ``not a mime type`` | none | no |
    """
    joined = ", ".join(value.strip() for value in content_types)
    if joined:
        essence = joined.split(";", 1)[0].strip().lower()
        if _MIME.fullmatch(essence) and essence not in SIMPLE_CONTENT_TYPES:
            return True
    return any(headers.get(name.lower(), "").strip() for name in required)


def json_depth(data: bytes) -> int:
    """How deep ``data``'s arrays and objects nest, counted without recursion.

    | data | depth |
    | --- | --- |
    | ``{"query": "{ a { b } }"}`` | 1 (brackets inside strings do not count) |
    | ``[[1], {"a": [2]}]`` | 3 |
    | ``[`` * 1000 | 1000 |

    Invalid JSON gets some number; the JSON parser refuses it afterwards anyway. Strings are
    cut out by one regex and the brackets summed by ``accumulate``, both in C: a 2 MB body
    takes milliseconds.
    """
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    return _depth_of(brackets)


def _depth_of(brackets: bytes) -> int:
    steps = array("b")
    steps.frombytes(brackets.translate(_BRACKETS))
    return max(accumulate(steps), default=0)


def request_guards_options(settings: Settings) -> dict[str, Any]:
    """``RequestGuards`` keyword arguments from settings, for ``Middleware(RequestGuards, **o)``."""
    return {
        "max_body_bytes": settings.max_body_bytes,
        "max_json_depth": settings.max_json_depth,
        "batching": settings.batching_enabled,
        "max_batch_size": settings.max_batch_size,
        "csrf": settings.csrf_prevention,
        "csrf_headers": settings.csrf_required_headers,
    }


class _Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class RequestGuards:
    """ASGI middleware: ``Middleware(RequestGuards, **request_guards_options(settings))``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        paths: Iterable[str] = ("/graphql",),
        max_body_bytes: int = 2_000_000,
        max_json_depth: int = 64,
        batching: bool = False,
        max_batch_size: int = 10,
        csrf: bool = True,
        csrf_headers: Iterable[str] = CSRF_HEADERS,
    ) -> None:
        self.app = app
        self.paths = frozenset(p.rstrip("/") or "/" for p in paths)
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        self.batching = batching
        self.max_batch_size = max_batch_size
        self.csrf = csrf
        self.csrf_headers = tuple(h.lower() for h in csrf_headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "").rstrip("/") or "/"
        if scope["type"] != "http" or path not in self.paths or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        try:
            receive = await self._check(scope, receive)
        except _Refusal as refusal:
            await _refuse(send, refusal)
            return
        await self.app(scope, receive, send)

    async def _check(self, scope: Scope, receive: Receive) -> Receive:
        raw = scope["headers"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}
        content_types = [v.decode("latin-1") for k, v in raw if k.lower() == b"content-type"]
        if (
            self.csrf
            and _executes(scope)
            and not is_csrf_safe(content_types, headers, self.csrf_headers)
        ):
            raise _Refusal(400, "CSRF_ERROR", _csrf_message(self.csrf_headers))
        self._check_query_string(scope.get("query_string", b""))
        if scope["method"] in ("GET", "HEAD"):
            return receive
        self._check_declared_length(headers.get("content-length"))
        body = await self._read_body(receive)
        if _is_json(headers.get("content-type", "")):
            self._check_json(body)
        return _replay(body, receive)

    def _check_query_string(self, query_string: bytes) -> None:
        if not query_string:
            return
        params = parse_qs(query_string.decode("latin-1"), keep_blank_values=True)
        for name in ("variables", "extensions"):
            for value in params.get(name, ()):
                self._check_depth(value.encode("utf-8", "surrogateescape"))

    def _check_declared_length(self, declared: str | None) -> None:
        digits = (declared or "").strip()
        if digits.isdigit() and int(digits) > self.max_body_bytes:
            raise _too_large(self.max_body_bytes)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app will see the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _too_large(self.max_body_bytes)  # stop reading: never hold more
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _check_json(self, body: bytes) -> None:
        self._check_depth(body)
        if body.lstrip()[:1] != b"[":
            return
        if not self.batching:
            raise _Refusal(400, "BATCHING_NOT_ENABLED", "Batched operations are not enabled.")
        try:
            count = len(json.loads(body))  # safe: the depth is already bounded
        except (ValueError, TypeError):
            return  # not JSON after all: the GraphQL endpoint will say so
        if count > self.max_batch_size:
            raise _Refusal(
                400,
                "BATCH_TOO_LARGE",
                f"A batch may hold at most {self.max_batch_size} operations.",
            )

    def _check_depth(self, data: bytes) -> None:
        # No more openers than the limit, no deeper than it: two counts in C (a fraction of a
        # millisecond for 2 MB) spare most bodies the string-cutting regex (7 ms for 2 MB).
        if data.count(b"[") + data.count(b"{") <= self.max_json_depth:
            return
        if json_depth(data) > self.max_json_depth:
            raise _Refusal(
                400,
                "JSON_TOO_DEEP",
                f"The JSON is nested deeper than the limit of {self.max_json_depth}.",
            )


def _executes(scope: Scope) -> bool:
    """Whether the request could run an operation: a GET without ``query`` (or a persisted
    operation's ``extensions`` or ``documentId``) only asks for the GraphiQL page, which a
    cross-site page may load (it runs nothing with the caller's rights)."""
    if scope["method"] not in ("GET", "HEAD"):
        return True
    params = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return any(name in params for name in ("query", "extensions", "documentId"))


def _is_json(content_type: str) -> bool:
    essence = content_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


def _too_large(limit: int) -> _Refusal:
    return _Refusal(413, "PAYLOAD_TOO_LARGE", f"The request body exceeds {limit} bytes.")


def _csrf_message(required: tuple[str, ...]) -> str:
    return (
        "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). "
        "Please either specify a 'content-type' header (with a type that is not one of "
        f"{', '.join(sorted(SIMPLE_CONTENT_TYPES))}) or provide a non-empty value for one of "
        f"the following headers: {', '.join(required)}"
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then defers to the client."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(send: Send, refusal: _Refusal) -> None:
    error = {"message": refusal.message, "extensions": {"code": refusal.code}}
    body = json.dumps({"errors": [error]}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if refusal.status == 413:
        headers.append((b"connection", b"close"))  # the unread rest of the body is dropped
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
