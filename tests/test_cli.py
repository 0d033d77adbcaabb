"""The command line, run as a user runs it: a subprocess, then HTTP."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.emulators.serving import BackgroundServer
from gateway.graphql import build_schema
from gateway.observability.health import PROBE_CODE as _PROBE
from gateway.security import Authenticator
from gateway.security.auth import parse_api_keys
from gateway.settings import (
    DEMO_CITRUSAD_API_KEY,
    DEMO_CITRUSAD_TEAM_ID,
    DEMO_OMNICOMMERCE_API_KEY,
    DEMO_PIM_TOKEN,
    load_settings,
)


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


GATEWAY = Path(sys.executable).with_name("gateway")


def _gateway(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed ``gateway`` script, with only the ``GATEWAY_*`` variables of ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    return subprocess.run(
        [str(GATEWAY), *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_version_is_the_distributions() -> None:
    done = CliRunner().invoke(app, ["--version"])
    assert done.exit_code == 0
    assert done.stdout.strip() == f"gateway {version('catalog-gateway')}"


def _key_lines(stdout: str) -> tuple[str, str]:
    lines = dict(line.split(": ", 1) for line in stdout.splitlines())
    return lines["key"], lines["GATEWAY_API_KEYS entry"]


def test_key_prints_a_key_and_its_complete_api_keys_entry() -> None:
    done = CliRunner().invoke(app, ["key", "--scopes", "write+read", "--subject", "publisher"])
    assert done.exit_code == 0, done.output
    key, entry = _key_lines(done.stdout)
    (parsed,) = parse_api_keys([entry])
    assert parsed.digest == hashlib.sha256(key.encode()).digest()
    assert parsed.scopes == {"read", "write"}
    assert parsed.subject == "publisher"
    assert entry.endswith(":read+write:publisher")
    # The entry, pasted into the setting, lets the key's holder in under that subject.
    settings = load_settings({"GATEWAY_API_KEYS": entry})
    principal = Authenticator.from_settings(settings).authenticate({"x-api-key": key})
    assert principal.subject == "publisher"
    assert principal.has("write")


def test_key_defaults_to_read_and_every_key_is_new() -> None:
    first = _key_lines(CliRunner().invoke(app, ["key"]).stdout)
    second = _key_lines(CliRunner().invoke(app, ["key"]).stdout)
    assert first[0] != second[0]
    (parsed,) = parse_api_keys([first[1]])
    assert parsed.scopes == {"read"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--scopes", "admin"], "--scopes"),
        (["--subject", "a,b"], "--subject"),
    ],
)
def test_key_refuses_what_the_setting_could_not_hold(args: list[str], says: str) -> None:
    done = CliRunner().invoke(app, ["key", *args])
    assert done.exit_code == 2
    assert says in done.stderr
    assert "key:" not in done.stdout


def _upstream_env(
    pim: BackgroundServer, omnicommerce: BackgroundServer, citrusad: BackgroundServer
) -> dict[str, str]:
    return {
        "GATEWAY_PIM_URL": f"{pim.url}/api/core/v1",
        "GATEWAY_PIM_TOKEN": DEMO_PIM_TOKEN,
        "GATEWAY_OMNICOMMERCE_URL": f"{omnicommerce.url}/2022-08",
        "GATEWAY_OMNICOMMERCE_API_KEY": DEMO_OMNICOMMERCE_API_KEY,
        "GATEWAY_CITRUSAD_URL": citrusad.url,
        "GATEWAY_CITRUSAD_API_KEY": DEMO_CITRUSAD_API_KEY,
        "GATEWAY_CITRUSAD_TEAM_ID": DEMO_CITRUSAD_TEAM_ID,
    }


def _lines(stdout: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in stdout.splitlines())


def test_check_reaches_every_upstream(
    pim_server: BackgroundServer,
    omnicommerce_server: BackgroundServer,
    citrusad_server: BackgroundServer,
    tmp_path: Path,
) -> None:
    env = _upstream_env(pim_server, omnicommerce_server, citrusad_server)
    done = _gateway("check", env={**env, "GATEWAY_DATABASE": str(tmp_path / "g.sqlite3")})
    assert done.returncode == 0, done.stdout + done.stderr
    lines = _lines(done.stdout)
    assert list(lines) == ["database", "pim", "citrusad", "omnicommerce"]
    assert all(line.startswith("ok (") for line in lines.values()), done.stdout
    # The documented probes arrived, one each; OMNICOMMERCE (write-only) got no request.
    pim_log = httpx.get(f"{pim_server.url}/__emulator__/log").json()
    assert [(r["method"], r["path"]) for r in pim_log] == [("GET", "/api/core/v1/pim/classes")]
    citrusad_log = httpx.get(f"{citrusad_server.url}/__emulator__/log").json()
    assert [r["method"] for r in citrusad_log] == ["GET"]
    assert citrusad_log[0]["path"].startswith("/v1/catalog-products/")
    assert citrusad_log[0]["path"].endswith("/" + _PROBE)
    assert httpx.get(f"{omnicommerce_server.url}/__emulator__/log").json() == []


def test_check_says_what_failed_and_exits_1(
    pim_server: BackgroundServer,
    omnicommerce_server: BackgroundServer,
    citrusad_server: BackgroundServer,
    tmp_path: Path,
) -> None:
    env = _upstream_env(pim_server, omnicommerce_server, citrusad_server)
    env["GATEWAY_PIM_TOKEN"] = "not-the-token"
    env["GATEWAY_CITRUSAD_URL"] = f"http://127.0.0.1:{_free_port()}"
    del env["GATEWAY_OMNICOMMERCE_URL"], env["GATEWAY_OMNICOMMERCE_API_KEY"]
    done = _gateway("check", env={**env, "GATEWAY_DATABASE": str(tmp_path / "g.sqlite3")})
    assert done.returncode == 1, done.stdout + done.stderr
    lines = _lines(done.stdout)
    assert lines["database"].startswith("ok")
    assert lines["pim"].startswith("FAILED") and "401" in lines["pim"]
    assert lines["citrusad"].startswith("FAILED")
    assert lines["omnicommerce"].startswith("built-in emulator")
    assert "not-the-token" not in done.stdout + done.stderr
