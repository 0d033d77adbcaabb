"""The command line, run as a user runs it: a subprocess, then HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from schema import build_schema


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    output: str = ""


@contextmanager
def _running(*args: str, env: dict[str, str]) -> Iterator[Running]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    running = Running(proc)
    try:
        yield running
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            running.output = proc.communicate(timeout=15)[0].decode()
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise


def _wait_for(url: str, timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_starts_with_embedded_emulators_and_stops_on_sigint() -> None:
    port = _free_port()
    with _running("serve", env={"GATEWAY_PORT": str(port)}) as running:
        answer = _wait_for(f"http://127.0.0.1:{port}/healthz")
        assert answer.json() == {"status": "ok"}
    assert running.proc.returncode == 0
    output = running.output
    assert "built-in emulator" in output
    assert "demo-" not in output  # no credential is ever logged


def test_emulate_serves_three_emulators() -> None:
    ports = [_free_port() for _ in range(3)]
    flags = ["--pim-port", "--omnicommerce-port", "--citrusad-port"]
    args = [part for flag, port in zip(flags, ports, strict=True) for part in (flag, str(port))]
    with _running("emulate", *args, env={}):
        for port in ports:
            assert _wait_for(f"http://127.0.0.1:{port}/__emulator__/log").json() == []


def test_schema_prints_the_sdl() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "schema"], capture_output=True, check=True, text=True
    )
    assert done.stdout.strip() == str(build_schema()).strip()


def test_bad_settings_exit_2_with_a_message() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "serve"],
        capture_output=True,
        text=True,
        env={**os.environ, "GATEWAY_PORT": "eighty"},
    )
    assert done.returncode == 2
    assert "GATEWAY_PORT" in done.stderr
