"""What one upstream's transport is told: where, who, how long, how often, how much."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.settings import (
    DEMO_CITRUSAD_API_KEY,
    DEMO_OMNICOMMERCE_API_KEY,
    DEMO_PIM_TOKEN,
    Settings,
)

__all__ = [
    "OMNICOMMERCE_RATE",
    "RateLimit",
    "UpstreamConfig",
    "citrusad_config",
    "omnicommerce_config",
    "pim_config",
]


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``requests`` per ``per`` seconds, with ``margin`` (a fraction) kept in reserve.

    The limiter anchors each request to when its answer came back, so network delay needs
    no margin (see ``_limiter``); the margin covers our clock and the upstream's ticking at
    slightly different rates, and an upstream whose rule we know less well.
    """

    requests: int
    per: float = 1.0
    margin: float = 0.2


# OMNICOMMERCE: "5 requests per second (RPS)" per API key, counted when requests arrive.
# Request k+5 starts 1.01 s after request k's answer came back, so after it arrived,
# whatever the delay; 10 ms covers clock-rate differences (ppm: far less), not delay.
OMNICOMMERCE_RATE = RateLimit(requests=5, per=1.0, margin=0.01)


@dataclass(frozen=True, slots=True)
class UpstreamConfig:
    """One upstream's transport settings. ``headers`` hold credentials: never shown in repr.

    | field | meaning |
    | --- | --- |
    | ``timeout`` | seconds one attempt may take, sending to last byte read |
    | ``deadline`` | seconds a read's attempts, waits and retries take together (``None``: unbounded); writes are not bounded by it, only by an open operation's deadline |
    | ``max_retries`` | further attempts after the first, when a retry is safe |
    | ``backoff_*`` | capped exponential backoff with additive jitter between attempts |
    | ``retry_after_max`` | a longer ``Retry-After`` is not waited out: the error is raised |
    | ``rate`` | the pace of requests per credential, ``None`` for unlimited |
    | ``rate_wait_budget`` | seconds an idempotent call may wait for the pace before ``UpstreamRateLimited``; ``None``: no limit (writes always wait) |
    | ``breaker_*`` | consecutive failures that open the breaker; seconds until a probe |
    """

    name: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    timeout: float = 10.0
    deadline: float | None = None
    connect_timeout: float | None = None
    max_retries: int = 2
    backoff_initial: float = 0.1
    backoff_max: float = 2.0
    backoff_jitter: float = 0.1
    retry_after_max: float = 10.0
    rate: RateLimit | None = None
    rate_wait_budget: float | None = None
    max_response_bytes: int = 16 * 1024 * 1024
    breaker_threshold: int = 5
    breaker_reset_seconds: float = 30.0
    max_connections: int = 20

    @property
    def credential_scope(self) -> str:
        """A short, one-way fingerprint of the credentials: safe to key limiters and caches."""
        digest = hashlib.sha256()
        for name, value in sorted(self.headers.items()):
            digest.update(f"{name.lower()}\0{value}\0".encode())
        return digest.hexdigest()[:16]

    @property
    def secrets(self) -> tuple[str, ...]:
        """Credential values (and their bare tokens) to scrub from anything we show."""
        found: list[str] = []
        for value in self.headers.values():
            found.append(value)
            found.extend(part for part in value.split() if len(part) >= 6)
        return tuple(found)


def _pick(url: str | None, emulator_url: str | None, upstream: str) -> tuple[str, bool]:
    """The base URL, and whether it is the built-in emulator (which takes demo credentials)."""
    if url:
        return url, False
    if emulator_url:
        return emulator_url, True
    raise ValueError(f"no URL for upstream {upstream}: set it, or pass the emulator's URL")


def _secret(value: object | None, upstream: str) -> str:
    if value is None:
        raise ValueError(f"upstream {upstream} has a URL but no credential")
    return str(value.get_secret_value()) if hasattr(value, "get_secret_value") else str(value)


def omnicommerce_config(settings: Settings, *, emulator_url: str | None = None) -> UpstreamConfig:
    """OMNICOMMERCE: ``X-Api-Key``, 5 requests a second per key."""
    url, emulated = _pick(settings.omnicommerce_url, emulator_url, "omnicommerce")
    key = (
        DEMO_OMNICOMMERCE_API_KEY
        if emulated
        else _secret(settings.omnicommerce_api_key, "omnicommerce")
    )
    return UpstreamConfig(
        name="omnicommerce",
        base_url=url,
        headers={"X-Api-Key": key},
        timeout=settings.upstream_timeout_seconds,
        deadline=settings.upstream_deadline_seconds,
        rate=OMNICOMMERCE_RATE,
        rate_wait_budget=settings.rate_wait_budget_seconds,
    )


def citrusad_config(settings: Settings, *, emulator_url: str | None = None) -> UpstreamConfig:
    """CitrusAd: ``Authorization: Basic <api key>``; no documented rate limit."""
    url, emulated = _pick(settings.citrusad_url, emulator_url, "citrusad")
    key = DEMO_CITRUSAD_API_KEY if emulated else _secret(settings.citrusad_api_key, "citrusad")
    return UpstreamConfig(
        name="citrusad",
        base_url=url,
        headers={"Authorization": f"Basic {key}"},
        timeout=settings.upstream_timeout_seconds,
        deadline=settings.upstream_deadline_seconds,
    )


def pim_config(settings: Settings, *, emulator_url: str | None = None) -> UpstreamConfig:
    """OMN PIM: ``Authorization: Bearer <token>``."""
    url, emulated = _pick(settings.pim_url, emulator_url, "pim")
    token = DEMO_PIM_TOKEN if emulated else _secret(settings.pim_token, "pim")
    return UpstreamConfig(
        name="pim",
        base_url=url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=settings.upstream_timeout_seconds,
        deadline=settings.upstream_deadline_seconds,
    )
