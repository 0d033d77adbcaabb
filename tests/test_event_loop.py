"""``GATEWAY_EVENT_LOOP``: uvloop and httptools by default, asyncio's loop and h11 when told."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gateway.runner import loop_factory, loop_name, run_loop

HAVE_UVLOOP = importlib.util.find_spec("uvloop") is not None


async def _which() -> str:
    return loop_name()


def test_asyncio_runs_the_standard_library_loop() -> None:
    assert loop_factory("asyncio") is None
    assert run_loop(_which(), "asyncio") == "asyncio"


@pytest.mark.skipif(not HAVE_UVLOOP, reason="uvloop is not installed")
def test_auto_and_uvloop_run_uvloop_when_installed() -> None:
    assert run_loop(_which(), "auto") == "uvloop"
    assert run_loop(_which(), "uvloop") == "uvloop"


def _start_line(env: dict[str, str], tmp_path: Path) -> dict[str, object]:
    """Start ``gateway serve`` and return its JSON start line (``gateway on ...``)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve"],
        env={
            **os.environ,
            "GATEWAY_PORT": "0",
            "GATEWAY_DATABASE": str(tmp_path / "gateway.sqlite3"),
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            if '"gateway on ' in line:
                found: dict[str, object] = json.loads(line)
                return found
        raise AssertionError(f"gateway serve gave no start line (exit {proc.poll()})")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def test_serve_honours_the_setting(tmp_path: Path) -> None:
    told = _start_line({"GATEWAY_EVENT_LOOP": "asyncio"}, tmp_path)
    assert (told["event_loop"], told["http_parser"]) == ("asyncio", "h11")
    default = _start_line({}, tmp_path)
    expected = "uvloop" if HAVE_UVLOOP else "asyncio"
    assert default["event_loop"] == expected
    assert expected in str(default["message"])


def test_a_loop_that_is_not_installed_is_a_start_up_mistake(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gateway.startup import StartupError

    monkeypatch.setitem(sys.modules, "uvloop", None)  # makes ``import uvloop`` fail
    assert loop_factory("auto") is None
    with pytest.raises(StartupError, match="GATEWAY_EVENT_LOOP=uvloop"):
        run_loop(asyncio.sleep(0), "uvloop")
