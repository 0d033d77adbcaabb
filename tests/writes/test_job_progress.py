"""``writeJobProgress`` followed over graphql-transport-ws and over SSE in production mode:
progress events, then the job's final state; a caller without ``write`` is refused on both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from tests.conftest import READER_KEY, WRITER_KEY, GatewayStack, start_stack
from tests.http.subscriptions import PROTOCOL, init, nexts, sse_post, subscribe, until_complete

PROGRESS = """subscription($id: ID!) {
  writeJobProgress(id: $id) { id state done counts { total queued sent accepted } }
}"""
REGISTER = """mutation($p: [CommerceProductInput!]!) {
  registerCommerceProducts(products: $p, mode: JOB) { job { id } }
}"""


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayStack]:
    database: Path = tmp_path_factory.mktemp("progress") / "gateway.sqlite3"
    running = start_stack({"GATEWAY_DEVELOPMENT_MODE": "false", "GATEWAY_DATABASE": str(database)})
    try:
        yield running
    finally:
        for server in (running.gateway, running.pim, running.omnicommerce, running.citrusad):
            server.stop()


def _job(stack: GatewayStack, prefix: str, count: int = 250) -> str:
    products = [
        {
            "id": f"{prefix}{i:04d}",
            "url": f"https://img.example.com/{prefix}{i}.jpg",
            "salesUrl": f"https://shop.example.com/{prefix}{i}",
            "detection": "TOP",
        }
        for i in range(count)
    ]
    answer = stack.query(REGISTER, {"p": products})
    return str(answer["data"]["registerCommerceProducts"]["job"]["id"])


def _check_progress(events: list[dict[str, Any]], job_id: str) -> None:
    jobs = [e["data"]["writeJobProgress"] for e in events]
    assert jobs, "no progress event"
    assert {j["id"] for j in jobs} == {job_id}
    assert jobs[-1]["state"] == "COMPLETED" and jobs[-1]["done"] is True
    assert jobs[-1]["counts"] == {"total": 250, "queued": 0, "sent": 250, "accepted": 250}
    assert all(not j["done"] for j in jobs[:-1])
    accepted = [j["counts"]["accepted"] for j in jobs]
    assert accepted == sorted(accepted)  # progress only moves forward


def _ws_url(stack: GatewayStack) -> str:
    return "ws" + stack.url.removeprefix("http")


async def test_progress_over_graphql_transport_ws(prod: GatewayStack) -> None:
    job_id = _job(prod, "WS")
    async with connect(_ws_url(prod), subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        assert await init(ws, {"x-api-key": WRITER_KEY}) == {"type": "connection_ack"}
        await subscribe(ws, "p", PROGRESS, {"id": job_id})
        messages = await until_complete(ws, "p")
    assert messages[-1]["type"] == "complete"
    _check_progress([m["payload"] for m in messages if m["type"] == "next"], job_id)


async def test_progress_over_ws_needs_the_write_scope(prod: GatewayStack) -> None:
    job_id = _job(prod, "WR", count=1)
    async with connect(_ws_url(prod), subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        await init(ws, {"x-api-key": READER_KEY})
        await subscribe(ws, "p", PROGRESS, {"id": job_id})
        messages = await until_complete(ws, "p")
    errors = [e for m in messages if m["type"] == "next" for e in m["payload"].get("errors", [])]
    errors += [e for m in messages if m["type"] == "error" for e in m["payload"]]
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
    assert not any(m["type"] == "next" and m["payload"].get("data") for m in messages)


def test_progress_over_sse(prod: GatewayStack) -> None:
    job_id = _job(prod, "SE")
    answer, events = sse_post(prod.url, PROGRESS, {"id": job_id}, **{"X-API-Key": WRITER_KEY})
    assert answer.status_code == 200
    assert events[-1].event == "complete"
    _check_progress(nexts(events), job_id)


def test_progress_over_sse_needs_the_write_scope(prod: GatewayStack) -> None:
    job_id = _job(prod, "SR", count=1)
    answer, events = sse_post(prod.url, PROGRESS, {"id": job_id}, **{"X-API-Key": READER_KEY})
    if answer.status_code == 200:
        (refused,) = nexts(events)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert not (refused.get("data") or {}).get("writeJobProgress")
    else:
        assert answer.status_code == 403
    anonymous, _ = sse_post(prod.url, PROGRESS, {"id": job_id})
    assert anonymous.status_code == 401
