"""``python -m bench.replicas``: several gateway processes on PostgreSQL and Redis (issue 15).

The topology of ``compose.yaml`` as plain processes: the emulators (``bench.upstreams``),
``gateway migrate``, N ``gateway serve`` replicas that run no jobs
(``GATEWAY_WRITE_WORKERS=0``) and one ``gateway worker``, on one PostgreSQL database (a
schema made for this run, dropped after) and one Redis (a key prefix of this run's own).

| figure | how |
| --- | --- |
| bulk write, 3 replicas + worker | ``--items`` OMNICOMMERCE items split over the replicas, one WAIT mutation each, all at once (``bench.bulk.run_bulk``); items/s end to end against the 500 items/s ceiling (5 requests of 100 a second, one credential), with the upstream's 429s and its most arrivals in any second |
| read, 1 replica vs 3 | ``lookup`` (``bench.scenarios``) through ``bench.load``'s closed-loop generator (httpx; wrk is not installed here): the same requests and clients, all on one replica, then spread evenly over three; requests/s and the ratio |

Nothing is pinned: on a 2-core machine three replicas, the worker, the emulators and the
load generator share both cores, which the read figure shows (a report, no target).

PostgreSQL and Redis: ``--postgres`` and ``--redis``, by default ``GATEWAY_TEST_POSTGRES_URL``
and ``GATEWAY_TEST_REDIS_URL`` (else the local servers, as the tests use them).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg

from bench import scenarios as sc
from bench.bulk import BulkOutcome, commerce_item, plan_bulk, run_bulk
from bench.calls import UpstreamLogs
from bench.load import LoadResult, run_load
from bench.processes import Process, free_port, gateway_env, start_server, start_upstreams
from bench.report import format_table
from gateway.emulators.recording import max_in_window
from gateway.graphql import build_schema
from gateway.security.auth import generate_api_key, hash_api_key
from gateway.settings import load_settings

__all__ = ["main"]

CEILING = 500.0  # items/s: 5 requests of 100 items a second
_COMMERCE_POSTS = "/2022-08/management/products"


class Topology:
    """The emulators, the database and Redis of one run, and the gateway processes on them."""

    def __init__(self, stack: ExitStack, postgres: str, redis: str, workdir: Path) -> None:
        self.workdir = workdir
        self.key = generate_api_key()
        upstreams, self.roots = start_upstreams(frozenset())
        stack.callback(upstreams.stop)
        self.database = stack.enter_context(_fresh_schema(postgres))
        joiner = "&" if "?" in redis else "?"
        self.redis = f"{redis}{joiner}key_prefix=bench-{uuid.uuid4().hex[:12]}"
        self.stack = stack

    def env(self, port: int, **settings: str) -> dict[str, str]:
        env = gateway_env(
            self.roots,
            port=port,
            cache=True,
            database=self.workdir / "unused.sqlite3",
            api_key_hash=hash_api_key(self.key),
        )
        env["GATEWAY_DATABASE"] = self.database
        env["GATEWAY_REDIS_URL"] = self.redis
        env.update({f"GATEWAY_{k.upper()}": v for k, v in settings.items()})
        return env

    def migrate(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "gateway", "migrate"],
            env=self.env(0),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def serve(self, name: str, **settings: str) -> Process:
        port = free_port()
        server = start_server(
            name,
            [sys.executable, "-m", "gateway", "serve"],
            port=port,
            env=self.env(port, **settings),
            cpus=frozenset(),
            log_path=self.workdir / f"{name}.log",
        )
        self.stack.callback(server.stop)
        return server

    def worker(self) -> Process:
        log = (self.workdir / "worker.log").open("wb")
        self.stack.callback(log.close)
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "worker"],
            env=self.env(0),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        worker = Process("worker", proc, "", self.workdir / "worker.log")
        self.stack.callback(worker.stop)
        # Measured as a deployment runs: the worker up before the writes come. It says so in
        # its log, then holds its first rate window back (a process that just died may have
        # used it), which a long-running worker has left behind.
        deadline = time.monotonic() + 60
        while b"write worker" not in (self.workdir / "worker.log").read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{worker.log_tail()}")
            time.sleep(0.1)
        time.sleep(1.5)
        return worker

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.key}


@contextmanager
def _fresh_schema(url: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        joiner = "&" if "?" in url else "?"
        yield f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def bulk(top: Topology, replicas: Sequence[Process], items: int) -> tuple[BulkOutcome, float]:
    """Items split evenly over ``replicas``, sent at once; the outcomes merged, and when
    (``time.time()``) the sending began."""
    plan = plan_bulk(build_schema(), "registerCommerceProducts", commerce_item(0))
    assert not isinstance(plan, str), plan
    limit = load_settings({}).max_body_bytes
    share = -(-items // len(replicas))

    def send(n: int) -> BulkOutcome:
        def item(i: int) -> dict[str, object]:
            return commerce_item(n * share + i)

        count = min(share, items - n * share)
        url = f"{replicas[n].url}/graphql"
        return run_bulk(url, top.headers, plan, item, count, max_body_bytes=limit)

    began, started = time.time(), time.perf_counter()
    with ThreadPoolExecutor(len(replicas)) as pool:
        outcomes = list(pool.map(send, range(len(replicas))))
    elapsed = time.perf_counter() - started
    merged = BulkOutcome(items=items, elapsed=elapsed, status=200, errors=[])
    merged.mutations = sum(o.mutations for o in outcomes)
    merged.answer = {"ok": all(o.all_accepted for o in outcomes)}
    for o in outcomes:
        merged.errors += o.errors
        merged.status = max(merged.status, o.status)
    return merged, began


async def _spread(
    top: Topology, replicas: Sequence[Process], requests: int, concurrency: int, seconds: float
) -> tuple[int, int, float]:
    """(requests, errors, elapsed): the same load spread evenly over ``replicas``."""
    share = len(replicas)
    started = time.perf_counter()
    results: list[LoadResult] = await asyncio.gather(
        *(
            run_load(
                f"{r.url}/graphql",
                sc.lookup_payload(),
                requests=requests // share,
                concurrency=max(1, concurrency // share),
                max_seconds=seconds,
                headers=top.headers,
            )
            for r in replicas
        )
    )
    elapsed = time.perf_counter() - started
    return sum(r.requests for r in results), sum(r.errors for r in results), elapsed


def reads(
    top: Topology, replicas: Sequence[Process], requests: int, concurrency: int, seconds: float
) -> tuple[int, int, float]:
    asyncio.run(_spread(top, replicas, concurrency * 2, concurrency, seconds))  # warm-up
    return asyncio.run(_spread(top, replicas, requests, concurrency, seconds))


def _unreachable(postgres: str, redis_url: str) -> str | None:
    """Why the shared servers cannot be used, or None."""
    import redis

    try:
        psycopg.connect(postgres, connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"PostgreSQL unreachable ({str(exc).splitlines()[0]})"
    client = redis.Redis.from_url(redis_url.split("?")[0], socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"Redis unreachable ({exc})"
    finally:
        client.close()
    return None


def run(args: argparse.Namespace) -> int:
    say = print
    why = _unreachable(args.postgres, args.redis)
    if why is not None:
        say(f"== several processes: skipped, {why}; start it or pass --postgres/--redis")
        return 0
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-replicas-") as tmp:
        top = Topology(stack, args.postgres, args.redis, Path(tmp))
        top.migrate()
        replicas = [top.serve(f"replica-{n}", write_workers="0") for n in range(3)]
        top.worker()
        say(f"== 3 replicas (GATEWAY_WRITE_WORKERS=0) + 1 gateway worker, {os.cpu_count()} CPUs")
        logs = UpstreamLogs(top.roots)
        logs.clear()
        outcome, started = bulk(top, replicas, args.items)
        elapsed = outcome.elapsed
        calls = logs.read()
        log = httpx.get(f"{top.roots['omnicommerce']}/__emulator__/log", timeout=120).json()
        arrivals = [e["at"] for e in log if e["path"] == _COMMERCE_POSTS and e["at"]]
        rate = outcome.items_per_second
        span = max(arrivals) - min(arrivals) if arrivals else 0.0
        first = min(arrivals) - started if arrivals else 0.0
        say(
            format_table(
                ("bulk write", "figure"),
                [
                    ("items", f"{args.items} in {elapsed:.1f} s, {outcome.mutations} mutations"),
                    ("all accepted", str(outcome.all_accepted)),
                    ("throughput", f"{rate:.0f} items/s"),
                    ("of the 500 items/s ceiling", f"{100 * rate / CEILING:.1f} %"),
                    ("upstream requests", str(len(arrivals))),
                    ("first upstream arrival after the start", f"{first:.1f} s"),
                    ("first to last upstream arrival", f"{span:.1f} s"),
                    ("upstream 429 answers", str(calls.answered(429))),
                    ("most arrivals in any second", str(max_in_window(arrivals, 1.0))),
                    ("GraphQL errors", str(len(outcome.errors))),
                ],
            )
        )
        one = reads(top, replicas[:1], args.requests, args.concurrency, args.max_seconds)
        three = reads(top, replicas, args.requests, args.concurrency, args.max_seconds)
        rows = []
        for name, (done, errors, took) in (("1 replica", one), ("3 replicas", three)):
            rows.append((name, str(done), str(errors), f"{done / took:.0f}"))
        say(f"== read: lookup, {args.concurrency} clients in all (httpx load generator)")
        say(format_table(("servers", "requests", "errors", "requests/s"), rows))
        ratio = (three[0] / three[2]) / (one[0] / one[2])
        say(f"3 replicas / 1 replica read throughput: {ratio:.2f}x")
        ok = outcome.all_accepted and calls.answered(429) == 0 and not (one[1] or three[1])
        return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__)
    parser.add_argument("--items", type=int, default=10_000, help="bulk-write items")
    parser.add_argument("--requests", type=int, default=3_000, help="read requests per run")
    parser.add_argument("--concurrency", type=int, default=24, help="read clients in all")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="cap per read run")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "GATEWAY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument(
        "--redis", default=os.environ.get("GATEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
