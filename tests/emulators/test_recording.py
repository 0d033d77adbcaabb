from __future__ import annotations

import asyncio
import time

import httpx

from gateway.emulators.recording import Faults, RecordedRequest, RequestLog, max_in_window
from gateway.emulators.serving import BackgroundServer


def test_log_redacts_secrets_and_keeps_body(citrusad_server: BackgroundServer) -> None:
    httpx.post(
        f"{citrusad_server.url}/anything?x=1",
        headers={"Authorization": "Basic s3cret", "X-Api-Key": "k3y"},
        content=b"hello",
    )
    (entry,) = citrusad_server.app.state.log.entries()
    assert (entry.method, entry.path, entry.query, entry.body) == (
        "POST",
        "/anything",
        "x=1",
        b"hello",
    )
    assert entry.headers["authorization"] == "<redacted>"
    assert "s3cret" not in repr(entry) and "k3y" not in repr(entry)


def test_status_fault_applies_to_next_n_calls_only(citrusad_server: BackgroundServer) -> None:
    admin = f"{citrusad_server.url}/__emulator__"
    httpx.post(f"{admin}/faults", json={"status": 503, "count": 2, "retry_after": 3})
    answers = [httpx.get(f"{citrusad_server.url}/nothing") for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 404]
    assert answers[0].headers["retry-after"] == "3"
    assert len(httpx.get(f"{admin}/log").json()) == 3


def test_malformed_fault_and_clear(citrusad_server: BackgroundServer) -> None:
    admin = f"{citrusad_server.url}/__emulator__"
    httpx.post(f"{admin}/faults", json={"malformed": 5, "malformed_body": "{broken"})
    assert httpx.get(f"{citrusad_server.url}/x").content == b"{broken"
    httpx.delete(f"{admin}/faults")
    assert httpx.get(f"{citrusad_server.url}/x").status_code == 404
    httpx.delete(f"{admin}/log")
    assert citrusad_server.app.state.log.count() == 0


def test_unknown_fault_is_refused(citrusad_server: BackgroundServer) -> None:
    answer = httpx.post(f"{citrusad_server.url}/__emulator__/faults", json={"explode": True})
    assert answer.status_code == 400


def test_log_has_arrival_time_and_answered_status(citrusad_server: BackgroundServer) -> None:
    admin = f"{citrusad_server.url}/__emulator__"
    before = time.time()
    httpx.get(f"{citrusad_server.url}/nothing")
    httpx.post(f"{admin}/faults", json={"status": 503, "count": 1})
    httpx.get(f"{citrusad_server.url}/nothing")
    httpx.post(f"{admin}/faults", json={"malformed": 1})
    httpx.get(f"{citrusad_server.url}/garbled")
    after = time.time()
    shown = httpx.get(f"{admin}/log").json()
    assert [(e["path"], e["status"]) for e in shown] == [
        ("/nothing", 404),
        ("/nothing", 503),
        ("/garbled", 200),
    ]
    assert all(before <= e["at"] <= after for e in shown)
    assert {"method", "path", "query", "headers", "body", "at", "status"} <= set(shown[0])


async def test_jitter_delays_each_request_by_its_own_random_time(
    citrusad_server: BackgroundServer,
) -> None:
    admin = f"{citrusad_server.url}/__emulator__"
    async with httpx.AsyncClient() as client:
        assert (await client.post(f"{admin}/faults", json={"jitter": 0.3})).status_code == 204
        assert citrusad_server.app.state.faults.jitter == 0.3
        sent = time.time()
        await asyncio.gather(*(client.get(f"{citrusad_server.url}/{i}") for i in range(20)))
        await client.delete(f"{admin}/faults")
    assert citrusad_server.app.state.faults.jitter == 0.0
    arrivals = [e.at for e in citrusad_server.app.state.log.entries() if e.at is not None]
    assert len(arrivals) == 20
    assert all(at >= sent for at in arrivals)
    # Sent together, they arrive spread out: 20 draws from 0..0.3 s all within 0.1 s of each
    # other would happen about once in 10^8 runs.
    assert max(arrivals) - min(arrivals) > 0.1


def test_jitter_draws_stay_within_bounds() -> None:
    faults = Faults(latency=0.5, jitter=0.25)
    draws = [faults.delay() for _ in range(500)]
    assert all(0.5 <= d <= 0.75 for d in draws)
    assert max(draws) - min(draws) > 0.1
    faults.clear()
    assert faults.delay() == 0.0


def test_max_in_window_counts_a_half_open_sliding_window() -> None:
    assert max_in_window([]) == 0
    assert max_in_window([3.0, 0.0, 0.5, 0.99]) == 3
    # 1.0 is a whole second after 0.0, so they never share a window; 0.5..1.2 hold four.
    assert max_in_window([0.0, 0.5, 0.99, 1.0, 1.2]) == 4
    assert max_in_window([0.0, 0.1, 0.2], seconds=0.15) == 2
    log = RequestLog()
    for i, at in enumerate([0.0, 0.2, 0.4, 5.0]):
        log.append(RecordedRequest("GET" if i else "POST", "/p", "", {}, b"", at=at))
    log.append(RecordedRequest("GET", "/p", "", {}, b""))  # not arrived yet: no ``at``
    assert log.max_in_window(1.0) == 3
    assert log.max_in_window(1.0, method="GET") == 2
    assert log.max_in_window(1.0, path="/other") == 0
