"""What stops a start: the mistakes a user makes in setting the gateway up, each told as one
line naming the setting or the cause (``gateway serve``, ``worker``, ``migrate``, ``emulate``,
``schema``, ``check`` print it and exit 2).

| mistake | raised as | where |
| --- | --- | --- |
| unknown or invalid setting, bad TOML, a URL without its credential | ``SettingsError`` | ``load_settings`` |
| a malformed ``GATEWAY_API_KEYS`` entry, an unusable JWT setting | ``SettingsError`` | ``Authenticator.from_settings`` (app build) |
| an extension that cannot be imported or registered | ``ExtensionError`` | ``load_extensions`` (app build) |
| a port already in use, an address not on this host | ``StartupError`` | ``listen`` |
| a PostgreSQL ``GATEWAY_DATABASE`` that cannot be reached | ``StartupError`` | ``reach_database`` |
| a SQLite ``GATEWAY_DATABASE`` that cannot be opened | ``StartupError`` | ``reach_database`` |

Everything else is a bug, not a mistake: it keeps its traceback. An unreachable
``GATEWAY_REDIS_URL`` does not stop a start (the gateway runs on without it and ``/readyz``
says so), so it is not here.
"""

from __future__ import annotations

import errno
import socket
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from gateway.emulators.serving import bind_socket
from gateway.extensions import ExtensionError
from gateway.settings import SettingsError
from gateway.storage import is_postgres_url

__all__ = ["STARTUP_ERRORS", "StartupError", "describe_database", "listen", "reach_database"]


class StartupError(Exception):
    """The gateway cannot start as configured; the message says why, without a secret."""


STARTUP_ERRORS: tuple[type[Exception], ...] = (SettingsError, ExtensionError, StartupError)
"""The errors a start-up mistake raises; the command line prints these as one line."""


def listen(
    host: str, port: int, setting: str = "GATEWAY_PORT", host_setting: str = "GATEWAY_HOST"
) -> socket.socket:
    """``bind_socket(host, port)``, a refusal told with the setting that asked for it: the
    host's when the name or address is wrong here, else the port's (in use, not allowed)."""
    try:
        return bind_socket(host, port)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
            raise StartupError(f"cannot listen on {host} ({host_setting}): {reason}") from None
        raise StartupError(f"cannot listen on {host}:{port} ({setting}): {reason}") from None


def reach_database(target: str, timeout_seconds: float = 10.0) -> None:
    """Fail now, in one line, when ``GATEWAY_DATABASE`` cannot be opened, rather than in the
    app's lifespan after the pool's 30 s of retries and a traceback."""
    if is_postgres_url(target):
        _reach_postgres(target, timeout_seconds)
    else:
        _reach_sqlite(target)


def _reach_postgres(url: str, timeout_seconds: float) -> None:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=max(1, round(timeout_seconds))).close()
    except psycopg.Error as exc:
        # libpq's first line names host, port or database, never the password.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StartupError(f"GATEWAY_DATABASE {_where(url)} cannot be reached: {reason}") from None


def _reach_sqlite(path: str) -> None:
    # Opened (and created, with its folder) as ``gateway serve`` would, and read once: a
    # file that is not SQLite opens fine and fails only at the first statement.
    if path == ":memory:":
        return
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path)
        try:
            connection.execute("PRAGMA schema_version").fetchone()
        finally:
            connection.close()
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise StartupError(f"GATEWAY_DATABASE {path} cannot be opened: {reason}") from None


def describe_database(target: str) -> str:
    """Where ``GATEWAY_DATABASE`` points, safe to print (no password)."""
    return _where(target) if is_postgres_url(target) else f"SQLite file {target}"


def _where(url: str) -> str:
    """``postgresql://host:port/name``: the URL without its user and password."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a number: libpq's own message says so
        port = ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"
