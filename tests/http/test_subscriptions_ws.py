"""Subscriptions over graphql-transport-ws (``GraphQLWebSocket``), over real loopback sockets."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.exceptions import ConnectionClosed

from tests.http.subscriptions import (
    MAX_DEPTH,
    READER,
    WRITE_ONLY,
    WRITER,
    SubscriptionApp,
    close_code,
    eventually,
    init,
    receive,
    send,
    sub_app,
    subscribe,
    token,
    until_complete,
    ws_connect,
)

__all__ = ["sub_app"]  # the fixture, imported for pytest


async def test_a_subscription_streams_next_messages_then_complete(sub_app: SubscriptionApp) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as ws:
        assert ws.subprotocol == "graphql-transport-ws"
        assert await init(ws) == {"type": "connection_ack"}
        await subscribe(ws, "1", "subscription { ticks(count: 3) }")
        messages = await until_complete(ws, "1")
    assert messages == [
        {"id": "1", "type": "next", "payload": {"data": {"ticks": 0}}},
        {"id": "1", "type": "next", "payload": {"data": {"ticks": 1}}},
        {"id": "1", "type": "next", "payload": {"data": {"ticks": 2}}},
        {"id": "1", "type": "complete"},
    ]
    assert sub_app.results[-1].errors is None  # reported once, when it ended


@pytest.mark.parametrize(
    ("name", "bearer"),
    [("x-api-key", False), ("X-API-Key", False), ("authorization", True), ("Authorization", True)],
)
async def test_connection_init_payload_carries_the_credentials(
    sub_app: SubscriptionApp, name: str, bearer: bool
) -> None:
    # The token is made now, not at collection: a long suite would outlive its expiry.
    payload = {name: f"Bearer {token('read')}" if bearer else READER}
    async with await ws_connect(sub_app) as ws:
        assert await init(ws, payload) == {"type": "connection_ack"}
        await subscribe(ws, "a", "subscription { ticks(count: 1) }")
        assert (await until_complete(ws, "a"))[-1]["type"] == "complete"
    principal = sub_app.counters.contexts[-1].principal
    assert principal.subject in ("reader", "svc")
    assert principal.scopes == {"read"}


async def test_an_expired_token_in_the_payload_is_refused(sub_app: SubscriptionApp) -> None:
    async with await ws_connect(sub_app) as ws:
        expired = token("read", exp=time.time() - 3600)
        await send(
            ws, {"type": "connection_init", "payload": {"authorization": f"Bearer {expired}"}}
        )
        assert await close_code(ws) == 4403


async def test_payload_credentials_replace_the_upgrade_headers(sub_app: SubscriptionApp) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": WRITE_ONLY}) as ws:
        assert await init(ws, {"x-api-key": WRITER}) == {"type": "connection_ack"}
        await subscribe(ws, "g", "subscription { guarded }")
        assert (await until_complete(ws, "g"))[0]["payload"] == {"data": {"guarded": 42}}
    assert sub_app.counters.contexts[-1].principal.subject == "writer"


@pytest.mark.parametrize(
    ("headers", "payload"),
    [({}, {}), ({"X-API-Key": "wrong"}, {}), ({}, {"x-api-key": "wrong"})],
    ids=["none", "bad header", "bad payload"],
)
async def test_without_valid_credentials_the_connection_is_closed_4403(
    sub_app: SubscriptionApp, headers: dict[str, str], payload: dict[str, str]
) -> None:
    async with await ws_connect(sub_app, headers=headers) as ws:
        await send(ws, {"type": "connection_init", "payload": payload})
        assert await close_code(ws) == 4403
        assert ws.close_reason == "Forbidden"


async def test_a_caller_without_read_gets_an_error_for_that_subscribe(
    sub_app: SubscriptionApp,
) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": WRITE_ONLY}) as ws:
        await init(ws)
        await subscribe(ws, "1", "subscription { ticks(count: 3) }")
        [error] = await until_complete(ws, "1")
        # The connection lives on: another operation still gets its answer.
        await send(ws, {"type": "ping"})
        assert await receive(ws) == {"type": "pong"}
    assert error["type"] == "error"
    assert error["payload"][0]["extensions"]["code"] == "FORBIDDEN"
    assert sub_app.counters.began == 0


async def test_a_field_needing_write_refuses_a_reader_as_a_field_error(
    sub_app: SubscriptionApp,
) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as ws:
        await init(ws)
        await subscribe(ws, "g", "subscription { guarded }")
        messages = await until_complete(ws, "g")
    # The event stream could not be created: one result with the field's error, then complete.
    assert [m["type"] for m in messages] == ["next", "complete"]
    [error] = messages[0]["payload"]["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"] == ["guarded"]


async def test_a_too_deep_document_is_refused_by_the_operation_limits(
    sub_app: SubscriptionApp,
) -> None:
    deep = (
        "subscription { levels { " + "deeper { " * MAX_DEPTH + "n" + " }" * (MAX_DEPTH + 1) + " }"
    )
    async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as ws:
        await init(ws)
        await subscribe(ws, "deep", deep)
        [error] = await until_complete(ws, "deep")
        await subscribe(ws, "ok", "subscription { levels { deeper { n } } }")
        ok = await until_complete(ws, "ok")
    assert error["type"] == "error"
    assert error["payload"][0]["extensions"]["code"] == "MAX_DEPTH_LIMIT"
    assert ok[0]["payload"] == {"data": {"levels": {"deeper": {"n": 1}}}}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("subscription {", "Syntax Error"),
        ("subscription { nope }", "Cannot query field"),
        ("subscription { __schema { types { name } } }", "introspection"),
        ("{ hello }", "not served over WebSocket"),
        ("mutation { bump }", "not served over WebSocket"),
    ],
    ids=["parse", "validation", "introspection off", "query", "mutation"],
)
async def test_request_errors_are_one_error_message(
    sub_app: SubscriptionApp, query: str, message: str
) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": WRITER}) as ws:
        await init(ws)
        await subscribe(ws, "1", query)
        [error] = await until_complete(ws, "1")
    assert error["type"] == "error"
    assert message in error["payload"][0]["message"]


async def test_variables_that_do_not_coerce_are_an_error_message(
    sub_app: SubscriptionApp,
) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as ws:
        await init(ws)
        await subscribe(ws, "v", "subscription ($n: Int!) { ticks(count: $n) }", {"n": "x"})
        [error] = await until_complete(ws, "v")
    assert error["type"] == "error"
    assert "Variable '$n'" in error["payload"][0]["message"]


async def test_errors_while_streaming_are_next_payloads_masked_when_unexpected(
    sub_app: SubscriptionApp,
) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as ws:
        await init(ws)
        await subscribe(ws, "f", "subscription { failing }")
        failing = await until_complete(ws, "f")
        await subscribe(ws, "c", "subscription { crashing }")
        crashing = await until_complete(ws, "c")
    assert failing[1]["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert failing[1]["payload"]["errors"][0]["message"] == "no second tick"
    assert crashing[1]["payload"]["errors"][0]["message"] == "Internal server error."
    assert "secret" not in json.dumps(crashing)
    assert [m["type"] for m in crashing] == ["next", "next", "complete"]


async def test_client_complete_stops_the_subscription(sub_app: SubscriptionApp) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as ws:
        await init(ws)
        await subscribe(ws, "f", "subscription { forever }")
        assert (await receive(ws))["payload"] == {"data": {"forever": 0}}
        await send(ws, {"id": "f", "type": "complete"})
        await eventually(lambda: sub_app.counters.closed == 1)
        # The id is free again.
        await subscribe(ws, "f", "subscription { ticks(count: 1) }")
        assert (await until_complete(ws, "f"))[-1] == {"id": "f", "type": "complete"}


async def test_closing_the_socket_stops_its_subscriptions(sub_app: SubscriptionApp) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as ws:
        await init(ws)
        for id_ in ("a", "b"):
            await subscribe(ws, id_, "subscription { forever }")
        await receive(ws)
        await receive(ws)
    await eventually(lambda: sub_app.counters.closed == 2)
    await eventually(lambda: len(sub_app.streams) == 0)


async def test_many_operations_run_side_by_side(sub_app: SubscriptionApp) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as ws:
        await init(ws)
        for id_ in ("a", "b", "c"):
            await subscribe(ws, id_, "subscription { ticks(count: 2, pause: 0.05) }")
        seen: dict[str, list[str]] = {"a": [], "b": [], "c": []}
        while any(not kinds or kinds[-1] != "complete" for kinds in seen.values()):
            message = await receive(ws)
            seen[message["id"]].append(message["type"])
    assert all(kinds == ["next", "next", "complete"] for kinds in seen.values())


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        (
            [{"type": "subscribe", "id": "1", "payload": {"query": "subscription { forever }"}}],
            4401,
        ),
        ([{"type": "connection_init"}, {"type": "connection_init"}], 4429),
        ([{"type": "connection_init"}, {"type": "whatever"}], 4400),
        ([{"type": "connection_init"}, {"type": "subscribe", "id": "1"}], 4400),
        ([{"type": "connection_init", "payload": "text"}], 4400),
        ([{"type": "connection_init", "payload": {"x-api-key": 3}}], 4400),
        (
            [
                {"type": "connection_init"},
                {"type": "subscribe", "id": "1", "payload": {"query": 3}},
            ],
            4400,
        ),
    ],
    ids=[
        "subscribe before ack",
        "init twice",
        "unknown type",
        "no payload",
        "payload not an object",
        "credential not text",
        "query not text",
    ],
)
async def test_protocol_violations_close_with_the_protocols_codes(
    sub_app: SubscriptionApp, messages: list[dict[str, object]], code: int
) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as ws:
        for message in messages:
            await send(ws, message)
        assert await close_code(ws) == code


async def test_a_second_subscriber_with_the_same_id_closes_4409(sub_app: SubscriptionApp) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as ws:
        await init(ws)
        await subscribe(ws, "same", "subscription { forever }")
        await receive(ws)
        await subscribe(ws, "same", "subscription { forever }")
        assert await close_code(ws) == 4409
    await eventually(lambda: sub_app.counters.closed == 1)


async def test_text_that_is_not_json_and_binary_frames_close_4400(
    sub_app: SubscriptionApp,
) -> None:
    for frame in ("{not json", b"\x00binary"):
        async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as ws:
            await ws.send(frame)
            assert await close_code(ws) == 4400


async def test_ping_is_answered_before_and_after_init(sub_app: SubscriptionApp) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as ws:
        await send(ws, {"type": "ping"})
        assert await receive(ws) == {"type": "pong"}
        await init(ws)
        await send(ws, {"type": "pong"})  # unsolicited pongs are fine
        await send(ws, {"type": "ping", "payload": {"at": 1}})
        assert await receive(ws) == {"type": "pong"}


async def test_without_the_subprotocol_the_connection_is_closed_4406(
    sub_app: SubscriptionApp,
) -> None:
    async with await ws_connect(sub_app, protocol=False) as ws:
        assert await close_code(ws) == 4406


async def test_no_connection_init_in_time_closes_4408() -> None:
    from tests.http.subscriptions import serve

    for app in serve(init_timeout=0.2):
        async with await ws_connect(app, headers={"X-API-Key": READER}) as ws:
            assert await close_code(ws) == 4408


async def test_closing_the_streams_closes_sockets_1001_and_refuses_new_ones(
    sub_app: SubscriptionApp,
) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as ws:
        await init(ws)
        await subscribe(ws, "f", "subscription { forever }")
        await receive(ws)
        await asyncio.to_thread(sub_app.close_streams)
        assert await close_code(ws) == 1001
    await eventually(lambda: sub_app.counters.closed == 1)
    async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as late:
        assert await close_code(late) == 1001


async def test_messages_after_the_close_are_not_answered(sub_app: SubscriptionApp) -> None:
    async with await ws_connect(sub_app, headers={"X-API-Key": READER}) as ws:
        await send(ws, {"type": "nonsense"})
        with pytest.raises(ConnectionClosed):
            for _ in range(3):
                await send(ws, {"type": "ping"})
                await receive(ws)
