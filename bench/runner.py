"""One whole bench run: start the processes, measure each scenario, print, stop everything.

Order: the gateway with its cache off (cold scenarios); the gateway with its cache on
(cached, lookup, search, bulk writes, mixed, then its resident memory); the baseline (the
deep queries). One server under test runs at a time, on its own core; the emulators run
throughout in their own process.
"""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import httpx

from bench import scenarios as sc
from bench.bulk import (
    BulkFigures,
    bulk_report,
    citrusad_direct,
    citrusad_item,
    commerce_item,
    plan_bulk,
    run_bulk,
)
from bench.calls import UpstreamLogs
from bench.load import LoadResult, run_load
from bench.options import BASELINE_SCENARIOS, COLD, TARGET_MIXED_REQUESTS, Options
from bench.processes import (
    Process,
    cpu_plan,
    free_port,
    gateway_env,
    start_server,
    start_upstreams,
)
from bench.report import Measured, format_table, scenario_report
from bench.sequential import SequentialFigures, measure_sequential
from bench.summary import MemoryFigures, summary_table
from gateway.graphql import build_schema
from gateway.security.auth import generate_api_key, hash_api_key
from gateway.settings import load_settings

__all__ = ["run"]

_TITLES = {
    "deep-cold": "{n} products: node, values + definitions, articles, variants, catalogProduct; cache off",
    "deep-pim-cold": "{n} products: node, values + definitions, articles, variants (no catalogProduct); cache off",
    "deep-cached": "{n} products: node, values + definitions, articles, variants, catalogProduct; cache on",
    "deep-pim-cached": "{n} products: node, values + definitions, articles, variants (no catalogProduct); cache on",
    "lookup": "product(tid) with a few fields, tid i % 300: each product once per 300 requests, so mostly misses; cache on",
    "search": "searchProducts(nodePaths, first: 20), first page and the next in turn; cache on",
    "mixed": "per 20 requests: 12 lookup, 6 search, 1 deep-pim, 1 deep; cache on",
}


class Bench:
    def __init__(self, options: Options, out: TextIO) -> None:
        self.options = options
        self.out = out
        self.plan = cpu_plan()
        self.key = generate_api_key()
        self.results: dict[tuple[str, str], Measured] = {}
        self.bulk: dict[str, BulkFigures] = {}
        self.memory: MemoryFigures | None = None
        self.baseline_rss: float | None = None
        self.sequential: SequentialFigures | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix="catalog-bench-"))
        # The gateway under test runs with default settings but for its upstreams and cache.
        self.max_body_bytes = load_settings({}).max_body_bytes

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    # --- the run ------------------------------------------------------------------------------

    def run(self) -> int:
        if self.plan.rest and self.plan.pinned:
            os.sched_setaffinity(0, self.plan.rest)
        self._header()
        upstreams, roots = start_upstreams(self.plan.rest)
        self.upstreams = upstreams
        try:
            self.logs = UpstreamLogs(roots)
            self.roots = roots
            self._cold_phase()
            self._warm_phase()
            self._baseline_phase()
        finally:
            upstreams.stop()
            # Logs and databases of the servers; a failed start already printed its log tail.
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.say()
        self.say(
            f"load average at the end: {_load_average()} (other work on the machine skews figures)"
        )
        self.say()
        self.say("== summary (issue 8 targets; every figure measured in this run)")
        self.say(summary_table(self.results, self.bulk, self.memory, self.baseline_rss))
        if self.sequential is not None:
            self.say(f"info: {self.sequential.report()}")
        jittered = self.bulk.get("bulk-commerce-jitter")
        if jittered is not None and jittered.outcome is not None:
            rate = jittered.outcome.items_per_second
            answered = jittered.calls.answered(429) if jittered.calls else "?"
            self.say(
                f"info: registerCommerceProducts with 0-300 ms jitter: {rate:.0f} items/s = "
                f"{100 * rate / 500:.1f} % of the 500 items/s ceiling, {answered} x 429"
            )
        errors = sum(m.load.errors for m in self.results.values())
        if errors:
            self.say(f"\n{errors} GraphQL requests failed; see 'first error' above.")
        return 1 if errors else 0

    def _header(self) -> None:
        o = self.options
        self.say(
            "catalog-gateway bench"
            + (" (--quick: a smoke run, figures mean nothing)" if o.quick else "")
        )
        rows = [
            (
                "machine",
                f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}",
            ),
            ("layout", self.plan.describe()),
            ("load", f"{o.concurrency} concurrent clients (httpx), closed loop, loopback HTTP/1.1"),
            (
                "per scenario",
                f"{o.requests} requests after {o.concurrency} warm-up requests, at most {o.max_seconds:.0f} s",
            ),
            ("deep query", f"{o.products} products (DEMO-0001 ..)"),
            ("load average", f"{_load_average()} before the run"),
        ]
        self.say(format_table(("setting", "value"), rows))

    def _cold_phase(self) -> None:
        wanted = [s for s in COLD if self.options.selected(s)]
        if not wanted:
            return
        with self._gateway(cache=False) as gateway:
            for name in wanted:
                self._measure(name, gateway, self._deep_payload(name))

    def _warm_phase(self) -> None:
        o = self.options
        wanted = [s for s in _TITLES if s not in COLD and o.selected(s)]
        bulk_wanted = [s for s in ("bulk-commerce", "bulk-citrusad") if o.selected(s)]
        if not wanted and not bulk_wanted:
            return
        with self._gateway(cache=True) as gateway:
            started_rss = gateway.rss_mb()
            self._sequential(gateway)
            for name in ("deep-cached", "deep-pim-cached"):
                if o.selected(name):
                    self._measure(name, gateway, self._deep_payload(name))
            if o.selected("lookup"):
                self._measure("lookup", gateway, sc.lookup_payload())
            if o.selected("search"):
                self._measure("search", gateway, sc.search_payload(self._second_page(gateway)))
            for name in bulk_wanted:
                self._bulk(name, gateway)
            if "bulk-commerce" in bulk_wanted:
                # Requests delayed 0-300 ms on their way in arrive bunched: the pacing must
                # still never trip the upstream's limit.
                self._bulk("bulk-commerce", gateway, jitter=0.3)
            if o.selected("mixed"):
                self._mixed(gateway)
            self.memory = MemoryFigures(
                rss_start=started_rss,
                rss_end=gateway.rss_mb(),
                mixed=self.results.get(("mixed", "gateway")),
            )
            self.say()
            self.say(
                f"gateway resident memory (VmRSS, pid {gateway.pid}): "
                f"{_mb(started_rss)} after start, {_mb(self.memory.rss_end)} at the end of the run"
            )

    def _baseline_phase(self) -> None:
        if not self.options.baseline:
            return
        wanted = sorted(
            {BASELINE_SCENARIOS[s] for s in self.options.scenarios if s in BASELINE_SCENARIOS}
        )
        if not wanted:
            return
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "bench.baseline",
            "--port",
            str(port),
            "--pim-url",
            self.roots["pim"] + "/api/core/v1",
            "--citrusad-url",
            self.roots["citrusad"],
        ]
        baseline = start_server(
            "baseline",
            command,
            port=port,
            env=dict(os.environ),
            cpus=self.plan.server,
            log_path=self.workdir / "baseline.log",
        )
        try:
            for name in wanted:
                self._measure(name, baseline, self._deep_payload(name), server_name="baseline")
            self.baseline_rss = baseline.rss_mb()
        finally:
            baseline.stop()

    # --- servers and scenarios ----------------------------------------------------------------

    @contextmanager
    def _gateway(self, *, cache: bool) -> Iterator[Process]:
        port = free_port()
        env = gateway_env(
            self.roots,
            port=port,
            cache=cache,
            database=self.workdir / f"gateway-{'cache' if cache else 'cold'}.sqlite3",
            api_key_hash=hash_api_key(self.key),
        )
        gateway = start_server(
            "gateway",
            [sys.executable, "-m", "gateway", "serve"],
            port=port,
            env=env,
            cpus=self.plan.server,
            log_path=self.workdir / f"gateway-{'cache' if cache else 'cold'}.log",
        )
        try:
            yield gateway
        finally:
            gateway.stop()

    def _deep_payload(self, name: str) -> sc.Payload:
        document = sc.DEEP_PIM if "pim" in name else sc.DEEP
        return sc.deep_payload(document, self.options.products)

    def _headers(self) -> dict[str, str]:
        return {"x-api-key": self.key}

    def _second_page(self, gateway: Process) -> str | None:
        answer = httpx.post(
            f"{gateway.url}/graphql",
            json={"query": sc.SEARCH, "variables": {"after": None}},
            headers=self._headers(),
            timeout=60,
        ).json()
        info = ((answer.get("data") or {}).get("searchProducts") or {}).get("pageInfo") or {}
        return info.get("endCursor")

    def _load(
        self, server: Process, payload: sc.Payload, requests: int, seconds: float
    ) -> LoadResult:
        return asyncio.run(
            run_load(
                f"{server.url}/graphql",
                payload,
                requests=requests,
                concurrency=self.options.concurrency,
                max_seconds=seconds,
                headers=self._headers(),
            )
        )

    def _measure(
        self,
        name: str,
        server: Process,
        payload: sc.Payload,
        *,
        server_name: str = "gateway",
        requests: int | None = None,
        seconds: float | None = None,
    ) -> Measured:
        """Warm up, clear the upstream logs, then measure ``requests`` requests of ``payload``."""
        o = self.options
        self._load(server, payload, o.concurrency, o.max_seconds)
        self.logs.clear()
        cpu, upstream_cpu = server.cpu_seconds(), self.upstreams.cpu_seconds()
        load = self._load(server, payload, requests or o.requests, seconds or o.max_seconds)
        measured = Measured(
            scenario=name,
            title=_TITLES[name].format(n=o.products),
            server=server_name,
            load=load,
            calls=self.logs.read(),
            server_cpu=server.cpu_seconds() - cpu,
            upstream_cpu=self.upstreams.cpu_seconds() - upstream_cpu,
        )
        self.results[(name, server_name)] = measured
        self.say()
        self.say(scenario_report(measured, o.concurrency))
        return measured

    def _mixed(self, gateway: Process) -> None:
        payloads = {
            "lookup": sc.lookup_payload(),
            "search": sc.search_payload(self._second_page(gateway)),
            "deep-pim-cached": self._deep_payload("deep-pim"),
            "deep-cached": self._deep_payload("deep"),
        }
        requests, note = self._mixed_count()
        self.say()
        self.say(note)
        self._measure(
            "mixed",
            gateway,
            sc.mixed_payload(payloads),
            requests=requests,
            seconds=self._mixed_seconds(),
        )

    def _mixed_seconds(self) -> float:
        o = self.options
        return 3600.0 if o.forced_mixed else max(o.mixed_budget * 2, o.max_seconds)

    def _mixed_count(self) -> tuple[int, str]:
        """How many mixed requests to send, and a sentence saying why."""
        o = self.options
        wanted = o.mixed_requests
        rates = {k: self.results.get((k, "gateway")) for k in set(sc.MIX)}
        if o.forced_mixed:
            return wanted, f"mixed: {wanted} requests, as asked (at most an hour)"
        if any(r is None or not r.load.throughput for r in rates.values()):
            return wanted, (
                f"mixed: up to {wanted} requests within {self._mixed_seconds():.0f} s "
                "(no per-kind throughput measured in this run to estimate from)"
            )
        # Seconds per mixed request, from each kind's own throughput measured just before.
        seconds_each = sum(1 / rates[k].load.throughput for k in sc.MIX) / len(sc.MIX)  # type: ignore[union-attr]
        estimate = wanted * seconds_each
        if estimate <= o.mixed_budget:
            return wanted, f"mixed: {wanted} requests (estimated {estimate:.0f} s)"
        fitted = max(len(sc.MIX), int(o.mixed_budget / seconds_each) // 100 * 100)
        return fitted, (
            f"mixed: {fitted} requests, not {wanted}: {wanted} would take about {estimate:.0f} s, "
            f"over this run's budget of {o.mixed_budget:.0f} s; "
            f"run `python -m bench --scenario mixed --mixed-requests {TARGET_MIXED_REQUESTS}` "
            "(about that long) to judge the memory target"
        )

    def _sequential(self, gateway: Process) -> None:
        requests = 20 if self.options.quick else 200
        self.sequential = measure_sequential(
            f"{gateway.url}/graphql", self._headers(), requests=requests
        )
        self.say()
        self.say(f"== sequential [gateway]: {self.sequential.report()}")

    def _bulk(self, name: str, gateway: Process, *, jitter: float = 0.0) -> None:
        o = self.options
        mutation, make_item = {
            "bulk-commerce": ("registerCommerceProducts", commerce_item),
            "bulk-citrusad": ("syncCatalogProducts", citrusad_item),
        }[name]
        url = f"{gateway.url}/graphql"
        upstream = self.roots["omnicommerce" if name == "bulk-commerce" else "citrusad"]
        httpx.post(f"{upstream}/__emulator__/faults", json={"jitter": jitter}, timeout=10)
        label = f"{name}-jitter" if jitter else name
        self.say()
        delay = f", each request delayed 0-{jitter * 1000:.0f} ms on its way in" if jitter else ""
        self.say(f"== {label} [gateway]: {mutation} of {o.bulk_items} items{delay}")
        plan = plan_bulk(build_schema(), mutation, make_item(0))
        if isinstance(plan, str):
            self.say(plan)
            self.bulk[name] = BulkFigures(mutation=mutation, unavailable=plan)
            return
        self.logs.clear()
        outcome = run_bulk(
            url, self._headers(), plan, make_item, o.bulk_items, max_body_bytes=self.max_body_bytes
        )
        calls = self.logs.read()
        direct = (
            citrusad_direct(self.roots["citrusad"], o.bulk_items)
            if name == "bulk-citrusad"
            else None
        )
        figures = BulkFigures(
            mutation=mutation, outcome=outcome, calls=calls, direct_items_per_second=direct
        )
        self.bulk[label] = figures
        self.say(bulk_report(figures))
        if jitter:
            httpx.delete(f"{upstream}/__emulator__/faults", timeout=10)


def _load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _mb(value: float | None) -> str:
    return f"{value:.1f} MB" if value is not None else "unknown"


def run(options: Options, out: TextIO = sys.stdout) -> int:
    """Run the bench with ``options``; 0 when every request succeeded."""
    return Bench(options, out).run()
