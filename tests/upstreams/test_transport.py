"""The transport against tiny inline upstreams served over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import unicodedata
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from gateway.emulators.serving import BackgroundServer
from gateway.errors import (
    UpstreamBadResponse,
    UpstreamOutcomeUnknown,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.settings import load_settings
from gateway.upstreams.transport import (
    CircuitOpen,
    RateLimit,
    RateLimiter,
    TransportPool,
    UpstreamConfig,
    UpstreamTransport,
    omnicommerce_config,
)

SECRET = "sk-live-0123456789abcdef"


@dataclass
class Hit:
    method: str
    path: str
    at: float
    headers: dict[str, str]


@dataclass
class Script:
    """What the upstream answers, one step per request; the default answer once it runs out."""

    steps: deque[Response | float] = field(default_factory=deque)
    hits: list[Hit] = field(default_factory=list)

    def then(self, *steps: Response | float) -> Script:
        self.steps.extend(steps)
        return self


def _app(script: Script) -> Starlette:
    async def handle(request: Request) -> Response:
        script.hits.append(
            Hit(request.method, request.url.path, time.monotonic(), dict(request.headers))
        )
        await request.body()
        step = script.steps.popleft() if script.steps else Response("ok")
        if isinstance(step, float):  # a hang of that many seconds
            await asyncio.sleep(step)
            return Response("late")
        return step

    methods = ["GET", "POST", "PUT", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", handle, methods=methods)])


@pytest.fixture
def script() -> Iterator[Script]:
    yield Script()


@pytest.fixture
def upstream(script: Script) -> Iterator[BackgroundServer]:
    server = BackgroundServer(_app(script)).start()
    try:
        yield server
    finally:
        server.stop()


def _config(url: str, **changes: object) -> UpstreamConfig:
    base: dict[str, object] = {
        "name": "omnicommerce",
        "base_url": url + "/2022-08",
        "headers": {"X-Api-Key": SECRET},
        "timeout": 1.0,
        "max_retries": 2,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
        "backoff_jitter": 0.01,
        "retry_after_max": 2.0,
    }
    base.update(changes)
    return UpstreamConfig(**base)  # type: ignore[arg-type]


async def test_get_sends_credentials_under_base_path(
    upstream: BackgroundServer, script: Script
) -> None:
    async with UpstreamTransport(_config(upstream.url)) as transport:
        answer = await transport.request("GET", "/things", params={"a": "1"})
    assert (answer.status, answer.content) == (200, b"ok")
    (hit,) = script.hits
    assert (hit.method, hit.path) == ("GET", "/2022-08/things")
    assert hit.headers["x-api-key"] == SECRET


async def test_read_is_retried_after_503_and_succeeds(
    upstream: BackgroundServer, script: Script
) -> None:
    script.then(Response("down", status_code=503), Response("back"))
    async with UpstreamTransport(_config(upstream.url)) as transport:
        answer = await transport.request("GET", "/x", endpoint="GET /x")
        assert answer.content == b"back"
        assert transport.metrics.retries[("omnicommerce", "GET /x")] == 1
        assert transport.metrics.count("omnicommerce", "GET /x", "503") == 1
    assert len(script.hits) == 2


async def test_503_retry_after_is_honoured_on_reads(
    upstream: BackgroundServer, script: Script
) -> None:
    script.then(Response("down", status_code=503, headers={"Retry-After": "0.3"}))
    async with UpstreamTransport(_config(upstream.url)) as transport:
        await transport.request("GET", "/x")
    assert script.hits[1].at - script.hits[0].at >= 0.3


async def test_write_is_not_retried_after_503(upstream: BackgroundServer, script: Script) -> None:
    script.then(Response("down", status_code=503))
    async with UpstreamTransport(_config(upstream.url)) as transport:
        with pytest.raises(UpstreamUnavailable) as caught:
            await transport.request("POST", "/management/products", json={})
    assert caught.value.status == 503
    assert len(script.hits) == 1


async def test_marked_post_is_retried_like_a_read(
    upstream: BackgroundServer, script: Script
) -> None:
    script.then(Response("down", status_code=502))
    async with UpstreamTransport(_config(upstream.url)) as transport:
        answer = await transport.request("POST", "/retrieve", json={}, idempotent=True)
    assert answer.content == b"ok"
    assert len(script.hits) == 2


async def test_429_on_a_write_is_waited_out_and_resent(
    upstream: BackgroundServer, script: Script
) -> None:
    script.then(Response("slow down", status_code=429, headers={"Retry-After": "0.4"}))
    async with UpstreamTransport(_config(upstream.url)) as transport:
        answer = await transport.request("POST", "/management/products", json={"a": 1})
    assert answer.status == 200
    assert [h.method for h in script.hits] == ["POST", "POST"]
    assert script.hits[1].at - script.hits[0].at >= 0.4


async def test_429_beyond_the_cap_is_raised_at_once(
    upstream: BackgroundServer, script: Script
) -> None:
    script.then(Response("slow down", status_code=429, headers={"Retry-After": "60"}))
    async with UpstreamTransport(_config(upstream.url)) as transport:
        with pytest.raises(UpstreamRateLimited) as caught:
            await transport.request("GET", "/x")
    assert (caught.value.retry_after, caught.value.status) == (60.0, 429)
    assert len(script.hits) == 1


async def test_429_every_time_gives_up_after_max_retries(
    upstream: BackgroundServer, script: Script
) -> None:
    script.then(*[Response("no", status_code=429) for _ in range(5)])
    async with UpstreamTransport(_config(upstream.url, max_retries=1)) as transport:
        with pytest.raises(UpstreamRateLimited):
            await transport.request("GET", "/x")
    assert len(script.hits) == 2


async def test_write_that_times_out_is_unknown_and_not_retried(
    upstream: BackgroundServer, script: Script
) -> None:
    script.then(0.8)
    async with UpstreamTransport(_config(upstream.url, timeout=0.2)) as transport:
        with pytest.raises(UpstreamOutcomeUnknown) as caught:
            await transport.request("POST", "/management/products", json={})
    assert caught.value.upstream == "omnicommerce"
    assert len(script.hits) == 1


async def test_hanging_read_times_out_within_the_configured_timeout(
    upstream: BackgroundServer, script: Script
) -> None:
    script.then(0.8)
    config = _config(upstream.url, timeout=0.2, max_retries=0)
    async with UpstreamTransport(config) as transport:
        started = time.monotonic()
        with pytest.raises(UpstreamTimeout) as caught:
            await transport.request("GET", "/x")
    # The deadline is the point: far less than the 0.8 s the upstream hangs.
    assert time.monotonic() - started < 0.6
    assert isinstance(caught.value.__cause__, TimeoutError | httpx.TimeoutException)


async def test_slow_trickle_is_cut_by_the_whole_attempt_deadline(
    upstream: BackgroundServer, script: Script
) -> None:
    async def trickle() -> object:
        for _ in range(20):
            yield b"x"
            await asyncio.sleep(0.05)

    script.then(StreamingResponse(trickle()))
    config = _config(upstream.url, timeout=0.25, max_retries=0)
    async with UpstreamTransport(config) as transport:
        with pytest.raises(UpstreamTimeout):
            await transport.request("GET", "/x")


async def test_rejection_carries_status_and_reason(
    upstream: BackgroundServer, script: Script
) -> None:
    script.then(Response('{"message": "catalog product not found"}', status_code=404))
    async with UpstreamTransport(_config(upstream.url)) as transport:
        with pytest.raises(UpstreamRejected) as caught:
            await transport.request("GET", "/x")
    assert caught.value.status == 404
    assert "catalog product not found" in caught.value.message
    assert len(script.hits) == 1


async def test_redirect_is_not_followed(upstream: BackgroundServer, script: Script) -> None:
    script.then(Response(status_code=302, headers={"Location": "http://127.0.0.1:9/steal"}))
    async with UpstreamTransport(_config(upstream.url)) as transport:
        with pytest.raises(UpstreamBadResponse) as caught:
            await transport.request("GET", "/x")
    assert caught.value.status == 302
    assert len(script.hits) == 1


@pytest.mark.parametrize("streamed", [False, True])
async def test_body_over_the_cap_is_a_bad_response(
    upstream: BackgroundServer, script: Script, streamed: bool
) -> None:
    async def chunks() -> object:
        for _ in range(64):
            yield b"y" * 1024

    big = StreamingResponse(chunks()) if streamed else Response(b"y" * 65536)
    script.then(big)
    config = _config(upstream.url, max_response_bytes=4096)
    async with UpstreamTransport(config) as transport:
        with pytest.raises(UpstreamBadResponse) as caught:
            await transport.request("GET", "/x")
        assert transport.metrics.count("omnicommerce", outcome="too_large") == 1
    assert "4096" in caught.value.message
    assert len(script.hits) == 1


async def test_refused_connection_is_unavailable() -> None:
    config = _config("http://127.0.0.1:9", max_retries=1)
    async with UpstreamTransport(config) as transport:
        with pytest.raises(UpstreamUnavailable) as caught:
            await transport.request("POST", "/management/products", json={})
        # Nothing was sent, so even the write was tried again.
        assert transport.metrics.count("omnicommerce", outcome="connect_error") == 2
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_breaker_opens_fails_fast_and_closes_after_a_probe(
    upstream: BackgroundServer, script: Script
) -> None:
    script.then(*[Response("down", status_code=500) for _ in range(2)])
    config = _config(upstream.url, max_retries=0, breaker_threshold=2, breaker_reset_seconds=0.3)
    async with UpstreamTransport(config) as transport:
        for _ in range(2):
            with pytest.raises(UpstreamUnavailable):
                await transport.request("GET", "/x")
        assert transport.breaker.state == "open"
        with pytest.raises(CircuitOpen):
            await transport.request("GET", "/x")
        assert len(script.hits) == 2  # failed fast: nothing sent
        await asyncio.sleep(0.35)
        assert (await transport.request("GET", "/x")).content == b"ok"  # the probe
        assert transport.breaker.state == "closed"
        await transport.request("GET", "/x")
    assert len(script.hits) == 4


async def test_failed_probe_reopens_the_breaker(upstream: BackgroundServer, script: Script) -> None:
    script.then(*[Response("down", status_code=503) for _ in range(2)])
    config = _config(upstream.url, max_retries=0, breaker_threshold=1, breaker_reset_seconds=0.2)
    async with UpstreamTransport(config) as transport:
        with pytest.raises(UpstreamUnavailable):
            await transport.request("GET", "/x")
        await asyncio.sleep(0.25)
        with pytest.raises(UpstreamUnavailable) as caught:
            await transport.request("GET", "/x")  # the probe fails
        assert not isinstance(caught.value, CircuitOpen)
        with pytest.raises(CircuitOpen):
            await transport.request("GET", "/x")
    assert len(script.hits) == 2


async def test_rejections_do_not_open_the_breaker(
    upstream: BackgroundServer, script: Script
) -> None:
    script.then(*[Response("bad", status_code=400) for _ in range(3)])
    config = _config(upstream.url, breaker_threshold=2)
    async with UpstreamTransport(config) as transport:
        for _ in range(3):
            with pytest.raises(UpstreamRejected):
                await transport.request("GET", "/x")
        assert transport.breaker.state == "closed"


async def test_pace_is_shared_by_concurrent_callers(
    upstream: BackgroundServer, script: Script
) -> None:
    pool = TransportPool()
    transport = pool.add(_config(upstream.url, rate=RateLimit(requests=5, per=1.0)))
    await asyncio.gather(*(transport.request("GET", f"/{i}") for i in range(7)))
    await pool.aclose()
    starts = sorted(hit.at for hit in script.hits)
    # Never more than 5 starts in any one-second window: the 6th is over a second after the 1st.
    assert all(later - earlier > 1.0 for earlier, later in zip(starts, starts[5:], strict=False))
    # The first five start at once (the window is empty); the 6th and 7th wait for it to slide.
    assert pool.metrics.limiter_waits["omnicommerce"] >= 2


async def test_a_slot_is_held_until_the_answer_comes_back(
    upstream: BackgroundServer, script: Script
) -> None:
    # One request per 0.3 s: the second may start only 0.3 s after the first one's ANSWER,
    # since the upstream may have received the first at any moment before answering it.
    script.then(0.5)
    pool = TransportPool()
    transport = pool.add(_config(upstream.url, rate=RateLimit(requests=1, per=0.3, margin=0.0)))
    await asyncio.gather(transport.request("GET", "/slow"), transport.request("GET", "/next"))
    await pool.aclose()
    slow, after = script.hits
    assert after.at - slow.at >= 0.5 + 0.3


async def test_429_pauses_every_sender_of_the_key(
    upstream: BackgroundServer, script: Script
) -> None:
    script.then(Response("slow down", status_code=429, headers={"Retry-After": "1"}))
    pool = TransportPool()
    rate = RateLimit(requests=5, per=1.0)
    first = pool.add(_config(upstream.url, rate=rate))
    writing = asyncio.create_task(first.request("POST", "/management/products", json={}))
    for _ in range(1000):  # until the 429 has come back
        if pool.metrics.count("omnicommerce", outcome="429"):
            break
        await asyncio.sleep(0.01)
    # Another transport on the same key, with four free slots, still waits out Retry-After.
    other = UpstreamTransport(
        _config(upstream.url, rate=rate), limiter=first.limiter, metrics=pool.metrics
    )
    await other.request("GET", "/other")
    await writing
    await other.aclose()
    await pool.aclose()
    refused, *later = script.hits
    assert sorted(h.path for h in later) == ["/2022-08/management/products", "/2022-08/other"]
    assert all(h.at - refused.at >= 1.0 for h in later)


async def _fill(limiter: RateLimiter | None, stack: contextlib.AsyncExitStack) -> None:
    """Five slots held (as by five calls in flight) until ``stack`` closes."""
    assert limiter is not None
    for _ in range(5):
        await stack.enter_async_context(limiter.slot())


async def test_a_read_past_the_wait_budget_is_refused_before_sending(
    upstream: BackgroundServer, script: Script
) -> None:
    pool = TransportPool()
    config = _config(upstream.url, rate=RateLimit(requests=5, per=1.0), rate_wait_budget=0.5)
    transport = pool.add(config)
    async with contextlib.AsyncExitStack() as held:
        await _fill(transport.limiter, held)
        with pytest.raises(UpstreamRateLimited) as caught:
            await transport.request("GET", "/x", endpoint="GET /x")
    await pool.aclose()
    error = caught.value
    assert error.retry_after is not None and error.retry_after > 0.5
    assert error.status is None  # the upstream never saw it
    assert error.extensions() == {
        "code": "UPSTREAM_RATE_LIMITED",
        "upstream": "omnicommerce",
        "retryAfter": round(error.retry_after, 3),
    }
    assert script.hits == []
    assert pool.metrics.count("omnicommerce", "GET /x", "wait_budget") == 1


async def test_a_write_waits_for_its_slot_however_long(
    upstream: BackgroundServer, script: Script
) -> None:
    pool = TransportPool()
    config = _config(upstream.url, rate=RateLimit(requests=5, per=1.0), rate_wait_budget=0.0)
    transport = pool.add(config)
    async with contextlib.AsyncExitStack() as held:
        await _fill(transport.limiter, held)
        writing = asyncio.create_task(transport.request("POST", "/management/products", json={}))
        await asyncio.sleep(0.3)
        assert not writing.done() and script.hits == []
    assert (await writing).status == 200
    await pool.aclose()
    assert pool.metrics.limiter_waits["omnicommerce"] == 1
    assert pool.metrics.limiter_wait_seconds["omnicommerce"] >= 1.0


def test_the_omnicommerce_wait_budget_comes_from_settings() -> None:
    settings = load_settings({"GATEWAY_RATE_WAIT_BUDGET_SECONDS": "0.75"})
    config = omnicommerce_config(settings, emulator_url="http://127.0.0.1:9")
    assert config.rate_wait_budget == 0.75
    assert omnicommerce_config(load_settings({}), emulator_url="http://e").rate_wait_budget == 2.0


def test_limiters_are_per_credential() -> None:
    pool = TransportPool()
    rate = RateLimit(requests=5)
    one = pool.add(UpstreamConfig("omnicommerce", "http://a", {"X-Api-Key": "k1"}, rate=rate))
    same = pool.limiters.for_config(
        UpstreamConfig("omnicommerce", "http://b", {"X-Api-Key": "k1"}, rate=rate)
    )
    other = pool.limiters.for_config(
        UpstreamConfig("omnicommerce", "http://a", {"X-Api-Key": "k2"}, rate=rate)
    )
    assert one.limiter is same
    assert other is not same
    assert pool.limiters.for_config(UpstreamConfig("citrusad", "http://c")) is None


async def test_no_credential_in_errors_reprs_or_logs(
    upstream: BackgroundServer, script: Script, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    script.then(
        Response(f"bad key {SECRET}", status_code=401),
        Response(f'{{"message": "key Basic {SECRET} refused"}}', status_code=403),
        0.5,
    )
    config = _config(upstream.url, timeout=0.2, max_retries=0)
    errors: list[Exception] = []
    async with UpstreamTransport(config) as transport:
        for method in ("GET", "GET", "POST"):
            try:
                await transport.request(method, "/x")
            except Exception as exc:
                errors.append(exc)
        shown = [repr(config), repr(transport), str(transport.metrics.snapshot())]
    shown += [str(e) for e in errors] + [repr(e) for e in errors]
    shown += [str(e.extensions()) for e in errors if hasattr(e, "extensions")]
    shown.append(caplog.text)
    assert len(errors) == 3
    assert "***" in str(errors[0])
    assert not [text for text in shown if SECRET in text]


async def test_an_upstreams_4xx_text_reaches_clients_trimmed_cleaned_and_marked(
    upstream: BackgroundServer, script: Script
) -> None:
    hostile = "\x1b[2J\u202eyour order shipped\n\x00" + "z" * 1000
    script.then(Response(f'{{"message": {json.dumps(hostile)}}}', status_code=400))
    config = _config(upstream.url, max_retries=0)
    async with UpstreamTransport(config) as transport:
        with pytest.raises(UpstreamRejected) as rejected:
            await transport.request("GET", "/x")
    message = rejected.value.message
    assert message.startswith("the upstream rejected the request; the upstream said: ")
    assert "your order shipped" in message
    assert not [c for c in message if unicodedata.category(c) in ("Cc", "Cf")]
    assert message.endswith("…")
    assert len(message) < 300
