"""A closed-loop load generator: C clients, each sending its next request when the last returns.

Closed loop (not a fixed arrival rate) because the targets compare throughput at a fixed
concurrency. Bounded both ways: it stops after ``requests`` requests or ``max_seconds``,
whichever comes first, and every request has a timeout.

A request counts as an error when the answer is not HTTP 200, is not JSON with ``data``, or
carries GraphQL ``errors``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

from bench.scenarios import Payload

__all__ = ["LoadResult", "run_load", "send_one"]

_TIMEOUT = httpx.Timeout(60.0)


@dataclass(slots=True)
class LoadResult:
    """What one load run observed, client side."""

    latencies: list[float] = field(default_factory=list)  # seconds, of every finished request
    errors: int = 0
    first_error: str | None = None
    elapsed: float = 0.0  # wall seconds of the measured part
    client_cpu: float = 0.0  # CPU seconds the load generator itself spent

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def note_error(self, reason: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = reason[:300]


def _check(answer: httpx.Response) -> str | None:
    """Why ``answer`` is an error, or ``None``. Parses the body only when it must."""
    if answer.status_code != 200:
        return f"HTTP {answer.status_code}: {answer.text[:200]}"
    # A byte search is cheap; a JSON parse of a 150 kB answer would load the client's core.
    if b'"errors"' in answer.content:
        return answer.text[:300]
    if not answer.content.startswith(b'{"data"'):
        return f"no data: {answer.text[:200]}"
    return None


async def send_one(
    client: httpx.AsyncClient, url: str, body: dict[str, object], result: LoadResult
) -> None:
    started = time.perf_counter()
    try:
        answer = await client.post(url, json=body)
    except httpx.HTTPError as exc:
        result.latencies.append(time.perf_counter() - started)
        result.note_error(f"{type(exc).__name__}: {exc}")
        return
    result.latencies.append(time.perf_counter() - started)
    if (reason := _check(answer)) is not None:
        result.note_error(reason)


async def run_load(
    url: str,
    payload: Payload,
    *,
    requests: int,
    concurrency: int,
    max_seconds: float,
    headers: dict[str, str],
) -> LoadResult:
    """Send ``requests`` GraphQL POSTs from ``concurrency`` clients, each on its own connection."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=_TIMEOUT) as client:
        result = LoadResult()
        cpu, wall = time.process_time(), time.perf_counter()
        await _drive(client, url, payload, requests, concurrency, max_seconds, result)
        result.elapsed = time.perf_counter() - wall
        result.client_cpu = time.process_time() - cpu
    return result


async def _drive(
    client: httpx.AsyncClient,
    url: str,
    payload: Payload,
    requests: int,
    concurrency: int,
    max_seconds: float,
    result: LoadResult,
) -> None:
    deadline = time.monotonic() + max_seconds
    issued = 0

    async def worker() -> None:
        nonlocal issued
        while issued < requests and time.monotonic() < deadline:
            index = issued
            issued += 1
            await send_one(client, url, payload(index), result)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, requests))))
