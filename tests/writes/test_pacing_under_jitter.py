"""Write jobs never trip OMNICOMMERCE's 5-a-second limit, whatever the network does: with the
emulator delaying each request by a random 0-300 ms on its way in (so requests sent apart
arrive bunched), 10,000 items as one job and as 8 concurrent jobs end with no 429.

Rates are counted from the emulator's own log of arrival times, never from our clock.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.conftest import GatewayStack

PATH = "/2022-08/management/products"
REGISTER = """mutation($p: [CommerceProductInput!]!) {
  registerCommerceProducts(products: $p, mode: JOB) { job { id } }
}"""
JOB = "query($id: ID!) { writeJob(id: $id) { done state counts { accepted failed unknown } } }"


def _products(prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{prefix}{i:05d}",
            "url": f"https://img.example.com/{prefix}{i}.jpg",
            "salesUrl": f"https://shop.example.com/{prefix}{i}",
            "detection": "TOP",
        }
        for i in range(count)
    ]


def _run_jobs(stack: GatewayStack, batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(len(batches)) as pool:
        answers = list(pool.map(lambda b: stack.query(REGISTER, {"p": b}), batches))
    ids = [a["data"]["registerCommerceProducts"]["job"]["id"] for a in answers]
    deadline = time.monotonic() + 180
    while True:
        jobs = [stack.query(JOB, {"id": i})["data"]["writeJob"] for i in ids]
        if all(j["done"] for j in jobs):
            return jobs
        assert time.monotonic() < deadline, jobs
        time.sleep(0.5)


def _check(stack: GatewayStack, jobs: list[dict[str, Any]], items: int, requests: int) -> None:
    log = stack.omnicommerce.app.state.log
    posts = [e for e in log.entries() if e.method == "POST" and e.path == PATH]
    assert [e.status for e in posts if e.status != 202] == []  # no 429, nothing else
    assert len(posts) == requests
    assert log.max_in_window(1.0, "POST", PATH) <= 5
    assert all(j["state"] == "COMPLETED" for j in jobs)
    assert sum(j["counts"]["accepted"] for j in jobs) == items
    assert len(stack.omnicommerce.app.state.store.snapshot()) == items


def test_one_job_of_10000_items_under_jitter(stack: GatewayStack) -> None:
    stack.omnicommerce.app.state.faults.set(jitter=0.3)
    jobs = _run_jobs(stack, [_products("O", 10_000)])
    _check(stack, jobs, 10_000, requests=100)


def test_eight_concurrent_jobs_under_jitter(stack: GatewayStack) -> None:
    stack.omnicommerce.app.state.faults.set(jitter=0.3)
    jobs = _run_jobs(stack, [_products(f"C{n}-", 1250) for n in range(8)])
    _check(stack, jobs, 10_000, requests=8 * 13)  # 12 chunks of 100 and one of 50 each
