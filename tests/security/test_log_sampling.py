"""Repeated tracebacks are sampled: the first per kind, then a count (issue 14, log volume).

Unit tests drive ``TracebackSampler`` with a fake clock; one test sends 30 failing requests
over HTTP to a gateway with a field that always breaks and counts the tracebacks logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import strawberry

from gateway.extensions import ExtensionRegistry
from gateway.graphql import errors as schema_errors
from gateway.observability.sampling import TracebackSampler, kind_of
from tests.conftest import GatewayStack, start_stack


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _raised(exc: Exception) -> Exception:
    try:
        raise exc
    except Exception as caught:
        return caught


def test_the_first_of_a_kind_is_told_then_counted_per_interval() -> None:
    clock = FakeClock()
    sampler = TracebackSampler(interval=60.0, clock=clock)
    kind = ("ValueError", "gateway/x.py:12")
    assert sampler.admit(kind)
    assert [sampler.admit(kind) for _ in range(100)] == [False] * 100
    assert sampler.ended() == []
    clock.now = 60.0
    assert sampler.ended() == [(kind, 100)]
    assert sampler.ended() == []  # told once
    assert sampler.admit(kind)  # a new window: a fresh traceback


def test_kinds_are_sampled_apart() -> None:
    sampler = TracebackSampler(clock=FakeClock())
    assert sampler.admit(("ValueError", "a.py:1"))
    assert sampler.admit(("KeyError", "a.py:1"))
    assert sampler.admit(("ValueError", "a.py:2"))
    assert not sampler.admit(("ValueError", "a.py:1"))


def test_a_window_reopened_by_the_next_error_tells_its_count() -> None:
    clock = FakeClock()
    sampler = TracebackSampler(interval=10.0, clock=clock)
    kind = ("ValueError", "a.py:1")
    sampler.admit(kind)
    sampler.admit(kind)
    clock.now = 11.0
    assert sampler.admit(kind)
    assert sampler.ended() == [(kind, 1)]


def test_the_oldest_kinds_give_way_with_their_counts() -> None:
    sampler = TracebackSampler(max_kinds=2, clock=FakeClock())
    sampler.admit(("A", "x"))
    sampler.admit(("A", "x"))
    sampler.admit(("B", "x"))
    sampler.admit(("C", "x"))
    assert sampler.ended() == [(("A", "x"), 1)]


def test_kind_of_names_the_type_and_the_raising_line() -> None:
    name, where = kind_of(_raised(ValueError("x")))
    assert name == "ValueError"
    assert where.startswith(__file__ + ":")


# --- over HTTP ----------------------------------------------------------------------------


@strawberry.type
class BrokenQuery:
    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError("always")


@pytest.fixture
def broken_stack(tmp_path: Path) -> Iterator[GatewayStack]:
    registry = ExtensionRegistry()
    registry.add_query(BrokenQuery)
    running = start_stack({"GATEWAY_DATABASE": str(tmp_path / "g.sqlite3")}, registry=registry)
    try:
        yield running
    finally:
        for server in (running.gateway, running.pim, running.omnicommerce, running.citrusad):
            server.stop()


def test_thirty_failing_requests_log_one_traceback(
    broken_stack: GatewayStack, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(schema_errors, "SAMPLER", TracebackSampler(interval=60.0, clock=clock))
    with caplog.at_level(logging.DEBUG, logger="gateway.errors"):
        ids = set()
        for _ in range(30):
            (error,) = broken_stack.query("{ broken }")["errors"]
            assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
            ids.add(error["extensions"]["errorId"])
        clock.now = 61.0
        broken_stack.query("{ broken }")
    records = [r for r in caplog.records if r.name == "gateway.errors"]
    tracebacks = [r for r in records if r.exc_info]
    assert len(ids) == 30
    assert len(tracebacks) == 2  # the first, and the first after the minute
    assert any("29 more unexpected RuntimeError" in r.getMessage() for r in records)
    # Each error id can still be found, on a debug line.
    logged = "\n".join(r.getMessage() for r in records)
    assert all(error_id in logged for error_id in ids)
