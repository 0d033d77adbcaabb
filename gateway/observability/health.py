"""``/healthz`` says the process runs; ``/readyz`` says whether each upstream takes the gateway's
own calls, with the configured credentials.

Each probe is a documented call sent through the upstream's client and transport (its base
URL, its credential, its breaker), bounded by ``probe_seconds``:

| upstream | probe | ready | not ready |
| --- | --- | --- | --- |
| pim | ``GET /pim/classes`` with the bearer token: the cheapest documented read | a ``<pim>`` answer | 401/403 (the token is refused), an answer that is not the PIM's (e.g. an HTML login page), 5xx, timeout, no connection, breaker open |
| citrusad | ``GET /v1/catalog-products/<catalog>/<probe code>`` with the key | the product, or "not there" (a 404 or an empty answer: the key and the route were taken) | 401/403 (the key is refused), 5xx, timeout, no connection, breaker open |
| omnicommerce | none over HTTP: the API is write-only and a write is no probe. A TCP connection to its host and port, opened and closed with nothing sent | the connection opens, and the latest answer to a write (the transport keeps it) was not 401/403 | no connection; the latest write was refused 401/403 (cleared by the next answer that is not) |

What a probe cannot know is said in the report: OMNICOMMERCE's key is not checked until a write
is answered (``credentials`` gives the latest answer and its time), and CitrusAd documents no
body for "not found", so a base URL that answers 404 to everything would pass its probe too.

The ``database`` entry says whether the gateway's own store (SQLite file or PostgreSQL) answers
``SELECT 1`` within ``probe_seconds``; its ``checked`` names the store without its password.

With ``GATEWAY_REDIS_URL`` the report has a ``redis`` entry too, not ready when a ``PING``
gets no answer within ``probe_seconds`` or the invalidation subscription is down. Reads still
go on then (their caches bypassed, see ``gateway.shared.invalidation``), but writes to a
rate-limited upstream wait for Redis: the shared window is the only budget they may spend.

``readiness(runtime)`` answers ``(ready, report)``; the report names every upstream, and
``unavailable`` lists those that are not ready (and ``redis``), each entry saying why
(``error``).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

from gateway.errors import GatewayError, UpstreamRejected, UpstreamTimeout
from gateway.shared.connection import UNREACHABLE, describe

__all__ = ["PROBE_CODE", "readiness"]

PROBE_CODE = "gateway-readiness-probe"
_REFUSED = (401, 403)
_REDIS_DOWN = "redis unreachable (writes to rate-limited upstreams wait): "


async def readiness(runtime: Any, probe_seconds: float = 2.0) -> tuple[bool, dict[str, Any]]:
    """``(ready, {"status", "unavailable", "upstreams": {name: {...}}})``."""
    entries = await asyncio.gather(
        _bounded(_pim(runtime), probe_seconds),
        _bounded(_citrusad(runtime), probe_seconds),
        _omnicommerce(runtime, probe_seconds),
    )
    report: dict[str, Any] = {}
    for name, entry in zip(("pim", "citrusad", "omnicommerce"), entries, strict=True):
        entry["breaker"] = runtime.pool[name].breaker.state
        if entry["breaker"] == "open" and entry["ready"]:
            entry.update(ready=False, error="the circuit breaker is open: calls fail fast")
        report[name] = entry
    unavailable = [name for name, entry in report.items() if not entry["ready"]]
    shared: dict[str, Any] = {}
    if getattr(runtime, "database", None) is not None:
        shared["database"] = await _database(runtime, probe_seconds)
        if not shared["database"]["ready"]:
            unavailable.append("database")
    if getattr(runtime, "shared", None) is not None:
        shared["redis"] = await _redis(runtime, probe_seconds)
        if not shared["redis"]["ready"]:
            unavailable.append("redis")
    ready = not unavailable
    return ready, {
        "status": "ready" if ready else "unavailable",
        "unavailable": unavailable,
        "upstreams": report,
        **shared,
    }


async def _database(runtime: Any, seconds: float) -> dict[str, Any]:
    """The gateway's own store answers a query (write jobs, the read model, job queries)."""
    database = runtime.database
    entry: dict[str, Any] = {"checked": f"SELECT 1 on {database.describe()}"}
    try:
        async with asyncio.timeout(seconds):
            # In a thread: a store that does not answer must not hold the event loop.
            await asyncio.to_thread(database.read, lambda session: session.execute("SELECT 1"))
    except TimeoutError:
        error = f"no answer within {seconds} s: write jobs and job queries wait"
        return {**entry, "ready": False, "error": error}
    except Exception as exc:  # any driver error means "not ready", said as such
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return {**entry, "ready": False, "error": f"{reason}: write jobs and job queries wait"}
    return {**entry, "ready": True}


async def _redis(runtime: Any, seconds: float) -> dict[str, Any]:
    """Redis answers a PING, and this process hears the others' cache invalidations."""
    entry: dict[str, Any] = {"checked": "PING, and the invalidation subscription"}
    try:
        async with asyncio.timeout(seconds):
            await runtime.shared.ping()
    except TimeoutError:
        return {
            **entry,
            "ready": False,
            "reachable": False,
            "error": _REDIS_DOWN + f"no answer within {seconds} s",
        }
    except UNREACHABLE as exc:
        return {**entry, "ready": False, "reachable": False, "error": _REDIS_DOWN + describe(exc)}
    bus = runtime.invalidations
    if bus is not None and not bus.connected:
        error = f"not subscribed to cache invalidations ({bus.error}): caches bypassed"
        return {**entry, "ready": False, "reachable": True, "error": error}
    return {**entry, "ready": True, "reachable": True}


async def _bounded(probe: Any, seconds: float) -> dict[str, Any]:
    try:
        async with asyncio.timeout(seconds):
            entry: dict[str, Any] = await probe
            return entry
    except TimeoutError:
        return {"ready": False, "reachable": False, "error": f"no answer within {seconds} s"}


async def _pim(runtime: Any) -> dict[str, Any]:
    checked = "GET /pim/classes with the configured bearer token"
    try:
        await runtime.pim.list_classifications()
    except GatewayError as exc:
        return _failed(checked, exc, "the PIM refused the configured token")
    return {"ready": True, "reachable": True, "checked": checked}


async def _citrusad(runtime: Any) -> dict[str, Any]:
    catalog = runtime.settings.citrusad_catalog_id or PROBE_CODE
    checked = (
        f"GET /v1/catalog-products/{catalog}/{PROBE_CODE} with the configured key "
        "(a 404 or no product counts: CitrusAd documents no body for not found)"
    )
    try:
        found = await runtime.citrusad.get(catalog, PROBE_CODE)
    except GatewayError as exc:
        return _failed(checked, exc, "CitrusAd refused the configured key")
    answer = "the probe code was found" if found else "not found, as expected for the probe code"
    return {"ready": True, "reachable": True, "checked": checked, "answer": answer}


async def _omnicommerce(runtime: Any, seconds: float) -> dict[str, Any]:
    transport = runtime.pool["omnicommerce"]
    host, port = _address(transport.config.base_url)
    entry: dict[str, Any] = {
        "checked": f"TCP connection to {host}:{port}, nothing sent (no read endpoint to call)",
        "credentials": _last_write(transport.last_outcome),
    }
    try:
        async with asyncio.timeout(seconds):
            _, writer = await asyncio.open_connection(host, port)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    except (OSError, TimeoutError) as exc:
        reason = f"no answer within {seconds} s" if isinstance(exc, TimeoutError) else str(exc)
        return {**entry, "ready": False, "reachable": False, "error": f"cannot connect: {reason}"}
    last = transport.last_outcome
    if last is not None and last.outcome in {str(s) for s in _REFUSED}:
        error = f"the latest write was refused ({last.outcome}): the API key is likely wrong"
        return {**entry, "ready": False, "reachable": True, "error": error}
    return {**entry, "ready": True, "reachable": True}


def _failed(checked: str, exc: GatewayError, refused: str) -> dict[str, Any]:
    """A probe's failure: whether an answer came, and why the upstream is not ready."""
    if isinstance(exc, UpstreamRejected) and exc.status in _REFUSED:
        error = f"{refused} ({exc.status}): {exc.message}"
    else:
        error = f"{exc.code}: {exc.message}"
    reachable = exc.status is not None and not isinstance(exc, UpstreamTimeout)
    return {"ready": False, "reachable": reachable, "checked": checked, "error": error}


def _last_write(last: Any) -> str:
    if last is None:
        return "not checked: write-only API; no write sent since the gateway started"
    when = last.at.isoformat(timespec="seconds").replace("+00:00", "Z")
    ended = f"was answered {last.outcome}" if last.outcome.isdigit() else f"ended in {last.outcome}"
    return f"not checked: write-only API; the latest write {ended} at {when}"


def _address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname or "", port
