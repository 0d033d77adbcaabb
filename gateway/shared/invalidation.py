"""Cache invalidation across processes: a write through any process evicts everywhere.

Each process publishes what its writes evict on one Redis pub/sub channel
(``<prefix>:invalidations``) and applies what the others publish to its own caches:

| message ``kind`` | sent when | a receiver |
| --- | --- | --- |
| ``evict`` (upstream, resource, keys) | ``SharedCache.evict`` after a write | evicts those keys, clears its response cache |
| ``evict_resource`` (upstream, resource) | ``SharedCache.evict_resource`` | evicts the resource, clears its response cache |
| ``written`` | a write job's chunk settled (the read model changed) | clears its response cache; its job waiters look again |
| ``submitted`` | a write job was recorded | clears its response cache; its idle workers look for chunks now (not at their next poll) |
| ``reset`` | this process dropped messages it could not send | clears everything |

Messages carry names and keys, never a credential (an entry is evicted under every scope).
A process skips its own messages (``origin``); applying one twice would be harmless anyway.

Pub/sub delivers only to whoever is subscribed at that moment. So while the subscription is
down the shared cache is bypassed (``suspended``) and every local cache is cleared when it
drops and again when it is back: what was missed meanwhile is not served afterwards. The
subscriber reconnects with backoff; ``connected`` and ``error`` say how it stands (``/readyz``).
Messages not yet sent wait in order, retried with backoff; past ``max_queued`` they are
dropped and a ``reset`` goes instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from gateway.shared.connection import UNREACHABLE, SharedRedis, describe

__all__ = ["Invalidation", "InvalidationBus"]

log = logging.getLogger("gateway.shared.invalidation")

Kind = Literal["evict", "evict_resource", "written", "submitted", "reset"]
_BACKOFF_FIRST = 0.05
_BACKOFF_MAX = 2.0


@dataclass(frozen=True, slots=True)
class Invalidation:
    kind: Kind
    upstream: str = ""
    resource: str = ""
    keys: tuple[Hashable, ...] = ()

    def encode(self, origin: str) -> bytes:
        """JSON; tuples in keys travel as arrays and come back as tuples."""
        return orjson.dumps(
            {
                "origin": origin,
                "kind": self.kind,
                "upstream": self.upstream,
                "resource": self.resource,
                "keys": self.keys,
            }
        )

    @staticmethod
    def decode(data: bytes | str) -> tuple[str, Invalidation]:
        raw = orjson.loads(data)
        if raw.get("kind") not in ("evict", "evict_resource", "written", "submitted", "reset"):
            raise ValueError(f"unknown invalidation kind {raw.get('kind')!r}")
        keys = tuple(_hashable(k) for k in raw.get("keys") or ())
        message = Invalidation(raw["kind"], str(raw["upstream"]), str(raw["resource"]), keys)
        return str(raw["origin"]), message


def _hashable(value: Any) -> Hashable:
    # Cache keys are hashable, so an array in a message was a tuple when it was sent.
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, Hashable):
        return value
    raise ValueError(f"a cache key cannot be a {type(value).__name__}")


class InvalidationBus:
    """``publish()`` from any code; ``apply`` gets the other processes' messages.

    ``reset()`` is called when the subscription starts, drops or comes back: clear every
    local cache. Start with ``await bus.start()``, stop with ``await bus.stop()``.
    """

    def __init__(
        self,
        shared: SharedRedis,
        *,
        apply: Callable[[Invalidation], None],
        reset: Callable[[], None],
        max_queued: int = 10_000,
    ) -> None:
        self._shared = shared
        self.channel = shared.key("invalidations")
        self._apply = apply
        self._reset = reset
        self._max_queued = max_queued
        self._outbox: asyncio.Queue[Invalidation] | None = None
        self._overflowed = False
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()
        self.connected = False
        self.error: str | None = "not subscribed yet"
        self.received = 0

    def publish(self, message: Invalidation) -> None:
        """Queue ``message`` for the other processes; never waits, never raises."""
        if self._outbox is None:
            return  # not started (or stopped): nobody else can be told
        if self._outbox.qsize() >= self._max_queued:
            self._overflowed = True
            return
        self._outbox.put_nowait(message)

    async def start(self, wait: float = 2.0) -> None:
        """Subscribe; waits up to ``wait`` seconds for the subscription, then goes on."""
        self._outbox = asyncio.Queue()
        self._tasks = [
            asyncio.create_task(self._subscribe(), name="invalidation-subscriber"),
            asyncio.create_task(self._send(), name="invalidation-sender"),
        ]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await self._subscribed.wait()

    async def stop(self) -> None:
        self._outbox = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def flush(self) -> None:
        """Waits until every queued message was handed to Redis (tests, shutdown)."""
        if self._outbox is not None:
            await self._outbox.join()

    async def _subscribe(self) -> None:
        backoff = _BACKOFF_FIRST
        while True:
            pubsub = self._shared.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._set_connected(None)
                backoff = _BACKOFF_FIRST
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._receive(message["data"])
            except UNREACHABLE as exc:
                self._set_connected(exc)
            finally:
                with contextlib.suppress(*UNREACHABLE):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX)

    def _set_connected(self, failure: BaseException | None) -> None:
        was = self.connected
        self.connected = failure is None
        self.error = None if failure is None else describe(failure)
        if failure is None:
            self._shared.health.ok()
            self._subscribed.set()
        else:
            self._shared.health.failed(failure)
            self._subscribed.clear()
        if failure is None or was:
            # Connected: messages before now were never heard. Dropped: none will be.
            self._reset()
        if failure is not None and was:
            log.warning("invalidation subscription lost: %s", self.error)

    def _receive(self, data: bytes | str) -> None:
        try:
            origin, message = Invalidation.decode(data)
        except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
            log.warning("ignored a malformed invalidation message: %s", exc)
            return
        if origin == self._shared.process:
            return
        self.received += 1
        try:
            if message.kind == "reset":
                self._reset()
            else:
                self._apply(message)
        except Exception:
            # One message must not end the subscription (and every later eviction with it).
            log.exception("applying an invalidation message failed")

    async def _send(self) -> None:
        outbox = self._outbox
        assert outbox is not None
        while True:
            message = await outbox.get()
            try:
                if self._overflowed:
                    self._overflowed = False
                    await self._deliver(Invalidation("reset"))
                await self._deliver(message)
            finally:
                outbox.task_done()

    async def _deliver(self, message: Invalidation) -> None:
        try:
            payload = message.encode(self._shared.process)
        except TypeError:
            # A key JSON cannot carry: evicting its whole resource says at least as much.
            payload = Invalidation("evict_resource", message.upstream, message.resource).encode(
                self._shared.process
            )
        backoff = _BACKOFF_FIRST
        while True:
            try:
                await self._shared.client.publish(self.channel, payload)
                return
            except UNREACHABLE as exc:
                self._shared.health.failed(exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX)
