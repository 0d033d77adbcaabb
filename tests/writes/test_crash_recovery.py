"""A write job survives its gateway: killed (SIGKILL) three times, or stopped (SIGTERM), the
job is resumed after each restart and ends with every item held upstream, none lost.

``gateway emulate`` runs in a process of its own, as a real upstream would; ``gateway serve``
is pointed at it and started, killed and started again. What the upstream holds is read from
the emulator (``/__emulator__/products``), what it was sent from its log, and what the
gateway recorded from its SQLite file directly.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.emulators.recording import max_in_window
from gateway.security import generate_api_key, hash_api_key
from gateway.settings import (
    DEMO_CITRUSAD_API_KEY,
    DEMO_CITRUSAD_TEAM_ID,
    DEMO_OMNICOMMERCE_API_KEY,
    DEMO_PIM_TOKEN,
)

ROOT = Path(__file__).resolve().parents[2]
PATH = "/2022-08/management/products"
KEY = generate_api_key()

REGISTER = """mutation($p: [CommerceProductInput!]!, $mode: WriteMode) {
  registerCommerceProducts(products: $p, mode: $mode) {
    ok results { status } job { id state counts { total queued sent accepted } }
  }
}"""
PROGRESS = "subscription($id: ID!) { writeJobProgress(id: $id) { state counts { accepted } } }"
JOB = """query($id: ID!) {
  writeJob(id: $id) { state done counts { total queued sending sent accepted failed unknown }
    recoveries { chunk was } }
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, f"the process serving {url} exited"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer"
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


@dataclass
class Upstreams:
    ports: dict[str, int]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def posts(self) -> list[dict[str, Any]]:
        log = httpx.get(f"{self.url('omnicommerce')}/__emulator__/log", timeout=30).json()
        return [e for e in log if e["method"] == "POST" and e["path"] == PATH]

    def held(self) -> dict[str, dict[str, Any]]:
        rows = httpx.get(f"{self.url('omnicommerce')}/__emulator__/products", timeout=30).json()
        return {row["product"]["id"]: row["product"] for row in rows}


@pytest.fixture
def upstreams() -> Iterator[Upstreams]:
    ports = {name: _free_port() for name in ("pim", "omnicommerce", "citrusad")}
    args = [sys.executable, "-m", "gateway", "emulate"]
    for name, port in ports.items():
        args += [f"--{name}-port", str(port)]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    running = Upstreams(ports)
    try:
        for name in ports:
            _wait_http(f"{running.url(name)}/__emulator__/log", proc)
        yield running
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _stop(proc)


class Gateway:
    """``gateway serve`` against the emulators, on one database, started again at will."""

    def __init__(self, upstreams: Upstreams, database: Path, grace: float = 10.0) -> None:
        self.port = _free_port()
        self.database = database
        self.env = {
            **os.environ,
            "GATEWAY_PORT": str(self.port),
            "GATEWAY_DATABASE": str(database),
            "GATEWAY_API_KEYS": f"{hash_api_key(KEY)}:read+write:crash-test",
            "GATEWAY_PIM_URL": upstreams.url("pim") + "/api/core/v1",
            "GATEWAY_PIM_TOKEN": DEMO_PIM_TOKEN,
            "GATEWAY_OMNICOMMERCE_URL": upstreams.url("omnicommerce") + "/2022-08",
            "GATEWAY_OMNICOMMERCE_API_KEY": DEMO_OMNICOMMERCE_API_KEY,
            "GATEWAY_CITRUSAD_URL": upstreams.url("citrusad"),
            "GATEWAY_CITRUSAD_API_KEY": DEMO_CITRUSAD_API_KEY,
            "GATEWAY_CITRUSAD_TEAM_ID": DEMO_CITRUSAD_TEAM_ID,
            "GATEWAY_SHUTDOWN_GRACE_SECONDS": str(grace),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_http(f"http://127.0.0.1:{self.port}/healthz", self.proc)

    def query(self, query: str, variables: dict[str, Any], timeout: float = 60) -> Any:
        answer = httpx.post(
            self.url,
            json={"query": query, "variables": variables},
            headers={"x-api-key": KEY},
            timeout=timeout,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def job(self, job_id: str) -> dict[str, Any]:
        body = self.query(JOB, {"id": job_id})
        assert "errors" not in body, body
        return dict(body["data"]["writeJob"])

    def wait_done(self, job_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["done"]:
                return job
            assert time.monotonic() < deadline, f"the job did not end: {job}"
            time.sleep(0.2)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)


def _products(count: int, prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{prefix}{i:05d}",
            "url": f"https://img.example.com/{prefix}{i}.jpg",
            "salesUrl": f"https://shop.example.com/{prefix}{i}",
            "detection": "TOP",
            "metadata": {"productName": f"product {i}"},
        }
        for i in range(count)
    ]


def _wait_posts(upstreams: Upstreams, at_least: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(upstreams.posts()) < at_least:
        assert time.monotonic() < deadline, f"fewer than {at_least} requests arrived"
        time.sleep(0.05)


def _check_everything_held(
    upstreams: Upstreams, database: Path, products: list[dict[str, Any]]
) -> None:
    held = upstreams.held()
    assert {p["id"]: p for p in products} == {pid: held[pid] for pid in held}, "lost or changed"
    db = sqlite3.connect(database)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT id, status, payload FROM commerce_products").fetchall()
        open_chunks = db.execute(
            "SELECT COUNT(*) FROM write_chunks WHERE state IN ('QUEUED','SENDING')"
        ).fetchone()[0]
    finally:
        db.close()
    assert open_chunks == 0
    recorded = {pid: (status, json.loads(payload)) for pid, status, payload in rows}
    assert recorded == {pid: ("ACCEPTED", product) for pid, product in held.items()}
    # No 429, and never more than 5 arrivals in one second. A request the kill cut off
    # mid-body reaches the upstream as broken JSON (400): the only answer besides 202.
    posts = upstreams.posts()
    assert [e for e in posts if e["status"] != 202 and not _cut_short(e)] == []
    assert max_in_window([e["at"] for e in posts], 1.0) <= 5


def _cut_short(entry: dict[str, Any]) -> bool:
    if entry["status"] != 400:
        return False
    try:
        json.loads(entry["body"])
    except ValueError:
        return True
    return False


def test_a_job_survives_three_kills(upstreams: Upstreams, tmp_path: Path) -> None:
    gateway = Gateway(upstreams, tmp_path / "gateway.sqlite3")
    products = _products(5000, "K")
    try:
        gateway.start()
        answer = gateway.query(REGISTER, {"p": products, "mode": "JOB"})
        job_id = answer["data"]["registerCommerceProducts"]["job"]["id"]
        # Three moments: early, in the middle, late (of 50 requests).
        for arrived in (3, 20, 38):
            _wait_posts(upstreams, arrived)
            gateway.kill()
            gateway.start()
        job = gateway.wait_done(job_id)
    finally:
        gateway.stop()
    assert job["state"] == "COMPLETED"
    assert job["counts"]["accepted"] == 5000 and job["counts"]["unknown"] == 0
    assert job["recoveries"], "the restarts took chunks over"
    _check_everything_held(upstreams, gateway.database, products)
    # Replays are the only repeats: at most the chunks that were on the wire at each kill.
    assert len(upstreams.posts()) <= 50 + 3 * 5


def test_sigterm_answers_the_waiting_caller_and_the_job_completes_after_restart(
    upstreams: Upstreams, tmp_path: Path
) -> None:
    grace = 30.0
    gateway = Gateway(upstreams, tmp_path / "gateway.sqlite3", grace=grace)
    products = _products(10_000, "T")
    waiting: dict[str, Any] = {}
    followed: dict[str, Any] = {}

    def caller() -> None:
        waiting["answer"] = gateway.query(REGISTER, {"p": products, "mode": "WAIT"}, timeout=120)

    def follower(job_id: str) -> None:
        body = {"query": PROGRESS, "variables": {"id": job_id}}
        headers = {"x-api-key": KEY, "accept": "text/event-stream"}
        with httpx.stream("POST", gateway.url, json=body, headers=headers, timeout=60) as answer:
            followed["lines"] = [line for line in answer.iter_lines() if line]

    try:
        gateway.start()
        thread = threading.Thread(target=caller)
        thread.start()
        _wait_posts(upstreams, 10)
        running = gateway.query("{ writeJobs(state: RUNNING) { nodes { id } } }", {})
        (job,) = running["data"]["writeJobs"]["nodes"]
        subscriber = threading.Thread(target=follower, args=(job["id"],))
        subscriber.start()
        time.sleep(0.5)
        assert gateway.proc is not None
        stopped = time.monotonic()
        gateway.proc.send_signal(signal.SIGTERM)
        code = gateway.proc.wait(timeout=grace + 10)
        # Neither the waiting caller nor the open event stream held the stop for the grace.
        assert time.monotonic() - stopped < grace - 10
        thread.join(timeout=30)
        subscriber.join(timeout=30)
        assert code == 0
        assert any(line.startswith("data:") for line in followed["lines"]), followed
        payload = waiting["answer"]["data"]["registerCommerceProducts"]
        assert payload["job"]["state"] in ("QUEUED", "RUNNING")
        assert payload["ok"] is False
        assert {r["status"] for r in payload["results"]} <= {"SUCCESS", "QUEUED", "SENDING"}
        job_id = payload["job"]["id"]
        db = sqlite3.connect(gateway.database)
        try:
            on_the_wire = db.execute(
                "SELECT COUNT(*) FROM write_chunks WHERE state='SENDING'"
            ).fetchone()[0]
        finally:
            db.close()
        assert on_the_wire == 0, "chunks in flight settle within the grace period"
        gateway.start()
        job = gateway.wait_done(job_id)
    finally:
        gateway.stop()
    assert job["state"] == "COMPLETED" and job["counts"]["accepted"] == 10_000
    _check_everything_held(upstreams, gateway.database, products)
    assert len(upstreams.posts()) == 100  # nothing was on the wire at the stop: no replay


def test_a_separate_worker_runs_what_a_serve_without_workers_recorded(
    upstreams: Upstreams, tmp_path: Path
) -> None:
    gateway = Gateway(upstreams, tmp_path / "gateway.sqlite3")
    gateway.env["GATEWAY_WRITE_WORKERS"] = "0"
    products = _products(250, "W")
    worker: subprocess.Popen[bytes] | None = None
    try:
        gateway.start()
        answer = gateway.query(REGISTER, {"p": products, "mode": "JOB"})
        job_id = answer["data"]["registerCommerceProducts"]["job"]["id"]
        time.sleep(1.0)
        assert gateway.job(job_id)["state"] == "QUEUED"  # nobody runs it yet
        assert upstreams.posts() == []
        worker = subprocess.Popen(
            [sys.executable, "-m", "gateway", "worker"],
            cwd=ROOT,
            env={**gateway.env, "GATEWAY_WRITE_WORKERS": "2"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        job = gateway.wait_done(job_id)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
    finally:
        gateway.stop()
        if worker is not None:
            _stop(worker)
    assert job["state"] == "COMPLETED" and job["counts"]["accepted"] == 250
    _check_everything_held(upstreams, gateway.database, products)
