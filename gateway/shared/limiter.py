"""A rate window in Redis, shared by every process that calls an upstream with one credential.

The same rule as the in-process ``SlidingWindowRateLimiter`` (``transport._limiter`` says why):
a request holds a slot from its start until its answer, and the slot stays in the window for
``window`` seconds after the answer. Here the window is two sorted sets in Redis, changed only
by short Lua scripts, so checking and taking a slot is one atomic step for all processes:

| key (``{<prefix>:limiter:<upstream>:<credential fingerprint>}:...``) | holds |
| --- | --- |
| ``held`` | slots in flight; score: the time by which the exchange must have ended (``max_hold``) |
| ``released`` | answered slots; score: the answer's time; gone ``window`` after it |
| ``pause`` | set after a 429, expiring (``PX``) when ``Retry-After`` ends: no slot opens meanwhile |
| ``epoch`` | when this Redis first saw the key: a process that knew another epoch saw Redis lose its state |

| situation | what happens |
| --- | --- |
| fewer than ``requests`` entries held or released within ``window`` | admitted: an entry is added to ``held`` |
| full | wait until the oldest released entry leaves the window (exact), or, all held, until a release (polled) |
| a process dies holding a slot | its entry moves to ``released`` at its ``max_hold`` deadline: it still counts a full window after the latest moment its request could have arrived |
| Redis restarted (nothing kept on disk) | the first process that knew the old epoch pauses the key for ``max_hold + window``: requests in flight across the restart have arrived and left the window before anyone else is admitted |
| Redis unreachable | ``slot()`` retries with backoff until it is back (a write waits; it never falls back to a per-process budget, which would multiply the rate); with ``max_wait``, ``SlotUnavailable`` once the wait would pass it |

Times are Redis's own (``TIME`` inside the scripts), so the clocks of the processes' hosts
never meet. The credential itself never reaches Redis: keys carry its fingerprint.

Why not the ``limits`` library's async Redis moving window: its ``acquire_moving_window`` script
pushes the ACQUISITION time (sent by the client, from the client's clock) onto a list and never
hears of the answer. It counts starts, so requests delayed on the way arrive bunched and the
upstream sees more than ``requests`` in a window, the failure ``transport._limiter`` describes;
and hosts whose clocks disagree disagree about the window. Anchoring to answers needs a
release step, hence these few lines of Lua.

A process's limiters are made at first use, so one made after a restart knows no epoch of its
key: the process's own, deployment-wide epoch (``SharedRedis.learn_epoch`` at start) tells it
that Redis restarted since the process started, and it pauses the key as if it had known it.

Limitation: a process started after a Redis restart, before any process that knew the old
epoch has called again, does not see the restart and may be admitted at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from gateway.shared.connection import UNREACHABLE, SharedRedis
from gateway.upstreams.transport import RateLimit, Slot, SlotUnavailable, UpstreamConfig

__all__ = ["HOLD_SLACK", "RedisRateLimiter", "redis_limiter"]

# Added to an upstream's attempt timeout for the longest a slot may be held (a crashed
# process's entry counts that long): the time between admission and sending, with room.
HOLD_SLACK = 5.0
# How often a waiter looks again while every slot is held by some process (a release in
# another process sends no signal here; one in this process wakes the waiter at once).
POLL_SECONDS = 0.05
_BACKOFF_FIRST = 0.05
_BACKOFF_MAX = 2.0
_EPOCH_MS = 86_400_000
# Sent as the known epoch by a limiter whose process saw Redis restart: never a real one.
_BEFORE_RESTART = "before-restart"

# KEYS: held, released, pause, epoch. ARGV: limit, window_us, hold_us, member, known epoch.
# Returns {admitted (0/1), wait_us (-1: unknown, all held), epoch}.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit, window, hold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local ttl = math.floor((hold + window) / 1000) + 1000
local epoch = redis.call('GET', KEYS[4])
if not epoch then
  epoch = t[1] .. string.format('%06d', tonumber(t[2]))
  redis.call('SET', KEYS[4], epoch, 'PX', ARGV[6])
else
  redis.call('PEXPIRE', KEYS[4], ARGV[6])
end
if ARGV[5] ~= '' and ARGV[5] ~= epoch then
  local until_ms = math.floor((tonumber(epoch) + hold + window - now) / 1000)
  if until_ms > 0 and redis.call('PTTL', KEYS[3]) < until_ms then
    redis.call('SET', KEYS[3], '1', 'PX', until_ms)
  end
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES')
for i = 1, #expired, 2 do
  redis.call('ZADD', KEYS[2], expired[i + 1], expired[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local paused = redis.call('PTTL', KEYS[3])
if paused > 0 then
  return {0, paused * 1000, epoch}
end
if redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2]) < limit then
  redis.call('ZADD', KEYS[1], now + hold, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {1, 0, epoch}
end
local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if oldest[2] then
  return {0, math.max(1, math.floor(tonumber(oldest[2]) + window - now)), epoch}
end
return {0, -1, epoch}
"""

# KEYS: held, released. ARGV: member, ttl_ms. The entry is stamped with the answer's time.
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
"""

# KEYS: pause. ARGV: ms. A pause is only ever lengthened.
_PAUSE = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
"""


class RedisRateLimiter:
    """``RateLimiter`` over Redis; see the module docstring. One per (upstream, credential)."""

    def __init__(
        self,
        shared: SharedRedis,
        name: str,
        rate: RateLimit,
        *,
        max_hold: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.window = rate.per * (1.0 + rate.margin)
        self.max_hold = max_hold
        self._shared = shared
        base = "{" + shared.key("limiter", name) + "}"
        self._keys = [f"{base}:held", f"{base}:released", f"{base}:pause", f"{base}:epoch"]
        self._acquire = shared.client.register_script(_ACQUIRE)
        self._release = shared.client.register_script(_RELEASE)
        self._pause = shared.client.register_script(_PAUSE)
        self._clock = clock
        self._epoch = ""
        self._next = 0
        self._paused_until = float("-inf")
        # First come, first served within this process: chunks of one write go out in order.
        self._turn = asyncio.Lock()
        self._changed = asyncio.Event()
        self._background: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"RedisRateLimiter({self.rate!r}, key={self._keys[0]!r})"

    @contextlib.asynccontextmanager
    async def slot(self, *, max_wait: float | None = None) -> AsyncIterator[Slot]:
        entered = self._clock()
        deadline = None if max_wait is None else entered + max_wait
        member = await self._admit(deadline)
        now = self._clock()
        held = Slot(admitted=now, waited=now - entered)
        try:
            yield held
        finally:
            held.released = self._clock()
            # A task, so a cancelled caller still releases; awaited, so the release has
            # landed when the block exits (a later caller here sees the room it made).
            await asyncio.shield(self._spawn(self._give_back(member)))

    def pause(self, seconds: float | None = None) -> None:
        wait = self.window if seconds is None else max(0.0, seconds)
        self._paused_until = max(self._paused_until, self._clock() + wait)
        self._spawn(self._share_pause(wait))

    async def aclose(self) -> None:
        """Waits for releases and pauses still on their way to Redis."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def _admit(self, deadline: float | None) -> str:
        try:
            if deadline is None:
                await self._turn.acquire()
            else:
                async with asyncio.timeout(max(0.0, deadline - self._clock())):
                    await self._turn.acquire()
        except TimeoutError:
            raise SlotUnavailable(self.window) from None
        try:
            return await self._wait_for_room(deadline)
        finally:
            self._turn.release()

    async def _wait_for_room(self, deadline: float | None) -> str:
        member = f"{self._shared.process}:{id(self)}:{self._next}"
        self._next += 1
        backoff = _BACKOFF_FIRST
        while True:
            self._changed.clear()
            wait = self._paused_until - self._clock()
            if wait <= 0:
                try:
                    admitted, wait = await self._try(member)
                except UNREACHABLE as exc:
                    self._shared.health.failed(exc)
                    wait, backoff = backoff, min(backoff * 2, _BACKOFF_MAX)
                else:
                    self._shared.health.ok()
                    backoff = _BACKOFF_FIRST
                    if admitted:
                        return member
            if deadline is not None and self._clock() + wait > deadline:
                raise SlotUnavailable(wait)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._changed.wait()

    async def _try(self, member: str) -> tuple[bool, float]:
        """``(admitted, seconds to wait before trying again)``."""
        known = self._epoch
        if not known and await self._shared.restarted():
            # This limiter never called, but its process started before Redis lost its
            # state: other processes' requests from before may still be in the window.
            known = _BEFORE_RESTART
        args: list[str | int] = [
            self.rate.requests,
            round(self.window * 1e6),
            round(self.max_hold * 1e6),
            member,
            known,
            _EPOCH_MS,
        ]
        reply: list[Any] = await self._acquire(keys=self._keys, args=args)
        admitted, wait_us, epoch = reply
        self._epoch = epoch.decode() if isinstance(epoch, bytes) else str(epoch)
        if int(admitted):
            return True, 0.0
        return False, POLL_SECONDS if int(wait_us) < 0 else int(wait_us) / 1e6

    async def _give_back(self, member: str) -> None:
        ttl_ms = round((self.max_hold + self.window) * 1000) + 1000
        try:
            await self._release(keys=self._keys[:2], args=[member, ttl_ms])
        except UNREACHABLE as exc:
            # The entry stays held until its max_hold deadline, then counts a window more:
            # slower for a while, never faster.
            self._shared.health.failed(exc)
        finally:
            self._changed.set()

    async def _share_pause(self, seconds: float) -> None:
        ms = max(1, round(seconds * 1000))
        try:
            await self._pause(keys=self._keys[2:3], args=[ms])
        except UNREACHABLE as exc:
            self._shared.health.failed(exc)

    def _spawn(self, work: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task


def redis_limiter(shared: SharedRedis, config: UpstreamConfig) -> RedisRateLimiter:
    """The shared limiter for ``config``'s upstream and credential (``config.rate`` is set)."""
    if config.rate is None:
        raise ValueError(f"upstream {config.name} has no rate limit")
    return RedisRateLimiter(
        shared,
        f"{config.name}:{config.credential_scope}",
        config.rate,
        max_hold=config.timeout + HOLD_SLACK,
    )
