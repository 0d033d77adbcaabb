"""CORS with an allow-list from settings, and the security middleware stack in one call.

| ``GATEWAY_CORS_ALLOW_ORIGINS`` | browsers on other origins |
| --- | --- |
| unset (default) | get no CORS headers: they cannot read answers (same-origin still works) |
| ``https://shop.example,https://admin.example`` | those two origins may call, with preflight |

Only the headers a GraphQL client needs are allowed (``content-type``, ``authorization``,
``x-api-key``, the CSRF headers, ``traceparent``); no cookies are involved (callers present
keys or tokens), so credentials stay off.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from gateway.security.guards import RequestGuards, request_guards_options
from gateway.settings import Settings

__all__ = ["cors_middleware", "security_middleware"]

_ALLOWED_HEADERS = ("content-type", "authorization", "x-api-key", "traceparent", "tracestate")


def cors_middleware(settings: Settings) -> Middleware | None:
    """Starlette's ``CORSMiddleware`` for the configured origins, or ``None`` if there are none."""
    origins = list(settings.cors_allow_origins)
    if not origins:
        return None
    headers = sorted({*_ALLOWED_HEADERS, *(h.lower() for h in settings.csrf_required_headers)})
    return Middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=headers,
        allow_credentials=False,
        max_age=600,
    )


def security_middleware(
    settings: Settings, *, paths: tuple[str, ...] = ("/graphql",)
) -> list[Middleware]:
    """``Starlette(middleware=security_middleware(settings))``: CORS outermost, so preflights
    are answered and refusals still carry CORS headers, then the request guards."""
    guards = Middleware(RequestGuards, paths=paths, **request_guards_options(settings))
    cors = cors_middleware(settings)
    return [cors, guards] if cors is not None else [guards]
