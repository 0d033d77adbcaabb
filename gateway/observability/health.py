"""``/healthz`` says the process runs; ``/readyz`` says whether the upstreams can be reached.

An upstream is reachable when a plain ``GET`` of its base URL, sent without credentials,
gets any HTTP answer within the probe timeout (a 401 or 404 still proves the route is up),
and its circuit breaker is not open.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

__all__ = ["readiness"]

_UPSTREAMS = ("pim", "omnicommerce", "citrusad")


async def _probe(client: httpx.AsyncClient, url: str) -> str | None:
    """``None`` when reachable, else a short reason (never the URL's credentials: none sent)."""
    try:
        await client.get(url)
    except httpx.TimeoutException:
        return "timeout"
    except httpx.HTTPError as exc:
        return type(exc).__name__
    return None


async def readiness(runtime: Any, probe_seconds: float = 2.0) -> tuple[bool, dict[str, Any]]:
    """``(ready, {"upstreams": {name: {"reachable", "breaker", "error"?}}})``."""
    async with httpx.AsyncClient(
        timeout=probe_seconds, follow_redirects=False, trust_env=False
    ) as client:
        urls = [runtime.pool[name].config.base_url for name in _UPSTREAMS]
        problems = await asyncio.gather(*(_probe(client, url) for url in urls))
    report: dict[str, Any] = {}
    for name, problem in zip(_UPSTREAMS, problems, strict=True):
        breaker = runtime.pool[name].breaker.state
        entry: dict[str, Any] = {"reachable": problem is None, "breaker": breaker}
        if problem:
            entry["error"] = problem
        report[name] = entry
    ready = all(e["reachable"] and e["breaker"] != "open" for e in report.values())
    return ready, {"status": "ready" if ready else "unavailable", "upstreams": report}
