"""Redis for the tests of several processes sharing state.

``GATEWAY_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``). Under CI (``CI=true``) an
unreachable Redis fails these tests; elsewhere they are skipped with how to run them. Every
test gets its own key prefix, so parallel runs on one Redis never meet.
"""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlsplit

import pytest

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
HOW = "start Redis (DEVELOPERS.md) or set GATEWAY_TEST_REDIS_URL to run the shared-state tests"


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_server_url() -> str:
    url = os.environ.get("GATEWAY_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    if not _reachable(url):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is not reachable at GATEWAY_TEST_REDIS_URL under CI: {HOW}")
        pytest.skip(f"no Redis: {HOW}")
    return url


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """The test Redis with a key prefix of this test's own."""
    joiner = "&" if "?" in redis_server_url else "?"
    return f"{redis_server_url}{joiner}key_prefix=test-{uuid.uuid4().hex[:12]}"


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
