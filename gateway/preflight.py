"""``gateway check``: the settings validated, then each upstream reached with the calls
``/readyz`` makes (``gateway.observability.health``), one line each.

| line | ok when | the call |
| --- | --- | --- |
| ``database`` | PostgreSQL takes a connection; a SQLite file opens (created as ``serve`` would) | none over HTTP |
| ``pim`` | ``GET /pim/classes`` with the token answers | the cheapest documented read |
| ``citrusad`` | ``GET /v1/catalog-products/<catalog>/<probe code>`` with the key is taken | a read of one code |
| ``omnicommerce`` | a TCP connection opens (the key is not checked: the API is write-only) | none |
| ``redis`` (when set) | ``PING`` answers and the invalidation subscription holds | ``PING`` |

An upstream whose URL is unset is the built-in emulator, which lives inside ``gateway serve``:
there is nothing outside to reach, so its line says so and it is not probed. The API keys,
JWT settings and extensions are checked as ``gateway serve`` checks them; a mistake there
raises (``gateway.startup``) rather than becoming a line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.extensions import load_extensions
from gateway.observability.health import readiness
from gateway.runtime import Runtime
from gateway.security import Authenticator
from gateway.settings import Settings, with_embedded_upstreams
from gateway.startup import StartupError, describe_database, reach_database

__all__ = ["Finding", "check"]

_UPSTREAMS = ("pim", "citrusad", "omnicommerce")
# Where the runtime points an emulated upstream while checking the others: the discard port
# on loopback, never probed for its line (and refused at once if something tried).
_NOWHERE = "http://127.0.0.1:9"


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of ``gateway check``: ``ok`` False only when something failed."""

    name: str
    ok: bool
    text: str

    def __str__(self) -> str:
        return f"{self.name}: {self.text}"


async def check(settings: Settings, probe_seconds: float = 5.0) -> list[Finding]:
    """Validate what ``gateway serve`` would, then reach the database and every upstream."""
    Authenticator.from_settings(settings)
    load_extensions(settings.extensions)
    findings = [_database(settings.database)]
    emulated = settings.emulated_upstreams
    if len(emulated) < len(_UPSTREAMS) or settings.redis_url is not None:
        findings += await _reach(settings, emulated, probe_seconds)
    findings += [
        Finding(name, True, f"built-in emulator (GATEWAY_{name.upper()}_URL unset): not checked")
        for name in emulated
    ]
    order = ("database", *_UPSTREAMS, "redis")
    return sorted(findings, key=lambda finding: order.index(finding.name))


def _database(target: str) -> Finding:
    try:
        reach_database(target)
    except StartupError as exc:
        return Finding("database", False, f"FAILED: {exc}")
    return Finding("database", True, f"ok ({describe_database(target)})")


async def _reach(settings: Settings, emulated: tuple[str, ...], seconds: float) -> list[Finding]:
    # A runtime of its own: an in-memory store and no write workers, so checking never
    # migrates the configured database or runs a job.
    probing = with_embedded_upstreams(settings, dict.fromkeys(emulated, _NOWHERE))
    probing = probing.model_copy(update={"database": ":memory:", "write_workers": 0})
    async with Runtime.build(probing) as runtime:
        _, report = await readiness(runtime, probe_seconds=seconds)
    entries: dict[str, dict[str, Any]] = dict(report["upstreams"])
    if "redis" in report:
        entries["redis"] = report["redis"]
    return [_finding(name, entry) for name, entry in entries.items() if name not in set(emulated)]


def _finding(name: str, entry: dict[str, Any]) -> Finding:
    checked = entry.get("checked", "")
    if name == "omnicommerce":
        checked += "; the API key is not checked (write-only API)"
    if entry["ready"]:
        return Finding(name, True, f"ok ({checked})")
    return Finding(name, False, f"FAILED: {entry.get('error', 'not ready')} ({checked})")
