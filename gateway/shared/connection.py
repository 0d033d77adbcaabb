"""The Redis connection that several gateway processes share: one client, key names, health.

``SharedRedis.from_url(url)`` takes ``GATEWAY_REDIS_URL``. A ``key_prefix`` query parameter
(``redis://host:6379/0?key_prefix=staging``) names this deployment's keys and channel, so two
deployments (or two test runs) can use one Redis; the default is ``gateway``. Processes that
share an upstream credential must share the prefix too, or they keep separate rate windows.

The client does not retry by itself: the limiter and the invalidation bus retry with their own
backoff and report what they saw in ``health``, which ``/readyz`` shows.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

__all__ = ["UNREACHABLE", "RedisHealth", "SharedRedis", "describe"]

# Redis is not there, or did not do what was asked (loading, read-only after a failover,
# out of memory): the callers wait and retry on these, and /readyz shows the latest.
UNREACHABLE: tuple[type[BaseException], ...] = (RedisError, OSError)

_DEFAULT_PREFIX = "gateway"
# Nothing but a password may hide in a URL's user part; scrub it from any message we keep.
_USERINFO = re.compile(r"//[^/@\s]*@")


def describe(exc: BaseException) -> str:
    """A short reason for an error, with any URL credentials removed."""
    text = str(exc) or type(exc).__name__
    return _USERINFO.sub("//", text)[:300]


@dataclass(slots=True)
class RedisHealth:
    """What the latest Redis call saw; ``since`` is when it last changed (monotonic)."""

    reachable: bool = True
    error: str | None = None
    since: float = field(default_factory=time.monotonic)

    def failed(self, exc: BaseException) -> None:
        if self.reachable:
            self.since = time.monotonic()
        self.reachable = False
        self.error = describe(exc)

    def ok(self) -> None:
        if not self.reachable:
            self.since = time.monotonic()
        self.reachable = True
        self.error = None


class SharedRedis:
    """A Redis client and the names this deployment uses in it."""

    def __init__(
        self, client: aioredis.Redis, *, prefix: str = _DEFAULT_PREFIX, process: str | None = None
    ) -> None:
        self.client = client
        self.prefix = prefix
        # Names this process in shared state (limiter entries, invalidation messages) and
        # its connections (``CLIENT LIST`` shows ``gateway-<process>``).
        self.process = process or uuid.uuid4().hex
        self.health = RedisHealth()
        # The deployment-wide epoch this process saw at its start (``learn_epoch``): a
        # limiter that has not called Redis yet tells a restart by it (``restarted``).
        self.epoch: str | None = None

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 2.0) -> SharedRedis:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        prefix = next((v for k, v in query if k == "key_prefix"), _DEFAULT_PREFIX)
        rest = urlencode([(k, v) for k, v in query if k != "key_prefix"])
        process = uuid.uuid4().hex
        client = aioredis.Redis.from_url(
            urlunsplit(parts._replace(query=rest)),
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            # Our loops retry with backoff and must SEE a broken connection (the
            # subscriber clears the caches after one: messages may have been missed).
            retry=Retry(NoBackoff(), 0),
            health_check_interval=5,
            client_name=f"gateway-{process}",
        )
        return cls(client, prefix=prefix or _DEFAULT_PREFIX, process=process)

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    async def ping(self) -> None:
        """Raises one of ``UNREACHABLE`` when Redis does not answer; updates ``health``."""
        try:
            await self.client.ping()
        except UNREACHABLE as exc:
            self.health.failed(exc)
            raise
        self.health.ok()

    async def learn_epoch(self) -> None:
        """Remember the deployment's epoch, creating it if this Redis has none (best effort:
        an unreachable Redis leaves it unknown, and ``restarted`` then says False)."""
        key = self.key("epoch")
        with contextlib.suppress(*UNREACHABLE):
            await self.client.set(key, uuid.uuid4().hex, nx=True)
            value = await self.client.get(key)
            self.epoch = value.decode() if isinstance(value, bytes) else value

    async def restarted(self) -> bool:
        """Whether Redis lost its state since this process started (its epoch is gone or
        another); the first to notice stores a new one, so the others notice too."""
        if self.epoch is None:
            return False
        key = self.key("epoch")
        await self.client.set(key, uuid.uuid4().hex, nx=True)
        value = await self.client.get(key)
        current = value.decode() if isinstance(value, bytes) else value
        return current != self.epoch

    async def aclose(self) -> None:
        await self.client.aclose()
