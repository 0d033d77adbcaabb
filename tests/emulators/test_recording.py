from __future__ import annotations

import httpx

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
