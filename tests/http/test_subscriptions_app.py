"""Subscriptions through the real app (``gateway.app.create_app``) in production mode: its
authentication, scopes, limits and middleware, once ``schema.subscriptions`` has a root type.

Until the write-jobs work fills ``SUBSCRIPTION``, a probe type stands in for it here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
from strawberry.permission import BasePermission

from gateway.graphql import build_schema, subscriptions
from gateway.http import OpenStreams
from tests.conftest import READER_KEY, WRITE_ONLY_KEY, WRITER_KEY, GatewayStack, start_stack
from tests.http.subscriptions import (
    SSE,
    close_code,
    eventually,
    init,
    nexts,
    receive,
    send,
    sse_post,
    subscribe,
    until_complete,
)

MAX_DEPTH = 3


class _Writers(BasePermission):
    message = "the 'write' scope is required"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return bool(info.context.principal.has("write"))


@strawberry.type
class ProbeLevel:
    n: int

    @strawberry.field
    def deeper(self) -> ProbeLevel:
        return ProbeLevel(n=self.n + 1)


@strawberry.type(name="Subscription")
class ProbeSubscription:
    @strawberry.subscription
    async def probe_ticks(self, count: int) -> AsyncGenerator[int, None]:
        for n in range(count):
            yield n

    @strawberry.subscription
    async def probe_wait(self) -> AsyncGenerator[int, None]:
        yield 0
        await asyncio.Event().wait()

    @strawberry.subscription(permission_classes=[_Writers])
    async def probe_writers(self) -> AsyncGenerator[int, None]:
        yield 1

    @strawberry.subscription
    async def probe_levels(self) -> AsyncGenerator[ProbeLevel, None]:
        yield ProbeLevel(n=0)


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayStack]:
    database: Path = tmp_path_factory.mktemp("subscriptions") / "gateway.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subscriptions, "SUBSCRIPTION", ProbeSubscription)
        running = start_stack(
            {
                "GATEWAY_DEVELOPMENT_MODE": "false",
                "GATEWAY_DATABASE": str(database),
                "GATEWAY_MAX_QUERY_DEPTH": str(MAX_DEPTH),
                # CORS middleware in the stack too: it must let the upgrade through.
                "GATEWAY_CORS_ALLOW_ORIGINS": "https://shop.example",
            }
        )
    try:
        yield running
    finally:
        for server in (running.gateway, running.pim, running.omnicommerce, running.citrusad):
            server.stop()


def _ws_url(stack: GatewayStack) -> str:
    return "ws" + stack.url.removeprefix("http")


async def _connect(stack: GatewayStack, **headers: str) -> Any:
    from websockets.asyncio.client import connect

    return await connect(
        _ws_url(stack),
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers=headers,
    )


DEEP = "subscription { probeLevels { " + "deeper { " * MAX_DEPTH + "n" + " }" * MAX_DEPTH + " } }"


def test_build_schema_takes_the_subscription_root_from_schema_subscriptions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(subscriptions, "SUBSCRIPTION", ProbeSubscription)
    sdl = str(build_schema())
    assert "subscription: Subscription" in sdl or "type Subscription {" in sdl
    assert "probeTicks(count: Int!): Int!" in sdl


async def test_websocket_subscriptions_with_payload_credentials(prod: GatewayStack) -> None:
    async with await _connect(prod) as ws:
        assert await init(ws, {"x-api-key": READER_KEY}) == {"type": "connection_ack"}
        assert len(prod.gateway.app.state.subscriptions) == 1
        await subscribe(ws, "1", "subscription { probeTicks(count: 2) }")
        messages = await until_complete(ws, "1")
    assert [m["type"] for m in messages] == ["next", "next", "complete"]
    assert messages[1]["payload"] == {"data": {"probeTicks": 1}}
    assert isinstance(prod.gateway.app.state.subscriptions, OpenStreams)


async def test_websocket_refusals(prod: GatewayStack) -> None:
    async with await _connect(prod) as anonymous:
        await send(anonymous, {"type": "connection_init"})
        assert await close_code(anonymous) == 4403
    async with await _connect(prod, **{"X-API-Key": WRITE_ONLY_KEY}) as write_only:
        await init(write_only)
        await subscribe(write_only, "1", "subscription { probeTicks(count: 1) }")
        [scope] = await until_complete(write_only, "1")
    async with await _connect(prod, **{"X-API-Key": READER_KEY}) as reader:
        await init(reader)
        await subscribe(reader, "w", "subscription { probeWriters }")
        writers = await until_complete(reader, "w")
        await subscribe(reader, "d", DEEP)
        [deep] = await until_complete(reader, "d")
        await subscribe(reader, "q", '{ product(tid: "DEMO-0001") { tid } }')
        [query] = await until_complete(reader, "q")
    assert scope["type"] == "error"
    assert scope["payload"][0]["extensions"]["code"] == "FORBIDDEN"
    assert writers[0]["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert deep["type"] == "error"
    assert deep["payload"][0]["extensions"]["code"] == "MAX_DEPTH_LIMIT"
    assert query["type"] == "error"
    assert "over HTTP" in query["payload"][0]["message"]


async def test_websocket_writers_get_the_guarded_field(prod: GatewayStack) -> None:
    async with await _connect(prod, Authorization="ignored") as ws:
        # The payload's key replaces the upgrade's (here unusable) Authorization header.
        await init(ws, {"X-API-KEY": WRITER_KEY})
        await subscribe(ws, "w", "subscription { probeWriters }")
        assert (await receive(ws))["payload"] == {"data": {"probeWriters": 1}}


def test_sse_subscriptions_and_refusals(prod: GatewayStack) -> None:
    answer, events = sse_post(
        prod.url, "subscription { probeTicks(count: 2) }", **{"X-API-Key": READER_KEY}
    )
    assert answer.status_code == 200
    assert nexts(events) == [{"data": {"probeTicks": 0}}, {"data": {"probeTicks": 1}}]
    assert events[-1].event == "complete"

    anonymous, _ = sse_post(prod.url, "subscription { probeTicks(count: 1) }")
    assert anonymous.status_code == 401
    write_only, _ = sse_post(
        prod.url, "subscription { probeTicks(count: 1) }", **{"X-API-Key": WRITE_ONLY_KEY}
    )
    assert write_only.status_code == 403
    deep, _ = sse_post(prod.url, DEEP, **{"X-API-Key": READER_KEY})
    assert deep.status_code == 400
    assert deep.json()["errors"][0]["extensions"]["code"] == "MAX_DEPTH_LIMIT"
    syntax, _ = sse_post(prod.url, "subscription {", **{"X-API-Key": READER_KEY})
    assert syntax.status_code == 400


def test_sse_answers_a_real_query_as_one_event(prod: GatewayStack) -> None:
    answer, events = sse_post(
        prod.url, '{ product(tid: "DEMO-0001") { tid } }', **{"X-API-Key": READER_KEY}
    )
    assert answer.status_code == 200
    assert nexts(events) == [{"data": {"product": {"tid": "DEMO-0001"}}}]


def test_sse_is_logged_and_counted_like_any_request(prod: GatewayStack) -> None:
    sse_post(
        prod.url,
        "subscription Counted { probeTicks(count: 1) }",
        **{"X-API-Key": READER_KEY},
    )
    metrics = httpx.get(prod.gateway.url + "/metrics").text
    assert any('operation="Counted"' in line for line in metrics.splitlines()), metrics[:2000]


async def test_a_client_leaving_frees_its_stream(prod: GatewayStack) -> None:
    streams = prod.gateway.app.state.subscriptions
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream(
            "POST",
            prod.url,
            json={"query": "subscription { probeWait }"},
            headers={"accept": SSE, "x-api-key": READER_KEY},
        ) as answer,
    ):
        lines = answer.aiter_lines()
        assert await anext(lines) == "event: next"
        assert json.loads((await anext(lines)).removeprefix("data: ")) == {"data": {"probeWait": 0}}
        assert len(streams) == 1
    await eventually(lambda: len(streams) == 0)


# --- writeJobProgress, the schema's own subscription ----------------------------------------

REGISTER = """mutation($p: [CommerceProductInput!]!) {
  registerCommerceProducts(products: $p, mode: JOB) { job { id } }
}"""
PROGRESS = """subscription($id: ID!) {
  writeJobProgress(id: $id) { id state done counts { total accepted } }
}"""


def _submit_job(stack: GatewayStack, count: int = 150) -> str:
    products = [
        {
            "id": f"S{i:03d}",
            "url": f"https://img.example.com/S{i:03d}.jpg",
            "salesUrl": f"https://shop.example.com/S{i:03d}",
            "detection": "TOP",
        }
        for i in range(count)
    ]
    answer = stack.query(REGISTER, {"p": products}, api_key=WRITER_KEY)
    job_id: str = answer["data"]["registerCommerceProducts"]["job"]["id"]
    return job_id


def _finished(progress: list[dict[str, Any]]) -> None:
    last = progress[-1]["data"]["writeJobProgress"]
    assert last["done"] is True and last["state"] == "COMPLETED"
    assert last["counts"] == {"total": 150, "accepted": 150}


def test_write_job_progress_over_sse(stack: GatewayStack) -> None:
    job_id = _submit_job(stack)
    answer, events = sse_post(stack.url, PROGRESS, {"id": job_id}, **{"X-API-Key": WRITER_KEY})
    assert answer.status_code == 200
    _finished(nexts(events))
    assert events[-1].event == "complete"
    # A reader may not follow write jobs: the field's permission refuses it.
    _, refused = sse_post(stack.url, PROGRESS, {"id": job_id}, **{"X-API-Key": READER_KEY})
    assert nexts(refused)[0]["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_write_job_progress_over_websocket(stack: GatewayStack) -> None:
    job_id = await asyncio.to_thread(_submit_job, stack)
    async with await _connect(stack) as ws:
        await init(ws, {"x-api-key": WRITER_KEY})
        await send(
            ws,
            {
                "id": "p",
                "type": "subscribe",
                "payload": {"query": PROGRESS, "variables": {"id": job_id}},
            },
        )
        messages = await until_complete(ws, "p")
    assert messages[-1] == {"id": "p", "type": "complete"}
    _finished([m["payload"] for m in messages[:-1]])


async def test_write_job_progress_for_an_unknown_job_is_an_error_result(
    stack: GatewayStack,
) -> None:
    async with await _connect(stack, **{"X-API-Key": WRITER_KEY}) as ws:
        await init(ws)
        await subscribe(ws, "u", PROGRESS, {"id": "no-such-job"})
        messages = await until_complete(ws, "u")
    assert [m["type"] for m in messages] == ["next", "complete"]
    assert messages[0]["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
