"""``python -m bench.cold_reads``: gateway CPU per deep PIM read, every cache cold, then warm.

The emulators answer in a process of their own (``bench.upstreams``); ``gateway serve`` runs
on its own core, first with ``GATEWAY_CACHE_ENABLED=false`` (every read decodes the PIM's
XML), then with the entity cache on and the response cache off (every read is served from
records already decoded). One client sends ``DEEP_PIM`` (``bench.scenarios``) for N products,
one request after another, and the figure is the gateway process's user + system CPU
(``/proc/<pid>/stat``) over a round of requests, divided by the requests.

| flag | effect |
| --- | --- |
| ``--products N`` | products per request; repeat for several (default 10, 100, 300) |
| ``--rounds R`` | rounds per size; the table shows the lowest and the median (default 3) |
| ``--cpu-ms M`` | CPU a round should last at the old cost, which sets its requests (default 3000) |
| ``--only cold`` / ``--only warm`` | one of the two servers |

The kernel counts CPU in ticks (10 ms on most Linux), so a round spans many ticks; the lowest
round is the least disturbed by other work on the machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench import scenarios as sc
from bench.processes import Process, cpu_plan, free_port, gateway_env, start_server, start_upstreams
from bench.report import format_table
from gateway.security.auth import generate_api_key, hash_api_key

__all__ = ["ColdFigures", "main", "measure"]

_SIZES = (10, 100, 300)
# About what a product cost before issue 18 (0.8 ms, plus 18 ms a request): sizes the rounds.
_OLD_MS_PER_PRODUCT = 0.8
_OLD_MS_PER_REQUEST = 18.0
_WARMUP = 3


@dataclass(frozen=True, slots=True)
class ColdFigures:
    mode: str  # "cold" or "warm"
    products: int
    requests: int  # per round
    rounds: tuple[float, ...]  # CPU ms per request, one per round

    def row(self) -> tuple[str, ...]:
        low, mid = min(self.rounds), statistics.median(self.rounds)
        return (
            self.mode,
            str(self.products),
            f"{self.requests} x {len(self.rounds)}",
            f"{low:.1f}",
            f"{mid:.1f}",
            f"{mid / self.products:.3f}",
        )


class _Client:
    """One kept-open connection: the client's own cost stays out of the gateway's figure."""

    def __init__(self, url: str, key: str) -> None:
        parts = urlsplit(url)
        self._conn = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=60
        )
        self._headers = {"x-api-key": key, "content-type": "application/json"}

    def deep(self, products: int) -> None:
        body = json.dumps(sc.deep_payload(sc.DEEP_PIM, products)(0)).encode()
        self._conn.request("POST", "/graphql", body=body, headers=self._headers)
        answer = self._conn.getresponse()
        payload = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"HTTP {answer.status}: {payload[:300]!r}")
        data = json.loads(payload)
        got = len((data.get("data") or {}).get("products") or ())
        if data.get("errors") or got != products:
            raise RuntimeError(f"{got} of {products} products; errors: {data.get('errors')}")

    def close(self) -> None:
        self._conn.close()


def _requests_for(products: int, cpu_ms: float) -> int:
    old = _OLD_MS_PER_REQUEST + _OLD_MS_PER_PRODUCT * products
    return max(5, round(cpu_ms / old))


def _measure_size(
    server: Process, client: _Client, mode: str, products: int, rounds: int, cpu_ms: float
) -> ColdFigures:
    for _ in range(_WARMUP):
        client.deep(products)
    requests = _requests_for(products, cpu_ms)
    per_request: list[float] = []
    for _ in range(rounds):
        before = server.cpu_seconds()
        for _ in range(requests):
            client.deep(products)
        per_request.append((server.cpu_seconds() - before) * 1000 / requests)
    return ColdFigures(mode, products, requests, tuple(per_request))


@contextmanager
def _gateway(
    roots: dict[str, str], workdir: Path, key: str, cpus: frozenset[int], *, cache: bool
) -> Iterator[Process]:
    port = free_port()
    mode = "warm" if cache else "cold"
    env = gateway_env(
        roots,
        port=port,
        cache=cache,
        database=workdir / f"gateway-{mode}.sqlite3",
        api_key_hash=hash_api_key(key),
    )
    # Warm means decoded records reused, not whole answers replayed.
    env["GATEWAY_RESPONSE_CACHE_MAX_BYTES"] = "0"
    gateway = start_server(
        f"gateway ({mode})",
        [sys.executable, "-m", "gateway", "serve"],
        port=port,
        env=env,
        cpus=cpus,
        log_path=workdir / f"gateway-{mode}.log",
    )
    try:
        yield gateway
    finally:
        gateway.stop()


def measure(
    sizes: Sequence[int], rounds: int, cpu_ms: float, modes: Sequence[str]
) -> list[ColdFigures]:
    """Start the emulators and each gateway in turn; one ``ColdFigures`` per mode and size."""
    plan = cpu_plan()
    key = generate_api_key()
    workdir = Path(tempfile.mkdtemp(prefix="catalog-cold-"))
    figures: list[ColdFigures] = []
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, True)
        if plan.pinned:
            os.sched_setaffinity(0, plan.rest)
        upstreams, roots = start_upstreams(plan.rest)
        stack.callback(upstreams.stop)
        for mode in modes:
            with _gateway(roots, workdir, key, plan.server, cache=mode == "warm") as gateway:
                client = _Client(gateway.url, key)
                try:
                    for products in sizes:
                        figures.append(
                            _measure_size(gateway, client, mode, products, rounds, cpu_ms)
                        )
                finally:
                    client.close()
    print(f"CPU: {plan.describe()}", file=sys.stderr)
    return figures


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_reads", description=__doc__)
    parser.add_argument("--products", type=int, action="append", help="repeatable; 1..300")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cpu-ms", type=float, default=3000.0)
    parser.add_argument("--only", choices=("cold", "warm"))
    args = parser.parse_args(argv)
    if any(not 1 <= n <= 300 for n in args.products or ()):
        parser.error("--products must be within 1..300 (the demo data)")
    if args.rounds < 1 or args.cpu_ms <= 0:
        parser.error("--rounds must be at least 1 and --cpu-ms positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    modes = (args.only,) if args.only else ("cold", "warm")
    figures = measure(tuple(args.products or _SIZES), args.rounds, args.cpu_ms, modes)
    header = ("caches", "products", "requests", "CPU ms/req (min)", "(median)", "ms/product")
    print("DEEP_PIM, sequential, one connection; gateway CPU from /proc/<pid>/stat")
    print(format_table(header, [f.row() for f in figures]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
