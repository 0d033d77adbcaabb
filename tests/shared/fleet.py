"""Several gateway processes as plain processes: the topology of ``compose.yaml``.

``gateway emulate`` (the ``upstreams`` fixture of ``tests/writes/test_crash_recovery.py``)
stands in for the upstreams; ``Fleet`` runs ``gateway migrate``, any number of
``gateway serve`` replicas and ``gateway worker`` processes on one ``GATEWAY_DATABASE``
(PostgreSQL) and one ``GATEWAY_REDIS_URL``, each replica on its own port.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import httpx
import psycopg

from gateway.security import hash_api_key
from gateway.settings import (
    DEMO_CITRUSAD_API_KEY,
    DEMO_CITRUSAD_TEAM_ID,
    DEMO_OMNICOMMERCE_API_KEY,
    DEMO_PIM_TOKEN,
)
from tests.writes.test_crash_recovery import (
    JOB,
    KEY,
    ROOT,
    Upstreams,
    _free_port,
    _stop,
    _wait_http,
)

__all__ = ["KEY", "Fleet", "Replica"]


class Replica:
    """One ``gateway serve`` process."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.env = {**env, "GATEWAY_PORT": str(self.port)}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> subprocess.Popen[bytes]:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self.proc

    def wait_ready(self) -> None:
        assert self.proc is not None
        _wait_http(f"http://127.0.0.1:{self.port}/healthz", self.proc, timeout=90)

    def query(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        answer = httpx.post(
            self.url,
            json={"query": query, "variables": variables or {}},
            headers={"x-api-key": KEY},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert "errors" not in body, body
        return body["data"]

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self.query(JOB, {"id": job_id})["writeJob"])

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)


class Fleet:
    """Replicas and workers on one database and one Redis, in front of the emulators."""

    def __init__(self, upstreams: Upstreams, database: str, redis_url: str, **settings: str):
        self.database = database
        self.env = {
            **os.environ,
            "GATEWAY_DATABASE": database,
            "GATEWAY_REDIS_URL": redis_url,
            "GATEWAY_API_KEYS": f"{hash_api_key(KEY)}:read+write:replica-test",
            "GATEWAY_PIM_URL": upstreams.url("pim") + "/api/core/v1",
            "GATEWAY_PIM_TOKEN": DEMO_PIM_TOKEN,
            "GATEWAY_OMNICOMMERCE_URL": upstreams.url("omnicommerce") + "/2022-08",
            "GATEWAY_OMNICOMMERCE_API_KEY": DEMO_OMNICOMMERCE_API_KEY,
            "GATEWAY_CITRUSAD_URL": upstreams.url("citrusad"),
            "GATEWAY_CITRUSAD_API_KEY": DEMO_CITRUSAD_API_KEY,
            "GATEWAY_CITRUSAD_TEAM_ID": DEMO_CITRUSAD_TEAM_ID,
            **{f"GATEWAY_{name.upper()}": value for name, value in settings.items()},
        }
        self.replicas: list[Replica] = []
        self.workers: list[subprocess.Popen[bytes]] = []

    def migrate(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "gateway", "migrate"],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def serve(self, count: int, **settings: str) -> list[Replica]:
        """``count`` replicas, started together (their starts overlap), then waited for."""
        env = {**self.env, **{f"GATEWAY_{k.upper()}": v for k, v in settings.items()}}
        started = [Replica(env) for _ in range(count)]
        for replica in started:
            replica.start()
        self.replicas += started
        for replica in started:
            replica.wait_ready()
        return started

    def worker(self, **settings: str) -> subprocess.Popen[bytes]:
        env = {**self.env, **{f"GATEWAY_{k.upper()}": v for k, v in settings.items()}}
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.workers.append(proc)
        return proc

    def stop(self) -> None:
        for replica in self.replicas:
            replica.stop()
        for proc in self.workers:
            _stop(proc)

    def chunks(self, where: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """``(job_id, seq)`` of the chunks matching ``where``, read from the store directly."""
        with psycopg.connect(self.database, connect_timeout=10) as db:
            query = f"SELECT job_id, seq FROM write_chunks WHERE {where}"  # noqa: S608 (test SQL)
            return db.execute(query, params or None).fetchall()

    def wait_chunks(self, where: str, at_least: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while len(self.chunks(where)) < at_least:
            assert time.monotonic() < deadline, f"fewer than {at_least} chunks where {where}"
            time.sleep(0.2)

    def wait_done(self, replica: Replica, job_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = replica.job(job_id)
            if job["done"]:
                return job
            assert time.monotonic() < deadline, f"the job did not end: {job}"
            time.sleep(0.3)
