"""The circuit breaker's reported state follows the clock (issue 14, "Breaker")."""

from __future__ import annotations

import pytest

from gateway.upstreams.transport import CircuitBreaker, CircuitOpen


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _opened(clock: FakeClock) -> CircuitBreaker:
    breaker = CircuitBreaker("pim", threshold=2, reset_seconds=30.0, clock=clock)
    breaker.record(failed=True)
    breaker.record(failed=True)
    return breaker


def test_open_during_the_cool_down() -> None:
    clock = FakeClock()
    breaker = _opened(clock)
    clock.now += 29.9
    assert breaker.state == "open"
    with pytest.raises(CircuitOpen):
        breaker.enter()


def test_half_open_after_the_cool_down_with_no_traffic() -> None:
    clock = FakeClock()
    breaker = _opened(clock)
    clock.now += 30.0
    assert breaker.state == "half-open"
    clock.now += 120.0
    assert breaker.state == "half-open"  # no call came: still only a probe away from closing


def test_the_probe_closes_or_reopens_it() -> None:
    clock = FakeClock()
    breaker = _opened(clock)
    clock.now += 31.0
    breaker.enter()  # the probe
    assert breaker.state == "half-open"
    with pytest.raises(CircuitOpen):
        breaker.enter()  # one probe at a time
    breaker.record(failed=True)
    assert breaker.state == "open"  # the timer restarts
    clock.now += 31.0
    assert breaker.state == "half-open"
    breaker.enter()
    breaker.record(failed=False)
    assert breaker.state == "closed"
