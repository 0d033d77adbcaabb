"""The bench's hostile section (issue 14): what a refused request costs the gateway's CPU, and
what four clients sending the worst document do to a normal query's latency.

| figure | how | expected |
| --- | --- | --- |
| CPU per refused request | the gateway process's user + system CPU (``/proc/<pid>/stat``) before and after N requests of one document, over N; each request's text made unique by a trailing comment, so no per-text cache helps (and once more with the same text, cached) | <= 20 ms |
| a normal query's p50 beside 4 attackers | the bench's ``lookup`` query, one client, sequential; alone, then while 4 clients send the worst document (by CPU) in a loop | <= 2x alone |

The gateway runs with its default settings (production mode, 2 MB body limit) on a core of its
own; the emulators, the attackers and the measuring client share the bench's cores. Every
hostile answer is checked for its refusal code: a document the gateway executed would not be
measuring a refusal.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

from bench import scenarios as sc
from bench.options import Options
from bench.processes import Process, cpu_plan, free_port, gateway_env, start_server, start_upstreams
from bench.report import format_table
from bench.summary import HostileFigures, hostile_table
from gateway.security.auth import generate_api_key, hash_api_key
from gateway.settings import Settings

__all__ = ["DOCUMENTS", "HostileDocument", "run_hostile"]

_ATTACKERS = 4
_TIMEOUT = httpx.Timeout(10.0)


@dataclass(frozen=True, slots=True)
class HostileDocument:
    """A request the gateway must refuse with ``code``, before any upstream call."""

    name: str
    query: str
    code: str
    variables: dict[str, Any] | None = None

    def body(self, unique: int | None) -> bytes:
        # A trailing comment changes the text, not the tokens: every per-text cache misses.
        query = self.query if unique is None else f"{self.query}\n# {unique}"
        return json.dumps({"query": query, "variables": self.variables}).encode()


def _documents() -> list[HostileDocument]:
    product = '{ product(tid: "DEMO-0001") { '
    # As often as the repeated-fields limit lets one path be selected: graphql-core compares
    # every pair of same-named fields (and of fragments spread together).
    repeats = Settings.model_fields["max_repeated_fields"].default
    return [
        HostileDocument(
            "2,400 repeated fields (9.6 KB)", product + "tid " * 2400 + "} }", "MAX_REPEATED_FIELDS"
        ),
        HostileDocument(
            "repeated fields, 50 x 50 nested",
            product + ("variants { " + "tid " * 50 + "} ") * 50 + "} }",
            "MAX_REPEATED_FIELDS",
        ),
        HostileDocument(
            "4,900 unknown fields (28 KB)",
            product + " ".join(f"f{i}" for i in range(4_900)) + " } }",
            "MAX_DOCUMENT_SIZE_LIMIT",
        ),
        HostileDocument(
            "1.9 MB of repeated fields",
            product + "tid " * 475_000 + "} }",
            "MAX_DOCUMENT_SIZE_LIMIT",
        ),
        HostileDocument(
            "1.9 MB string literal",
            '{ product(tid: "' + "x" * 1_900_000 + '") { tid } }',
            "MAX_DOCUMENT_SIZE_LIMIT",
        ),
        # The dearest within the lexical limits (1,000 tokens, 50 repeats): each is parsed.
        HostileDocument(
            "990 unknown fields (within the token limit)",
            product + " ".join(f"f{i}" for i in range(990)) + " } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        HostileDocument(
            "330 aliases (within the token limit)",
            product + " ".join(f"a{i}: tid" for i in range(330)) + " } }",
            "MAX_ALIASES_LIMIT",
        ),
        HostileDocument(
            "240 unused variables",
            "query (" + " ".join(f"$v{i}: String" for i in range(240)) + ") { __typename }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        HostileDocument(
            f"{repeats} fragments spread together, one unknown argument",
            '{ product(tid: "DEMO-0001", nope: 1) { '
            + " ".join(f"...F{i}" for i in range(repeats))
            + " } } "
            + " ".join(
                f"fragment F{i} on Product {{ tid variants {{ tid variants {{ tid }} }} }}"
                for i in range(repeats)
            ),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        HostileDocument(
            f"one field {repeats} times with sub-selections, one unknown argument",
            '{ product(tid: "DEMO-0001", nope: 1) { '
            + "variants { tid variants { tid variants { tid } } } " * repeats
            + "} }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        HostileDocument(
            "20,000 tids as a variable",
            "query ($t: [String!]!) { products(tids: $t) { tid } }",
            "BAD_USER_INPUT",
            {"t": [f"T-{i}" for i in range(20_000)]},
        ),
    ]


DOCUMENTS = _documents()


@dataclass(slots=True)
class _Cost:
    document: HostileDocument
    fresh_ms: float
    cached_ms: float
    wrong: list[str] = field(default_factory=list)


def run_hostile(options: Options, out: TextIO) -> int:
    """Measure the hostile section and print it; 1 if a hostile request was not refused."""
    requests = 3 if options.quick else 40
    normal = 10 if options.quick else 200
    plan = cpu_plan()
    if plan.pinned:
        os.sched_setaffinity(0, plan.rest)
    key = generate_api_key()
    headers = {"x-api-key": key, "content-type": "application/json"}
    workdir = Path(tempfile.mkdtemp(prefix="catalog-bench-hostile-"))
    upstreams, roots = start_upstreams(plan.rest)
    try:
        port = free_port()
        env = gateway_env(
            roots,
            port=port,
            cache=True,
            database=workdir / "gateway.sqlite3",
            api_key_hash=hash_api_key(key),
        )
        gateway = start_server(
            "gateway",
            [sys.executable, "-m", "gateway", "serve"],
            port=port,
            env=env,
            cpus=plan.server,
            log_path=workdir / "gateway.log",
        )
        try:
            figures = _measure(gateway, headers, requests, normal, out)
        finally:
            gateway.stop()
    finally:
        upstreams.stop()
    out.write("\n== hostile summary (issue 14 targets; measured in this run)\n")
    out.write(hostile_table(figures) + "\n")
    return 1 if figures.wrong_answers else 0


def _measure(
    gateway: Process, headers: dict[str, str], requests: int, normal: int, out: TextIO
) -> HostileFigures:
    url = f"{gateway.url}/graphql"
    out.write(
        f"\n== hostile [gateway]: CPU per refused request, {requests} requests per document, one connection\n"
    )
    costs: list[_Cost] = []
    with httpx.Client(headers=headers, timeout=_TIMEOUT) as client:
        for document in DOCUMENTS:
            cost = _Cost(document, 0.0, 0.0)
            cost.fresh_ms = _cpu_per_request(
                client, url, gateway, document, requests, cost.wrong, fresh=True
            )
            cost.cached_ms = _cpu_per_request(
                client, url, gateway, document, requests, cost.wrong, fresh=False
            )
            costs.append(cost)
    rows = [
        (
            c.document.name,
            f"{len(c.document.body(None)) / 1000:,.1f} KB",
            c.document.code,
            f"{c.fresh_ms:.1f}",
            f"{c.cached_ms:.1f}",
            c.wrong[0][:60] if c.wrong else "ok",
        )
        for c in costs
    ]
    out.write(
        format_table(
            (
                "document",
                "body",
                "refused as",
                "CPU ms (fresh text)",
                "CPU ms (same text)",
                "answers",
            ),
            rows,
        )
        + "\n"
    )
    worst = max(costs, key=lambda c: c.fresh_ms)
    # The issue's own document first (its measured case), then the worst by CPU, if another.
    attacks = [DOCUMENTS[0]] + ([worst.document] if worst.document is not DOCUMENTS[0] else [])
    for attack in attacks:
        alone, beside = asyncio.run(_latencies(url, headers, normal, attack))
        out.write(
            f"\n== hostile [gateway]: `lookup` p50 over {normal} sequential requests, alone and "
            f"beside {_ATTACKERS} clients sending '{attack.name}' (fresh text) in a loop\n"
        )
        out.write(
            f"alone {alone * 1000:.1f} ms ({beside.failed_alone} failed), beside attackers "
            f"{beside.p50 * 1000:.1f} ms over {beside.measured} lookups "
            f"({beside.failed_beside} failed: errors or time-outs); "
            f"the attackers sent {beside.attacks} requests\n"
        )
    return HostileFigures(
        worst_document=worst.document.name,
        worst_cpu_ms=worst.fresh_ms,
        p50_alone_ms=alone * 1000,
        p50_attacked_ms=beside.p50 * 1000,
        wrong_answers=sum(len(c.wrong) for c in costs) + beside.wrong,
    )


def _cpu_per_request(
    client: httpx.Client,
    url: str,
    gateway: Process,
    document: HostileDocument,
    count: int,
    wrong: list[str],
    *,
    fresh: bool,
) -> float:
    bodies = [document.body(i if fresh else None) for i in range(count + 1)]
    _send(client, url, bodies[0], document.code, wrong)  # a warm-up: the same text is now known
    before = gateway.cpu_seconds()
    for body in bodies[1:]:
        _send(client, url, body, document.code, wrong)
    return (gateway.cpu_seconds() - before) / count * 1000


def _send(client: httpx.Client, url: str, body: bytes, code: str, wrong: list[str]) -> None:
    answer = client.post(url, content=body)
    if (reason := _not_refused(answer.content, code)) is not None:
        wrong.append(f"HTTP {answer.status_code}: {reason}")


def _not_refused(content: bytes, code: str) -> str | None:
    try:
        payload = json.loads(content)
    except ValueError:
        return content[:100].decode(errors="replace")
    codes = [e.get("extensions", {}).get("code") for e in payload.get("errors") or ()]
    if payload.get("data") is None and code in codes:
        return None
    return f"expected {code}, got {codes or 'data'}"


@dataclass(slots=True)
class _Beside:
    p50: float
    measured: int
    failed_alone: int
    failed_beside: int
    attacks: int
    wrong: int


async def _latencies(
    url: str, headers: dict[str, str], count: int, worst: HostileDocument
) -> tuple[float, _Beside]:
    limits = httpx.Limits(max_connections=_ATTACKERS + 1)
    async with httpx.AsyncClient(headers=headers, timeout=_TIMEOUT, limits=limits) as client:
        payload = sc.lookup_payload()
        failed_alone, failed_beside = [0], [0]
        # A warm-up over the same tids: alone and beside both read from the warm cache.
        await _lookups(client, url, payload, count, [0])
        alone = statistics.median(await _lookups(client, url, payload, count, failed_alone))
        stop = asyncio.Event()
        sent = [0]
        wrong = [0]
        attackers = [
            asyncio.create_task(_attack(client, url, worst, stop, sent, wrong, n))
            for n in range(_ATTACKERS)
        ]
        await asyncio.sleep(0.5)  # let the attack reach its pace
        try:
            attacked = await _lookups(client, url, payload, count, failed_beside)
        finally:
            stop.set()
            await asyncio.gather(*attackers)
    beside = _Beside(
        statistics.median(attacked),
        len(attacked),
        failed_alone[0],
        failed_beside[0],
        sent[0],
        wrong[0],
    )
    return alone, beside


async def _lookups(
    client: httpx.AsyncClient,
    url: str,
    payload: Callable[[int], dict[str, Any]],
    count: int,
    failed: list[int],
    max_seconds: float = 60.0,
) -> list[float]:
    """Latencies of ``count`` sequential lookups, fewer if ``max_seconds`` run out; a failed
    one (an error, a time-out) counts with the time it took, and in ``failed``."""
    latencies = []
    deadline = time.monotonic() + max_seconds
    for i in range(count):
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        try:
            answer = await client.post(url, json=payload(i))
        except httpx.HTTPError:
            answer = None  # a time-out counts with the time it took: it is the figure
        latencies.append(time.perf_counter() - started)
        if answer is None or answer.status_code != 200 or b'"errors"' in answer.content:
            failed[0] += 1
    return latencies


async def _attack(
    client: httpx.AsyncClient,
    url: str,
    document: HostileDocument,
    stop: asyncio.Event,
    sent: list[int],
    wrong: list[int],
    seed: int,
) -> None:
    i = seed * 1_000_000
    while not stop.is_set():
        i += 1
        sent[0] += 1
        try:
            answer = await client.post(url, content=document.body(i))
        except httpx.HTTPError:
            continue  # a time-out: the gateway is saturated, which the p50 shows
        if _not_refused(answer.content, document.code) is not None:
            wrong[0] += 1
