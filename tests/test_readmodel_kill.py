"""The OMNICOMMERCE read model survives a kill -9 of the gateway mid-batch, every record whole.

``gateway serve`` runs as a subprocess (with its emulators in process); a 2,000-item register
(20 chunks, about 4 seconds at 5 requests a second) is killed after about 1.5 seconds. The
SQLite file is then opened directly: each chunk must be wholly settled, wholly PENDING (in
flight) or wholly absent (not begun), in send order, and no more chunks settled than the rate
limit allowed.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

CHUNK = 100
ITEMS = 2000
IN_FLIGHT = 4  # CommerceWriter's default max_in_flight
BAD = {150, 333, 777}  # images on a .invalid host: the emulator fails them, per item

REGISTER = """mutation($p: [CommerceProductInput!]!) {
  registerCommerceProducts(products: $p) { accept failure }
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the gateway exited before it was ready"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the gateway did not become ready")


def _products() -> list[dict[str, Any]]:
    return [
        {
            "id": f"K{i:04d}",
            "url": f"https://img{i}.invalid/x.jpg"
            if i in BAD
            else f"https://img.example.com/{i}.jpg",
            "salesUrl": f"https://shop.example.com/{i}",
            "detection": "TOP",
        }
        for i in range(ITEMS)
    ]


def _send(url: str, products: list[dict[str, Any]], outcome: dict[str, Any]) -> None:
    try:
        outcome["answer"] = httpx.post(
            url, json={"query": REGISTER, "variables": {"p": products}}, timeout=30
        )
    except httpx.TransportError as exc:
        outcome["error"] = exc


def _rows(database: Path) -> tuple[str, dict[str, tuple[Any, ...]]]:
    db = sqlite3.connect(database)
    try:
        (integrity,) = db.execute("PRAGMA integrity_check").fetchone()
        rows = db.execute(
            "SELECT id, status, operation, payload, pending, reason FROM commerce_products"
        ).fetchall()
    finally:
        db.close()
    return integrity, {row[0]: row[1:] for row in rows}


def _chunk_state(chunk: list[dict[str, Any]], rows: dict[str, tuple[Any, ...]]) -> str:
    """``settled``, ``pending`` or ``absent``, asserting every row of the chunk agrees and is whole."""
    states = set()
    for index, sent in ((int(p["id"][1:]), p) for p in chunk):
        row = rows.get(sent["id"])
        if row is None:
            states.add("absent")
            continue
        status, operation, payload, pending, reason = row
        assert operation == "register", row
        if status == "PENDING":
            assert json.loads(pending) == sent and payload is None and reason is None, row
            states.add("pending")
        elif index in BAD:
            assert status == "FAILED" and reason == "fail to prove image from url.", row
            states.add("settled")
        else:
            assert status == "ACCEPTED" and pending is None and reason is None, row
            assert json.loads(payload) == sent, row
            states.add("settled")
    assert len(states) == 1, f"chunk {chunk[0]['id']} is half written: {states}"
    return states.pop()


def test_kill_9_mid_batch_leaves_every_record_whole(tmp_path: Path) -> None:
    port, database = _free_port(), tmp_path / "gateway.sqlite3"
    env = {
        **os.environ,
        "GATEWAY_PORT": str(port),
        "GATEWAY_DATABASE": str(database),
        "GATEWAY_DEVELOPMENT_MODE": "true",  # anonymous writes against the emulators
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
        products, outcome = _products(), {}
        sender = threading.Thread(
            target=_send, args=(f"http://127.0.0.1:{port}/graphql", products, outcome)
        )
        started = time.monotonic()
        sender.start()
        time.sleep(1.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        elapsed = time.monotonic() - started
        sender.join(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert "answer" not in outcome, "the batch finished before the kill: make it longer"

    integrity, rows = _rows(database)
    assert integrity == "ok"
    assert {r[0] for r in rows.values()} <= {"PENDING", "ACCEPTED", "FAILED"}
    assert set(rows) <= {p["id"] for p in products}
    chunks = [products[at : at + CHUNK] for at in range(0, ITEMS, CHUNK)]
    states = [_chunk_state(c, rows) for c in chunks]

    settled = [i for i, s in enumerate(states) if s == "settled"]
    pending = [i for i, s in enumerate(states) if s == "pending"]
    absent = [i for i, s in enumerate(states) if s == "absent"]
    assert settled, "no chunk was answered before the kill"
    assert absent, "every chunk was begun before the kill"
    # Chunks are begun in order, at most IN_FLIGHT at a time, and absent ones were never begun.
    assert max(settled + pending) < min(absent)
    assert len(pending) <= IN_FLIGHT
    # The emulator admits 5 requests in any second: no more chunks could have been answered.
    assert len(settled) <= 5 * math.ceil(elapsed) + 5
