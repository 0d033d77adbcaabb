"""Graceful shutdown of `gateway serve`: requests in flight finish, new ones are not taken."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import httpx

from tests.test_cli import _free_port, _wait_for


def test_sigterm_lets_the_request_in_flight_finish_and_takes_no_new_one() -> None:
    port = _free_port()
    env = {**os.environ, "GATEWAY_PORT": str(port), "GATEWAY_DEVELOPMENT_MODE": "true"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz")
        assert proc.stdout is not None
        pim_url = None
        while pim_url is None:
            line = proc.stdout.readline()
            found = re.search(r"upstream pim: built-in emulator at (http://[0-9.:]+)", line)
            pim_url = found.group(1) if found else None
        # Make the PIM slow, so a GraphQL request is still running when SIGTERM arrives.
        httpx.post(f"{pim_url}/__emulator__/faults", json={"latency": 1.5})
        answers: list[httpx.Response] = []
        slow = threading.Thread(
            target=lambda: answers.append(
                httpx.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={"query": '{ product(tid: "DEMO-0001") { tid } }'},
                    timeout=20,
                )
            )
        )
        slow.start()
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        refused = False
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        except httpx.TransportError:
            refused = True
        slow.join(timeout=20)
        assert refused, "a new connection was accepted during shutdown"
        assert answers and answers[0].status_code == 200
        assert answers[0].json()["data"]["product"]["tid"] == "DEMO-0001"
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
