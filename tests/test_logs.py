"""configure_logging: JSON lines, and no line per upstream call from httpx unless DEBUG."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from gateway.emulators.serving import BackgroundServer
from gateway.observability.logs import configure_logging


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """configure_logging changes process-wide loggers: put them back for the next test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, saved in levels.items():
            logging.getLogger(name).setLevel(saved)


def _lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _call_and_log(url: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    httpx.get(f"{url}/__emulator__/log", timeout=10).raise_for_status()
    logging.getLogger("gateway").info("graphql request")
    return _lines(capsys.readouterr().err)


@pytest.mark.usefixtures("restored_logging")
def test_an_upstream_call_writes_no_httpx_line_at_info(
    pim_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    lines = _call_and_log(pim_server.url, capsys)
    assert [line["logger"] for line in lines] == ["gateway"]


@pytest.mark.usefixtures("restored_logging")
def test_debug_shows_httpx_again(
    pim_server: BackgroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    configure_logging("debug")
    lines = _call_and_log(pim_server.url, capsys)
    told = [line["message"] for line in lines if line["logger"] == "httpx"]
    assert any(str(message).startswith("HTTP Request: GET") for message in told)
    assert lines[-1]["logger"] == "gateway"


@pytest.mark.usefixtures("restored_logging")
def test_httpx_warnings_still_show_at_info(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    capsys.readouterr()
    logging.getLogger("httpcore.connection").warning("connection trouble")
    assert [line["message"] for line in _lines(capsys.readouterr().err)] == ["connection trouble"]
