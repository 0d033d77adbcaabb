"""The servers under test, each a process the bench starts, pins, probes and stops itself.

| process | command | CPU (2 cores or more) |
| --- | --- | --- |
| emulators | ``python -m bench.upstreams`` | the bench's own cores |
| gateway under test | ``python -m gateway serve`` | one core of its own |
| baseline | ``python -m bench.baseline`` | the same core, while the gateway is stopped |
| load generator | this process | the bench's own cores |

The server under test gets a core to itself so that neither the load generator nor the
emulators take CPU from it; with a single core nothing is pinned (the output says so).
Only processes started here are signalled, each by its own pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from gateway.settings import (
    DEMO_CITRUSAD_API_KEY,
    DEMO_CITRUSAD_TEAM_ID,
    DEMO_OMNICOMMERCE_API_KEY,
    DEMO_PIM_TOKEN,
)

__all__ = ["CpuPlan", "Process", "cpu_plan", "gateway_env", "start_server", "start_upstreams"]

_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class CpuPlan:
    """Which cores the server under test gets, and which the rest of the bench keeps."""

    server: frozenset[int]
    rest: frozenset[int]

    @property
    def pinned(self) -> bool:
        return bool(self.server)

    def describe(self) -> str:
        if not self.pinned:
            return "not pinned (fewer than 2 cores available)"
        return f"server on CPU {_cpus(self.server)}; emulators and load generator on CPU {_cpus(self.rest)}"


def _cpus(cpus: frozenset[int]) -> str:
    return ",".join(str(c) for c in sorted(cpus))


def cpu_plan() -> CpuPlan:
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return CpuPlan(frozenset(), frozenset(available))
    return CpuPlan(frozenset(available[:1]), frozenset(available[1:]))


@dataclass(slots=True)
class Process:
    """A server process started by the bench."""

    name: str
    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_mb(self) -> float | None:
        """Resident memory (VmRSS) in MB, from /proc; ``None`` if it cannot be read."""
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return None

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process, all its threads, so far."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(_STOP_TIMEOUT)

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _pinned(command: list[str], cpus: frozenset[int]) -> list[str]:
    taskset = shutil.which("taskset")
    if cpus and taskset:
        return [taskset, "-c", _cpus(cpus), *command]
    return command


def _spawn(
    command: list[str], cpus: frozenset[int], env: Mapping[str, str], **kwargs: object
) -> subprocess.Popen[bytes]:
    # The commands are the bench's own (sys.executable -m ...), never outside input.
    proc = subprocess.Popen(_pinned(command, cpus), env=dict(env), **kwargs)  # type: ignore[call-overload]  # noqa: S603
    if cpus and not shutil.which("taskset"):
        # Without taskset the child is pinned just after it starts, before it serves anything.
        with contextlib.suppress(OSError):
            os.sched_setaffinity(proc.pid, cpus)
    return proc  # type: ignore[no-any-return]


def _clean_env() -> dict[str, str]:
    """The bench's environment without GATEWAY_* (a user's settings must not leak in)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}


def start_upstreams(cpus: frozenset[int]) -> tuple[Process, dict[str, str]]:
    """The emulators' process, and each emulator's root URL."""
    proc = _spawn(
        [sys.executable, "-m", "bench.upstreams"], cpus, _clean_env(), stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], _START_TIMEOUT)
    line = proc.stdout.readline() if ready else b""
    if not line:
        proc.kill()
        proc.wait(_STOP_TIMEOUT)
        raise RuntimeError("the emulators did not start")
    roots: dict[str, str] = json.loads(line)
    return Process("emulators", proc, roots["pim"]), roots


def gateway_env(
    roots: Mapping[str, str], *, port: int, cache: bool, database: Path, api_key_hash: str
) -> dict[str, str]:
    """``GATEWAY_*`` settings that point the gateway at the emulators' process."""
    env = _clean_env()
    env.update(
        {
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(port),
            "GATEWAY_PIM_URL": roots["pim"] + "/api/core/v1",
            "GATEWAY_PIM_TOKEN": DEMO_PIM_TOKEN,
            "GATEWAY_OMNICOMMERCE_URL": roots["omnicommerce"] + "/2022-08",
            "GATEWAY_OMNICOMMERCE_API_KEY": DEMO_OMNICOMMERCE_API_KEY,
            "GATEWAY_CITRUSAD_URL": roots["citrusad"],
            "GATEWAY_CITRUSAD_API_KEY": DEMO_CITRUSAD_API_KEY,
            "GATEWAY_CITRUSAD_TEAM_ID": DEMO_CITRUSAD_TEAM_ID,
            "GATEWAY_CACHE_ENABLED": "true" if cache else "false",
            "GATEWAY_DATABASE": str(database),
            "GATEWAY_API_KEYS": f"{api_key_hash}:read+write:bench",
            # The bulk write waits for 10,000 items (20 s at 500 items/s): past the default
            # operation deadline (15 s) its answer would be the job still running.
            "GATEWAY_OPERATION_DEADLINE_SECONDS": "120",
        }
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    name: str,
    command: list[str],
    *,
    port: int,
    env: Mapping[str, str],
    cpus: frozenset[int],
    log_path: Path,
) -> Process:
    """Start a server listening on ``port`` and wait until its ``/healthz`` answers."""
    with log_path.open("wb") as log:
        proc = _spawn(command, cpus, env, stdout=log, stderr=subprocess.STDOUT)
    server = Process(name, proc, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.url}/healthz", timeout=1.0).status_code == 200:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{name} did not start:\n{server.log_tail()}")
