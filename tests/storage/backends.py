"""The two store backends, for tests that must hold on both.

``database_target(backend, tmp_path)`` yields what ``GATEWAY_DATABASE`` would hold: a fresh
SQLite file, or a PostgreSQL URL whose ``search_path`` is a schema made for this test alone
(dropped afterwards), so tests never see each other's rows.

PostgreSQL is ``GATEWAY_TEST_POSTGRES_URL`` (default the local server). Under ``CI=true`` an
unreachable server fails the test; elsewhere the test is skipped with one line saying how to
run it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

__all__ = ["BACKENDS", "database_target", "postgres_url"]

BACKENDS = ("sqlite", "postgresql")
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    return os.environ.get("GATEWAY_TEST_POSTGRES_URL", DEFAULT_URL)


@cache
def _unreachable(url: str) -> str | None:
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


def require_postgres() -> str:
    """The server's URL, or the test fails (CI) or is skipped (elsewhere)."""
    url = postgres_url()
    problem = _unreachable(url)
    if problem is None:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL at GATEWAY_TEST_POSTGRES_URL is unreachable: {problem}")
    pytest.skip(
        f"PostgreSQL unreachable (GATEWAY_TEST_POSTGRES_URL, default {DEFAULT_URL}): start it "
        "or point the variable at one to run the PostgreSQL half of the store tests"
    )


def _with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"


def database_target(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield str(tmp_path / "gateway.sqlite3")
        return
    url = require_postgres()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield _with_search_path(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
