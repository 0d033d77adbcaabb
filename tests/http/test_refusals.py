from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import BadUserInput, Forbidden, Unauthenticated, UpstreamTimeout
from gateway.http.refusals import app_refusal, http_status_of


class DenyError(Exception):
    """An app error that is not a GatewayError: a status, extensions and a header."""

    status = 401
    extensions: dict[str, Any] = {"code": "TOKEN_EXPIRED"}
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (Unauthenticated(), 401, "UNAUTHENTICATED"),
        (Forbidden(), 403, "FORBIDDEN"),
        (BadUserInput("no"), 400, "BAD_USER_INPUT"),
        (UpstreamTimeout(upstream="pim"), 504, "UPSTREAM_TIMEOUT"),
        (DenyError("expired"), 401, "TOKEN_EXPIRED"),
    ],
)
def test_app_errors_become_refusals(error: Exception, status: int, code: str) -> None:
    refusal = app_refusal(error)
    assert refusal is not None
    assert (refusal.status, refusal.extensions["code"]) == (status, code)


def test_a_refusal_keeps_the_errors_headers_and_message() -> None:
    refusal = app_refusal(DenyError("expired"))
    assert refusal is not None
    assert refusal.message == "expired"
    assert refusal.headers == {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def test_plain_exceptions_are_not_refusals() -> None:
    assert app_refusal(RuntimeError("bug")) is None
    assert http_status_of(RuntimeError("bug")) is None


def test_an_explicit_http_status_wins() -> None:
    error = Forbidden()
    error.http_status = 451  # type: ignore[attr-defined]
    assert http_status_of(error) == 451
