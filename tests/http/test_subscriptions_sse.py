"""GraphQL over SSE (graphql-sse, distinct connections mode) through ``GraphQLEndpoint``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.http.subscriptions import (
    MAX_DEPTH,
    READER,
    SSE,
    WRITE_ONLY,
    WRITER,
    Event,
    SubscriptionApp,
    nexts,
    parse_events,
    serve,
    sse_post,
    sub_app,
)

__all__ = ["sub_app"]  # the fixture, imported for pytest

GR = "application/graphql-response+json"


def test_a_subscription_streams_next_events_then_complete(sub_app: SubscriptionApp) -> None:
    answer, events = sse_post(
        sub_app.url, "subscription { ticks(count: 3) }", **{"X-API-Key": READER}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == f"{SSE}; charset=utf-8"
    assert answer.headers["cache-control"] == "no-cache"
    assert events == [
        Event("next", '{"data":{"ticks":0}}'),
        Event("next", '{"data":{"ticks":1}}'),
        Event("next", '{"data":{"ticks":2}}'),
        Event("complete", ""),
    ]
    assert len(sub_app.results) == 1 and sub_app.results[0].errors is None


def test_the_wire_format_is_exactly_graphql_sse(sub_app: SubscriptionApp) -> None:
    answer = httpx.post(
        sub_app.url,
        json={"query": "subscription { ticks(count: 1) }"},
        headers={"accept": SSE, "x-api-key": READER},
    )
    assert answer.text == 'event: next\ndata: {"data":{"ticks":0}}\n\nevent: complete\ndata:\n\n'


def test_get_with_query_parameters_streams_too(sub_app: SubscriptionApp) -> None:
    answer = httpx.get(
        sub_app.url,
        params={"query": "subscription ($n: Int!) { ticks(count: $n) }", "variables": '{"n": 2}'},
        # CSRF prevention (production mode) asks a GET that runs an operation for this header.
        headers={"accept": SSE, "x-api-key": READER, "apollo-require-preflight": "true"},
    )
    assert answer.status_code == 200
    events = [e for e in parse_events(answer.text.split("\n")) if isinstance(e, Event)]
    assert [e.event for e in events] == ["next", "next", "complete"]


def test_queries_and_mutations_are_one_next_then_complete(sub_app: SubscriptionApp) -> None:
    for query, data in (("{ hello }", {"hello": "world"}), ("mutation { bump }", {"bump": 1})):
        answer, events = sse_post(sub_app.url, query, **{"X-API-Key": WRITER})
        assert answer.status_code == 200
        assert nexts(events) == [{"data": data}]
        assert events[-1].event == "complete"


def test_a_mutation_over_get_is_405(sub_app: SubscriptionApp) -> None:
    answer = httpx.get(
        sub_app.url,
        params={"query": "mutation { bump }"},
        headers={"accept": SSE, "x-api-key": WRITER, "apollo-require-preflight": "true"},
    )
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "UNAUTHENTICATED"),
        ({"X-API-Key": "wrong"}, 401, "UNAUTHENTICATED"),
        ({"X-API-Key": WRITE_ONLY}, 403, "FORBIDDEN"),  # subscriptions need read
    ],
    ids=["no credentials", "bad key", "no read scope"],
)
def test_refusals_are_answered_as_json_before_any_event(
    sub_app: SubscriptionApp, headers: dict[str, str], status: int, code: str
) -> None:
    answer, events = sse_post(sub_app.url, "subscription { forever }", **headers)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith(("application/json", GR))
    assert answer.json()["errors"][0]["extensions"]["code"] == code
    assert events == []
    assert sub_app.counters.began == 0


def test_a_field_needing_write_refuses_a_reader_inside_the_stream(
    sub_app: SubscriptionApp,
) -> None:
    answer, events = sse_post(sub_app.url, "subscription { guarded }", **{"X-API-Key": READER})
    assert answer.status_code == 200
    [result] = nexts(events)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert result["errors"][0]["path"] == ["guarded"]
    _, allowed = sse_post(sub_app.url, "subscription { guarded }", **{"X-API-Key": WRITER})
    assert nexts(allowed) == [{"data": {"guarded": 42}}]


@pytest.mark.parametrize(
    ("query", "operation", "message"),
    [
        ("subscription {", None, "Syntax Error"),
        ("subscription { nope }", None, "Cannot query field"),
        ("subscription A { forever }", "B", 'Unknown operation named "B"'),
        ("subscription A { forever } subscription B { forever }", None, "operation name"),
        ("subscription { __schema { types { name } } }", None, "introspection"),
        (
            "subscription { levels { " + "deeper { " * MAX_DEPTH + "n" + " }" * MAX_DEPTH + " } }",
            None,
            "nested deeper than the limit",
        ),
    ],
    ids=["parse", "validation", "unknown operation", "no operation name", "introspection", "deep"],
)
def test_document_errors_are_400_before_any_event(
    sub_app: SubscriptionApp, query: str, operation: str | None, message: str
) -> None:
    answer = httpx.post(
        sub_app.url,
        json={"query": query, "operationName": operation},
        headers={"accept": SSE, "x-api-key": READER},
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"] == f"{GR}; charset=utf-8"
    payload = answer.json()
    assert "data" not in payload
    assert message in payload["errors"][0]["message"]
    assert sub_app.counters.began == 0


@pytest.mark.parametrize("variables", [{"n": "x"}, {}], ids=["not an Int", "missing"])
def test_variables_that_do_not_coerce_are_400_before_any_event(
    sub_app: SubscriptionApp, variables: dict[str, object]
) -> None:
    answer, events = sse_post(
        sub_app.url,
        "subscription ($n: Int!) { ticks(count: $n) }",
        variables,
        **{"X-API-Key": READER},
    )
    assert answer.status_code == 400
    assert events == []
    assert "Variable '$n'" in answer.json()["errors"][0]["message"]


def test_a_batch_is_not_streamed(sub_app: SubscriptionApp) -> None:
    answer = httpx.post(
        sub_app.url,
        content=json.dumps([{"query": "{ hello }"}]),
        headers={"accept": SSE, "content-type": "application/json", "x-api-key": READER},
    )
    assert answer.status_code == 400


@pytest.mark.parametrize(
    ("accept", "streamed"),
    [
        (SSE, True),
        (f"{SSE}, application/json", True),
        (f"application/json, {SSE};q=0.5", False),
        ("*/*", False),
    ],
)
def test_accept_decides_between_a_stream_and_json(
    sub_app: SubscriptionApp, accept: str, streamed: bool
) -> None:
    answer = httpx.post(
        sub_app.url,
        json={"query": "subscription { ticks(count: 1) }"},
        headers={"accept": accept, "x-api-key": READER},
    )
    assert answer.headers["content-type"].startswith(SSE) is streamed
    if not streamed:  # one JSON answer cannot hold a subscription
        assert "text/event-stream" in answer.json()["errors"][0]["message"]


def test_errors_while_streaming_are_next_events_masked_when_unexpected(
    sub_app: SubscriptionApp,
) -> None:
    _, failing = sse_post(sub_app.url, "subscription { failing }", **{"X-API-Key": READER})
    _, crashing = sse_post(sub_app.url, "subscription { crashing }", **{"X-API-Key": READER})
    assert nexts(failing)[1]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert nexts(crashing)[1]["errors"][0]["message"] == "Internal server error."
    assert "secret" not in json.dumps(nexts(crashing))
    assert failing[-1].event == crashing[-1].event == "complete"
    assert sub_app.results[-1].errors[0].message == "Internal server error."


@pytest.fixture
def quick_keepalive() -> Iterator[SubscriptionApp]:
    yield from serve(keepalive=0.1)


def test_a_quiet_stream_sends_keepalive_comments(quick_keepalive: SubscriptionApp) -> None:
    with httpx.stream(
        "POST",
        quick_keepalive.url,
        json={"query": "subscription { ticks(count: 2, pause: 0.35) }"},
        headers={"accept": SSE, "x-api-key": READER},
    ) as answer:
        seen = list(parse_events(answer.iter_lines()))
    assert seen.count(":") >= 4
    assert [e.event for e in seen if isinstance(e, Event)] == ["next", "next", "complete"]


def test_a_client_that_leaves_stops_its_subscription(sub_app: SubscriptionApp) -> None:
    with httpx.stream(
        "POST",
        sub_app.url,
        json={"query": "subscription { forever }"},
        headers={"accept": SSE, "x-api-key": READER},
    ) as answer:
        events = parse_events(answer.iter_lines())  # held: dropping it would close the stream
        first = next(e for e in events if isinstance(e, Event))
        assert first == Event("next", '{"data":{"forever":0}}')
        time.sleep(0.1)
        assert len(sub_app.streams) == 1 and sub_app.counters.closed == 0
    _wait_for(lambda: sub_app.counters.closed == 1 and len(sub_app.streams) == 0)
    assert len(sub_app.results) == 1


def test_closing_the_streams_ends_them_without_complete_and_refuses_new_ones(
    sub_app: SubscriptionApp,
) -> None:
    with httpx.stream(
        "POST",
        sub_app.url,
        json={"query": "subscription { forever }"},
        headers={"accept": SSE, "x-api-key": READER},
        timeout=10,
    ) as answer:
        lines = answer.iter_lines()
        events = parse_events(lines)
        assert next(e for e in events if isinstance(e, Event)).event == "next"
        sub_app.close_streams()
        rest = list(events)  # the body ends
    assert [e for e in rest if isinstance(e, Event)] == []  # no ``complete``: it did not finish
    _wait_for(lambda: sub_app.counters.closed == 1)
    late, _ = sse_post(sub_app.url, "subscription { forever }", **{"X-API-Key": READER})
    assert late.status_code == 503
    assert late.headers["retry-after"] == "1"
    # Plain HTTP is not a stream: it is still answered.
    plain = httpx.post(sub_app.url, json={"query": "{ hello }"}, headers={"x-api-key": READER})
    assert plain.json() == {"data": {"hello": "world"}}


def _wait_for(check: object, timeout: float = 5.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)
