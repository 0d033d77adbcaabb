"""Requests answered before GraphQL runs: HTTP-layer refusals and the app's own errors.

| refusal | status | ``extensions.code`` |
| --- | --- | --- |
| malformed body or parameters, batch off or too big | 400 | ``BAD_REQUEST`` |
| GraphiQL asked for but disabled | 404 | ``NOT_FOUND`` |
| mutation over GET, other methods | 405 (with ``Allow``) | ``METHOD_NOT_ALLOWED`` |
| ``Accept`` allows no JSON type | 406 | ``NOT_ACCEPTABLE`` |
| POST body not ``application/json`` | 415 | ``UNSUPPORTED_MEDIA_TYPE`` |

An exception raised by the app's ``context_factory`` becomes a refusal too when it looks like
an application error (it has ``extensions``): ``app_refusal`` picks its status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["Refusal", "app_refusal", "extensions_of", "http_status_of"]

_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}

# Statuses for the gateway's error codes (gateway.errors) when an error names none itself.
_CODE_STATUS = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "BAD_USER_INPUT": 400,
    "PAYLOAD_TOO_LARGE": 413,
    "UPSTREAM_TIMEOUT": 504,
}


class Refusal(Exception):
    """A request answered with ``status`` and one error, before any GraphQL work."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        extensions: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extensions = dict(extensions or {"code": _CODES.get(status, "BAD_REQUEST")})
        self.headers = dict(headers or {})


def extensions_of(exc: BaseException) -> dict[str, Any] | None:
    """An application error's GraphQL ``extensions`` (a method or a mapping), else ``None``."""
    extensions = getattr(exc, "extensions", None)
    if callable(extensions):
        extensions = extensions()
    return dict(extensions) if isinstance(extensions, Mapping) else None


def http_status_of(exc: BaseException) -> int | None:
    """The HTTP status an application error asks for, if it says (``http_status``, or a
    known ``extensions.code`` such as ``UNAUTHENTICATED`` -> 401, ``FORBIDDEN`` -> 403)."""
    status = getattr(exc, "http_status", None)
    if isinstance(status, int) and 400 <= status <= 599:
        return status
    code = (extensions_of(exc) or {}).get("code")
    if isinstance(code, str):
        if code in _CODE_STATUS:
            return _CODE_STATUS[code]
        if code.startswith("UPSTREAM_"):
            return 502
    return None


def app_refusal(exc: BaseException) -> Refusal | None:
    """The refusal for an exception the app raised before execution; ``None`` when it is
    not an application error (the caller re-raises it: a bug is a 500, not a refusal).

    The status comes from ``http_status_of``, else the exception's own ``status`` (4xx/5xx),
    else 500. Its ``headers`` (e.g. ``WWW-Authenticate``) are sent along.
    """
    extensions = extensions_of(exc)
    if extensions is None:
        return None
    status = http_status_of(exc)
    if status is None:
        own = getattr(exc, "status", None)
        status = own if isinstance(own, int) and 400 <= own <= 599 else 500
    message = getattr(exc, "message", None)
    headers = getattr(exc, "headers", None)
    return Refusal(
        status,
        message if isinstance(message, str) else str(exc),
        extensions=extensions,
        headers=headers if isinstance(headers, Mapping) else None,
    )
