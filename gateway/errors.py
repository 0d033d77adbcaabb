"""The gateway's one error tree.

```
GatewayError                      code
├── UpstreamError                 UPSTREAM_ERROR
│   ├── UpstreamUnavailable       UPSTREAM_UNAVAILABLE   (connect failed, 5xx, breaker open)
│   ├── UpstreamTimeout           UPSTREAM_TIMEOUT       (no answer in time)
│   ├── UpstreamRateLimited       UPSTREAM_RATE_LIMITED  (429 past retries; a read past its wait budget)
│   ├── UpstreamBadResponse       UPSTREAM_BAD_RESPONSE  (malformed, hostile or unexpected body)
│   ├── UpstreamRejected          UPSTREAM_REJECTED      (4xx: the upstream refused the request)
│   └── UpstreamOutcomeUnknown    UPSTREAM_OUTCOME_UNKNOWN (a write whose answer never came)
├── BadUserInput                  BAD_USER_INPUT
├── Unauthenticated               UNAUTHENTICATED
└── Forbidden                     FORBIDDEN
```

Every error carries its ``code`` (GraphQL ``extensions.code``) and, where known, the
``upstream`` it concerns, the ``item`` and the HTTP ``status``. None carries a credential:
messages are built by the gateway, never copied from a request's headers. Foreign errors
(httpx, lxml, json) are translated once, at the transport or codec boundary, with
``raise UpstreamTimeout(upstream="pim") from exc``.

An upstream's own text (a 4xx body's ``message``, a PIM issue) reaches a client only through
``upstream_said``: control and format characters (bidi overrides included) become spaces,
whitespace runs collapse, it is cut at ``UPSTREAM_TEXT_CHARS`` (200) with "…", and it is
marked as the upstream's words by the prefix ``the upstream said:``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, ClassVar

__all__ = [
    "UPSTREAM_TEXT_CHARS",
    "BadUserInput",
    "Forbidden",
    "GatewayError",
    "Unauthenticated",
    "UpstreamBadResponse",
    "UpstreamError",
    "UpstreamOutcomeUnknown",
    "UpstreamRateLimited",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "upstream_said",
]

UPSTREAM_TEXT_CHARS = 200
_SPACES = re.compile(r"\s+")


def upstream_said(text: str, *, limit: int = UPSTREAM_TEXT_CHARS) -> str:
    """``'the upstream said: <text>'``, cleaned and trimmed; ``""`` when nothing is left.

    | text | returns |
    | --- | --- |
    | ``"bad\\x1b[31m id\\n"`` | ``the upstream said: bad [31m id`` |
    | 500 characters | the first 200, then ``…`` |
    """
    shown = "".join(" " if unicodedata.category(c) in ("Cc", "Cf") else c for c in text)
    shown = _SPACES.sub(" ", shown).strip()
    if not shown:
        return ""
    if len(shown) > limit:
        shown = shown[:limit].rstrip() + "…"
    return f"the upstream said: {shown}"


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"
    default_message: ClassVar[str] = "gateway error"

    def __init__(
        self,
        message: str | None = None,
        *,
        upstream: str | None = None,
        item: str | None = None,
        status: int | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.upstream = upstream
        self.item = item
        self.status = status
        super().__init__(self.message)

    def extensions(self) -> dict[str, Any]:
        """What a GraphQL error's ``extensions`` shows of this error."""
        data: dict[str, Any] = {"code": self.code}
        if self.upstream is not None:
            data["upstream"] = self.upstream
        if self.item is not None:
            data["item"] = self.item
        if self.status is not None:
            data["status"] = self.status
        return data

    def __str__(self) -> str:
        where = ", ".join(
            f"{k}={v}"
            for k, v in (("upstream", self.upstream), ("item", self.item), ("status", self.status))
            if v is not None
        )
        return f"{self.message} ({where})" if where else self.message


class UpstreamError(GatewayError):
    code = "UPSTREAM_ERROR"
    default_message = "the upstream failed"


class UpstreamUnavailable(UpstreamError):
    code = "UPSTREAM_UNAVAILABLE"
    default_message = "the upstream is unavailable"


class UpstreamTimeout(UpstreamError):
    code = "UPSTREAM_TIMEOUT"
    default_message = "the upstream did not answer in time"


class UpstreamRateLimited(UpstreamError):
    code = "UPSTREAM_RATE_LIMITED"
    default_message = "the upstream's rate limit was exceeded"

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        upstream: str | None = None,
        item: str | None = None,
        status: int | None = 429,
    ) -> None:
        super().__init__(message, upstream=upstream, item=item, status=status)
        self.retry_after = retry_after

    def extensions(self) -> dict[str, Any]:
        data = super().extensions()
        if self.retry_after is not None:
            # Seconds, as a client's retry timer wants them (HTTP's Retry-After is whole seconds).
            data["retryAfter"] = round(self.retry_after, 3)
        return data


class UpstreamBadResponse(UpstreamError):
    code = "UPSTREAM_BAD_RESPONSE"
    default_message = "the upstream's answer could not be read"


class UpstreamRejected(UpstreamError):
    """The upstream refused the request (4xx), with its own reason where it gave one."""

    code = "UPSTREAM_REJECTED"
    default_message = "the upstream rejected the request"

    def __init__(
        self,
        message: str | None = None,
        *,
        upstream_code: str | None = None,
        upstream: str | None = None,
        item: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, upstream=upstream, item=item, status=status)
        self.upstream_code = upstream_code

    def extensions(self) -> dict[str, Any]:
        data = super().extensions()
        if self.upstream_code is not None:
            data["upstreamCode"] = self.upstream_code
        return data


class UpstreamOutcomeUnknown(UpstreamError):
    """A write was sent but no answer came back: it may or may not have been applied."""

    code = "UPSTREAM_OUTCOME_UNKNOWN"
    default_message = "the write was sent but its outcome is unknown"


class BadUserInput(GatewayError):
    code = "BAD_USER_INPUT"
    default_message = "invalid input"


class Unauthenticated(GatewayError):
    code = "UNAUTHENTICATED"
    default_message = "authentication required"


class Forbidden(GatewayError):
    code = "FORBIDDEN"
    default_message = "not allowed"
