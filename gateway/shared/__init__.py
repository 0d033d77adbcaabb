"""State shared by several gateway processes through Redis (``GATEWAY_REDIS_URL``).

| module | holds |
| --- | --- |
| ``connection`` | ``SharedRedis``: the client, this deployment's key prefix, this process's id, ``health`` |
| ``limiter`` | ``RedisRateLimiter``: an upstream's rate window shared by every process on one credential |
| ``invalidation`` | ``InvalidationBus``: a write through any process evicts the cached entries in every process |

Unset, none of this runs: limiters, caches and their invalidation stay in the process.
"""
