"""Deadlines (issue 14): a hung upstream costs a read one upstream deadline, and an operation
is answered by its own deadline with the unfinished fields as UPSTREAM_TIMEOUT errors.

| case | shows |
| --- | --- |
| hung PIM read, upstream deadline < operation deadline | UPSTREAM_TIMEOUT (upstream pim) after one upstream deadline; attempts counted |
| hung PIM read, operation deadline shorter | answered by the operation deadline, the CitrusAd field with data; fast and normal executor, POST and GET |
| a field hung with no upstream | the executor's backstop ends it (fast path planned or not, seen in ``FastStats``) |
| the cut call | its connection to the PIM closed, no attempt after |
| a WAIT-mode write past the deadline | answered with its job RUNNING; the job completes afterwards |
| a subscription | follows its job past the deadline |
| the transport | a write cut by the deadline is UPSTREAM_OUTCOME_UNKNOWN; a read the pace would hold past it is not sent |

An upstream is hung with the emulators' ``latency`` fault (5 s, twice every deadline here);
attempts are counted in its request log, which records a request when it arrives, and the
gateway's connections to it are read from the emulator's uvicorn server. Elapsed times are
asserted with margins of a second or more: the machine may be busy.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry

from gateway import deadlines
from gateway.embedded import Gateway
from gateway.emulators.serving import BackgroundServer
from gateway.errors import UpstreamOutcomeUnknown, UpstreamTimeout
from gateway.execution import fields
from gateway.extensions import ExtensionRegistry
from gateway.settings import load_settings
from gateway.upstreams.transport import (
    RateLimit,
    SlidingWindowRateLimiter,
    UpstreamTransport,
    pim_config,
)
from tests.conftest import WRITER_KEY, GatewayStack, start_stack
from tests.http.subscriptions import nexts, sse_post

# The hung upstream's latency: longer than every deadline here, so only a deadline ends a call in time
# (and short enough for the emulator's shutdown to wait out the calls the gateway gave up on).
HUNG = 5.0
MARGIN = 2.0  # how late an answer may come on a busy machine

PRODUCT = '{ p: product(tid: "DEMO-0005") { tid name } }'
# One field the hung PIM answers, one CitrusAd (not hung) answers.
MIXED = (
    '{ p: product(tid: "DEMO-0007") { tid name } '
    'c: catalogProduct(gtin: "23556578965543") { gtin name } }'
)


@strawberry.type
class SlowQuery:
    """Root fields for the backstop: one that never ends without an upstream call, one quick."""

    @strawberry.field
    async def stuck(self) -> str | None:
        await asyncio.sleep(HUNG)
        return "too late"

    @strawberry.field
    async def quick(self) -> str | None:
        await asyncio.sleep(0)
        return "on time"


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path plans only the schema's own resolvers: let it plan ``SlowQuery``'s."""
    monkeypatch.setattr(fields, "_TRUSTED_PACKAGES", (*fields._TRUSTED_PACKAGES, __name__))


def _stack(
    tmp_path: Path, registry: ExtensionRegistry | None = None, **settings: str
) -> GatewayStack:
    environ = {"GATEWAY_DATABASE": str(tmp_path / "gateway.sqlite3")}
    environ.update({f"GATEWAY_{name.upper()}": value for name, value in settings.items()})
    return start_stack(environ, registry=registry)


def _stop(running: GatewayStack) -> None:
    # The PIM's graceful shutdown waits out the latency of requests the gateway gave up on.
    for server in (running.gateway, running.pim, running.omnicommerce, running.citrusad):
        server.stop()


@pytest.fixture
def stacks(tmp_path: Path) -> Iterator[list[GatewayStack]]:
    """Stacks a test starts (``_stack``), each stopped after it."""
    started: list[GatewayStack] = []
    try:
        yield started
    finally:
        for running in started:
            _stop(running)


def _hang(server: BackgroundServer) -> None:
    httpx.post(f"{server.url}/__emulator__/faults", json={"latency": HUNG}).raise_for_status()
    server.app.state.log.clear()


def _timed(
    stack: GatewayStack, query: str, *, method: str = "POST"
) -> tuple[dict[str, Any], float]:
    # A GET carries the preflight header the CSRF guard asks of a request without a body.
    headers = {"X-API-Key": WRITER_KEY, "Apollo-Require-Preflight": "true"}
    started = time.monotonic()
    if method == "GET":
        answer = httpx.get(stack.url, params={"query": query}, headers=headers, timeout=HUNG)
    else:
        answer = httpx.post(stack.url, json={"query": query}, headers=headers, timeout=HUNG)
    elapsed = time.monotonic() - started
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body, elapsed


def _codes(body: dict[str, Any]) -> dict[str, str]:
    return {e["path"][0]: e["extensions"]["code"] for e in body.get("errors", [])}


# --- the upstream deadline ----------------------------------------------------------------------


# ``classifications`` is non-null and calls the PIM without a loader: the fast path restarts
# on graphql-core, which must answer it with the same error, not call the hung PIM again.
@pytest.mark.parametrize(
    ("query", "key"), [(PRODUCT, "p"), ("{ c: classifications { tid } }", "c")]
)
def test_a_hung_read_costs_one_upstream_deadline_not_three_timeouts(
    tmp_path: Path, stacks: list[GatewayStack], query: str, key: str
) -> None:
    # Each attempt may take 10 s, three are allowed: 30 s before; the deadline bounds them all.
    stack = _stack(tmp_path, upstream_deadline_seconds="1.5", operation_deadline_seconds="30")
    stacks.append(stack)
    _hang(stack.pim)
    body, elapsed = _timed(stack, query)
    assert body["data"] == ({key: None} if key == "p" else None)
    (error,) = body["errors"]
    assert error["path"] == [key]
    assert error["extensions"] == {"code": "UPSTREAM_TIMEOUT", "upstream": "pim"}
    assert 1.5 - 0.1 <= elapsed < 1.5 + MARGIN
    # The first attempt used the whole deadline: no time was left for a retry.
    assert stack.pim.app.state.log.count() == 1


def test_retries_of_a_hung_read_fit_inside_the_upstream_deadline(
    tmp_path: Path, stacks: list[GatewayStack]
) -> None:
    # Unbounded, three 1.5 s attempts and two backoffs take 4.8 s; inside a 2.5 s deadline the
    # second attempt is cut short at 2.5 s and no time is left for a third.
    stack = _stack(
        tmp_path,
        upstream_timeout_seconds="1.5",
        upstream_deadline_seconds="2.5",
        operation_deadline_seconds="30",
    )
    stacks.append(stack)
    _hang(stack.pim)
    body, elapsed = _timed(stack, PRODUCT)
    assert _codes(body) == {"p": "UPSTREAM_TIMEOUT"}
    assert 2.5 - 0.1 <= elapsed < 2.5 + 1.5
    assert stack.pim.app.state.log.count() == 2


# --- the operation deadline ---------------------------------------------------------------------


@pytest.mark.parametrize("fast", ["true", "false"])
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_the_operation_is_answered_by_its_deadline_with_what_finished(
    tmp_path: Path, stacks: list[GatewayStack], fast: str, method: str
) -> None:
    stack = _stack(
        tmp_path,
        fast_execution=fast,
        upstream_deadline_seconds="20",
        operation_deadline_seconds="1.5",
    )
    stacks.append(stack)
    _hang(stack.pim)
    body, elapsed = _timed(stack, MIXED, method=method)
    assert 1.5 - 0.2 <= elapsed < 1.5 + MARGIN
    assert body["data"]["p"] is None
    assert body["data"]["c"]["gtin"] == "23556578965543"  # CitrusAd answered in time
    assert _codes(body) == {"p": "UPSTREAM_TIMEOUT"}
    assert stack.pim.app.state.log.count() == 1


@pytest.mark.parametrize("fast", ["true", "false"])
def test_a_field_hung_without_an_upstream_is_ended_by_the_backstop(
    tmp_path: Path, stacks: list[GatewayStack], fast: str, trusted: None
) -> None:
    registry = ExtensionRegistry()
    registry.add_query(SlowQuery)
    stack = _stack(tmp_path, registry, fast_execution=fast, operation_deadline_seconds="1.5")
    stacks.append(stack)
    body, elapsed = _timed(stack, "{ quick stuck also: quick }")
    assert 1.5 - 0.1 <= elapsed < 1.5 + MARGIN
    assert body["data"] == {"quick": "on time", "stuck": None, "also": "on time"}
    (error,) = body["errors"]
    assert error["path"] == ["stuck"]
    assert error["extensions"] == {"code": "UPSTREAM_TIMEOUT"}
    assert "deadline of 1.5 s" in error["message"]


# --- the cancelled call -------------------------------------------------------------------------


@pytest.mark.parametrize("fast", ["true", "false"])
def test_the_call_cut_by_the_deadline_is_cancelled_at_the_upstream(
    tmp_path: Path, stacks: list[GatewayStack], fast: str
) -> None:
    stack = _stack(
        tmp_path,
        fast_execution=fast,
        upstream_deadline_seconds="20",
        operation_deadline_seconds="2",
    )
    stacks.append(stack)
    _hang(stack.pim)
    connections = stack.pim.server.server_state.connections
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        asking = pool.submit(_timed, stack, PRODUCT)
        while not stack.pim.app.state.log.count() and not asking.done():
            time.sleep(0.02)
        # The call is on the wire: the gateway holds a connection to the hung PIM.
        assert connections
        body, elapsed = asking.result(timeout=HUNG)
    assert _codes(body) == {"p": "UPSTREAM_TIMEOUT"}
    assert elapsed < 2 + MARGIN
    # The gateway closed that connection (the PIM would otherwise answer it at 5 s) ...
    _eventually(lambda: not connections)
    # ... and sent nothing more: no retry after the deadline.
    time.sleep(1.0)
    assert stack.pim.app.state.log.count() == 1


def _eventually(check: Any, seconds: float = 5.0) -> None:
    ends = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < ends, f"not within {seconds} s"
        time.sleep(0.05)


@pytest.mark.parametrize("fast", [True, False])
async def test_each_executor_keeps_the_deadline_itself(
    tmp_path: Path, fast: bool, trusted: None
) -> None:
    # In process, to see which executor answered (``FastStats``).
    extension = types.ModuleType("slow_fields")
    extension.register = lambda registry: registry.add_query(SlowQuery)  # type: ignore[attr-defined]
    settings = load_settings(
        {
            "GATEWAY_FAST_EXECUTION": str(fast).lower(),
            "GATEWAY_OPERATION_DEADLINE_SECONDS": "0.5",
            "GATEWAY_DEVELOPMENT_MODE": "true",
            "GATEWAY_DATABASE": str(tmp_path / "gateway.sqlite3"),
        }
    )
    async with Gateway(settings, extensions=[extension]) as gateway:
        stats = gateway.schema.fast_execution.stats  # type: ignore[attr-defined]
        started = time.monotonic()
        result = await gateway.execute("{ stuck quick }")
        elapsed = time.monotonic() - started
    assert 0.4 <= elapsed < 0.5 + MARGIN
    assert result.data == {"stuck": None, "quick": "on time"}
    assert [e["extensions"]["code"] for e in result.errors] == ["UPSTREAM_TIMEOUT"]
    assert (stats.fast, stats.normal) == ((1, 0) if fast else (0, 1))


# --- a mutation waiting for its write job; a subscription -------------------------------------------------------

_ITEM = {
    "id": "DEMO-0004",
    "url": "https://images.example.com/4.jpg",
    "salesUrl": "https://shop.example.com/DEMO-0004",
    "detection": "WHOLEBODY",
}
WAIT_REGISTER = """mutation($products: [CommerceProductInput!]!) {
  registerCommerceProducts(products: $products, mode: WAIT) {
    ok job { id state } results { status } } }"""


def test_a_write_outlasting_the_deadline_answers_with_its_running_job(
    tmp_path: Path, stacks: list[GatewayStack]
) -> None:
    stack = _stack(tmp_path, operation_deadline_seconds="3")
    stacks.append(stack)
    _hang(stack.omnicommerce)
    started = time.monotonic()
    body = stack.query(WAIT_REGISTER, {"products": [_ITEM]})
    elapsed = time.monotonic() - started
    # The wait ends a quarter of the operation's time (0.75 s) before the deadline, so the job
    # can be told rather than an error, even by a busy process.
    assert 2.25 - 0.1 <= elapsed < 3.0 + MARGIN
    assert "errors" not in body, body["errors"]
    answer = body["data"]["registerCommerceProducts"]
    assert answer["ok"] is False
    # RUNNING with the item on the wire to the slow upstream, or, when the new process's
    # workers were still in their quiet start at the deadline, QUEUED: either way told.
    assert (answer["job"]["state"], answer["results"]) in (
        ("RUNNING", [{"status": "SENDING"}]),
        ("QUEUED", [{"status": "QUEUED"}]),
    )
    # The job ran on after the answer: the upstream answers at 5 s and the job completes.
    job = "query($id: ID!) { writeJob(id: $id) { state } }"
    ids = {"id": answer["job"]["id"]}
    _eventually(lambda: stack.query(job, ids)["data"]["writeJob"]["state"] == "COMPLETED", 10)
    assert stack.omnicommerce.app.state.log.count() == 1


def test_a_subscription_outlives_the_operation_deadline(
    tmp_path: Path, stacks: list[GatewayStack]
) -> None:
    stack = _stack(tmp_path, operation_deadline_seconds="1.5")
    stacks.append(stack)
    _hang(stack.omnicommerce)
    submit = WAIT_REGISTER.replace("mode: WAIT", "mode: JOB")
    body = stack.query(submit, {"products": [_ITEM]})
    job_id = body["data"]["registerCommerceProducts"]["job"]["id"]
    progress = "subscription($id: ID!) { writeJobProgress(id: $id) { state } }"
    started = time.monotonic()
    answer, events = sse_post(stack.url, progress, {"id": job_id}, **{"X-API-Key": WRITER_KEY})
    elapsed = time.monotonic() - started
    assert answer.status_code == 200
    assert events[-1].event == "complete"
    states = [event["data"]["writeJobProgress"]["state"] for event in nexts(events)]
    assert states[0] in ("QUEUED", "RUNNING") and states[-1] == "COMPLETED"
    assert not [event for event in nexts(events) if event.get("errors")]
    # It followed the job to its end, long past the 1.5 s every query and mutation gets.
    assert elapsed > 1.5 + 1.0


# --- the transport inside an operation ----------------------------------------------------------


def _pim_transport(server: BackgroundServer, **changes: Any) -> UpstreamTransport:
    config = pim_config(load_settings({}), emulator_url=f"{server.url}/api/core/v1")
    return UpstreamTransport(dataclasses.replace(config, **changes))


async def test_a_write_cut_by_the_operation_deadline_is_an_unknown_outcome(
    pim_server: BackgroundServer,
) -> None:
    _hang(pim_server)
    async with _pim_transport(pim_server) as transport:
        started = time.monotonic()
        with deadlines.within(1.0), pytest.raises(UpstreamOutcomeUnknown):
            await transport.request("POST", "/pim/products/persist", content=b"<x/>")
        elapsed = time.monotonic() - started
    # Not the 10 s of its timeout: the operation's deadline, less the margin for the answer.
    assert 1.0 - 0.2 <= elapsed < 1.0 + MARGIN
    assert pim_server.app.state.log.count() == 1  # sent once, never retried


async def test_a_read_the_pace_would_hold_past_the_deadline_is_not_sent(
    pim_server: BackgroundServer,
) -> None:
    # One request per 10 s: the second would wait ~10 s for the pace, past a 1 s deadline.
    pace = RateLimit(requests=1, per=10.0)
    limiter = SlidingWindowRateLimiter(pace)
    async with _pim_transport(pim_server, rate=pace) as transport:
        transport.limiter = limiter
        await transport.request("GET", "/pim/classes")
        started = time.monotonic()
        with deadlines.within(1.0), pytest.raises(UpstreamTimeout) as caught:
            await transport.request("GET", "/pim/classes")
        elapsed = time.monotonic() - started
    assert "before its deadline" in caught.value.message
    assert elapsed < 1.0  # refused at once: it could not make the deadline
    assert pim_server.app.state.log.count() == 1
