"""Credentials a graphql-transport-ws client puts in its ``connection_init`` payload.

Browsers cannot set headers on a WebSocket upgrade, so a client may send them as payload keys
instead; the context factory then sees them as headers, as over HTTP:

| payload | headers the context factory sees |
| --- | --- |
| ``{}`` or no payload | the upgrade request's |
| ``{"x-api-key": "k"}`` (any case) | the upgrade's, ``x-api-key: k`` instead of its credentials |
| ``{"Authorization": "Bearer t"}`` | the upgrade's, ``authorization: Bearer t`` instead of its credentials |
| ``{"x-api-key": 3}`` | ``InvalidCredentials`` (the connection is closed 4400) |

When the payload names a credential, the upgrade's ``x-api-key`` and ``authorization`` are
both dropped: one identity per connection, the one the client chose last.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import HTTPConnection

__all__ = ["CREDENTIAL_HEADERS", "InvalidCredentials", "with_payload_credentials"]

CREDENTIAL_HEADERS = ("x-api-key", "authorization")


class InvalidCredentials(ValueError):
    """A credential key of the payload whose value is not text."""


def with_payload_credentials(
    connection: HTTPConnection, payload: Mapping[str, Any]
) -> HTTPConnection:
    """``connection`` itself, or a copy whose credential headers are the payload's."""
    found: dict[str, str] = {}
    for key, value in payload.items():
        name = key.lower() if isinstance(key, str) else ""
        if name in CREDENTIAL_HEADERS:
            if not isinstance(value, str):
                raise InvalidCredentials(f"'{name}' must be text")
            found[name] = value
    if not found:
        return connection
    headers = [
        (name, value)
        for name, value in connection.scope["headers"]
        if name.decode("latin-1").lower() not in CREDENTIAL_HEADERS
    ]
    headers += [
        (name.encode(), value.encode("latin-1", "replace")) for name, value in found.items()
    ]
    return HTTPConnection({**connection.scope, "headers": headers})
