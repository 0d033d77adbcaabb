"""The one place HTTP happens: an ``httpx.AsyncClient`` per upstream, wrapped in policy.

One call goes: breaker (fail fast) -> limiter slot (pace; held until the answer is read,
see ``_limiter``) -> send, stream, cap the body -> translate the outcome into the error
tree -> retry if that is safe.

| outcome | error | retried |
| --- | --- | --- |
| connect refused / connect timeout / no pool slot | UpstreamUnavailable / UpstreamTimeout | always: nothing was sent |
| 429 | UpstreamRateLimited(retry_after) | always: 429 means "not processed"; waits Retry-After, and the limiter pauses every caller of the key as long |
| a read would wait for the pace past ``rate_wait_budget`` | UpstreamRateLimited(retry_after=estimate), no status | never: refused before sending (writes always wait) |
| timeout or reset after sending | UpstreamTimeout / UpstreamUnavailable | idempotent calls only |
| the same, on a write | UpstreamOutcomeUnknown | never |
| 5xx | UpstreamUnavailable(status), "the upstream answered 503 (Service Unavailable)" | idempotent calls only; a 503's Retry-After is honoured |
| other 4xx | UpstreamRejected(status) | never |
| 3xx, body over the cap | UpstreamBadResponse | never |
| breaker open | CircuitOpen (an UpstreamUnavailable) | never |
| the call's deadline passed (see below) | UpstreamTimeout (UpstreamOutcomeUnknown for a write on the wire) | never |

Deadlines: a read's attempts, pacing waits, backoffs and retries together take at most the
config's ``deadline`` (each attempt gets ``min(timeout, time left)``; a retry whose backoff
would leave no time for it is not made), so a hung upstream costs a read ``deadline``, not
``attempts x timeout``. Inside a GraphQL operation every call, write or read, also ends
``ANSWER_MARGIN`` before the operation's deadline (both in ``gateway.deadlines``): its
connection is closed and the field answers UPSTREAM_TIMEOUT while the answer can still go.

``last_outcome`` keeps the latest attempt's ending (endpoint, status or failure, when): the
only evidence readiness has about an upstream it must not call, such as OMNICOMMERCE, which
has no read endpoint.

An upstream that explains its 4xx/5xx in the body (the PIM's ``<response><issues>``) passes
``read_error=`` to ``request``: it sees the status and body and may return the error to raise
instead; the table's retry rule then follows that error's class (a rejection is never retried).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json as jsonlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import httpx
import stamina

from gateway import deadlines
from gateway.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamOutcomeUnknown,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
    upstream_said,
)
from gateway.observability import tracing
from gateway.observability.request_stats import current_request
from gateway.upstreams.transport._breaker import CircuitBreaker, CircuitOpen
from gateway.upstreams.transport._config import UpstreamConfig
from gateway.upstreams.transport._limiter import LimiterRegistry, RateLimiter, SlotUnavailable
from gateway.upstreams.transport._metrics import TransportMetrics

__all__ = [
    "BeforeSend",
    "ErrorReader",
    "Outcome",
    "TransportPool",
    "UpstreamResponse",
    "UpstreamTransport",
]

_SCRUB = "gateway.scrub"  # request extension: header values to keep out of error texts
log = logging.getLogger("gateway.upstreams.transport")

BeforeSend = Callable[[], Awaitable[None]]
"""``before_send()``: awaited right before an attempt's bytes leave (after pacing)."""

ErrorReader = Callable[[int, bytes], UpstreamError | None]
"""``read_error(status, body)``: the error a non-2xx answer means, or None for the default."""

_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_BREAKER_FAILURES = (UpstreamTimeout, UpstreamUnavailable, UpstreamOutcomeUnknown)
_REASON_CHARS = 1000  # read this much; ``upstream_said`` shows at most 200 of it
# A retry is made only if this much time is left for it after its backoff.
_MIN_ATTEMPT_SECONDS = 0.1
_URLS_KEPT = 256


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    """A 2xx answer, read whole (within the cap)."""

    upstream: str
    status: int
    headers: httpx.Headers = field(repr=False)
    content: bytes = field(repr=False)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self, *, parse_float: Callable[[str], Any] | None = None) -> Any:
        """The body as JSON; ``parse_float=Decimal`` keeps prices exact."""
        try:
            return jsonlib.loads(self.content, parse_float=parse_float)
        except (ValueError, UnicodeDecodeError) as exc:
            raise UpstreamBadResponse(
                "the upstream's answer is not valid JSON",
                upstream=self.upstream,
                status=self.status,
            ) from exc


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one attempt ended: ``outcome`` is the status (``"202"``) or the failure
    (``timeout``, ``connect_error``, ``reset``, ``bad_response``, ``too_large``)."""

    endpoint: str
    outcome: str
    at: datetime


class _Failure(Exception):
    """One attempt's translated failure, with what the retry decision needs."""

    def __init__(self, error: UpstreamError, *, sent: bool, retry_after: float | None = None):
        super().__init__(error.message)
        self.error = error
        self.sent = sent
        self.retry_after = retry_after

    def backoff(self, idempotent: bool, retry_after_max: float) -> bool | float:
        """stamina's hook answer: False (give up), True (back off) or seconds to wait."""
        error = self.error
        if isinstance(
            error, CircuitOpen | UpstreamRejected | UpstreamBadResponse | UpstreamOutcomeUnknown
        ):
            return False
        # A 429 and a failed connect mean "not processed": safe to repeat even a write.
        if not (isinstance(error, UpstreamRateLimited) or not self.sent or idempotent):
            return False
        if self.retry_after is None:
            return True
        # A Retry-After beyond the cap is not waited out: the caller hears about it now.
        return self.retry_after if self.retry_after <= retry_after_max else False


class UpstreamTransport:
    """Send requests to one upstream. Build one per upstream and share it.

    ``request("POST", "/pim/products/retrieve", json=..., idempotent=True)`` marks a POST
    that only reads, so it may be retried like a GET.
    """

    def __init__(
        self,
        config: UpstreamConfig,
        *,
        client: httpx.AsyncClient | None = None,
        limiter: RateLimiter | None = None,
        breaker: CircuitBreaker | None = None,
        metrics: TransportMetrics | None = None,
    ) -> None:
        self.config = config
        self.limiter = limiter
        self.breaker = breaker or CircuitBreaker(
            config.name,
            threshold=config.breaker_threshold,
            reset_seconds=config.breaker_reset_seconds,
        )
        self.metrics = metrics or TransportMetrics()
        self.last_outcome: Outcome | None = None
        self._client = client or _make_client(config)
        self._urls: dict[str, httpx.URL] = {}

    @property
    def name(self) -> str:
        return self.config.name

    def __repr__(self) -> str:
        return f"UpstreamTransport({self.name!r}, {self.config.base_url!r})"

    async def __aenter__(self) -> UpstreamTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        endpoint: str | None = None,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        read_error: ErrorReader | None = None,
        before_send: BeforeSend | None = None,
    ) -> UpstreamResponse:
        """One logical call: attempts, pacing and retries included. ``endpoint`` labels metrics.

        ``before_send()`` is awaited after the rate limiter let an attempt through and right
        before its bytes leave (write jobs record the chunk as SENDING there); whatever it
        raises ends the call with nothing sent.
        """
        method = method.upper()
        label = endpoint or f"{method} {path}"
        if tracing.enabled():
            attributes = {"gateway.upstream": self.name, "gateway.endpoint": label}
            with tracing.span("upstream.call", attributes):
                traced = dict(headers or {})
                tracing.inject(traced)
                return await self._request(
                    method, path, label, params, json, content, traced, idempotent, read_error,
                    before_send,
                )  # fmt: skip
        return await self._request(
            method, path, label, params, json, content, headers, idempotent, read_error,
            before_send,
        )  # fmt: skip

    async def _request(
        self,
        method: str,
        path: str,
        label: str,
        params: Mapping[str, str] | None,
        json: Any,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        idempotent: bool | None,
        read_error: ErrorReader | None,
        before_send: BeforeSend | None = None,
    ) -> UpstreamResponse:
        safe = method in _READS if idempotent is None else idempotent
        request = self._client.build_request(
            method, self._url(path), params=params, json=json, content=content, headers=headers
        )
        if headers:
            # A call's own headers (an extension forwarding the caller's token) are as secret
            # as the configured credential: an upstream echoing them is scrubbed of them too.
            request.extensions[_SCRUB] = tuple(v for v in headers.values() if len(v) >= 6)
        cfg = self.config
        deadline = self._deadline(safe)
        number = 0

        def retry(exc: Exception) -> bool | float:
            if not isinstance(exc, _Failure):
                return False
            decision = exc.backoff(safe, cfg.retry_after_max)
            if deadline is None:
                return decision
            return _within(decision, number, cfg, deadline - _now())

        # The first attempt is made before stamina is set up (most calls need no other:
        # its retrying state costs about a tenth of our side of a call). A failure of it is
        # raised again as stamina's first attempt, so the retries, their waits and their
        # instrumentation are stamina's, as if it had made that attempt itself.
        try:
            return await self._attempt(request, label, safe, read_error, before_send, deadline)
        except _Failure as failure:
            first: _Failure | None = failure
        attempts = stamina.retry_context(
            on=retry,
            attempts=cfg.max_retries + 1,
            timeout=None,
            wait_initial=cfg.backoff_initial,
            wait_max=cfg.backoff_max,
            wait_jitter=cfg.backoff_jitter,
        )
        try:
            async for attempt in attempts:
                with attempt:
                    number = attempt.num
                    if first is not None:
                        failed, first = first, None
                        raise failed
                    self.metrics.retries[(self.name, label)] += 1
                    return await self._attempt(
                        request, label, safe, read_error, before_send, deadline
                    )
        except _Failure as failure:
            raise failure.error from failure.error.__cause__
        raise AssertionError("unreachable: stamina yields at least one attempt")  # pragma: no cover

    def _url(self, path: str) -> httpx.URL:
        """``path`` joined to the base URL, as httpx joins it, once per path: httpx parses and
        validates a URL string in Python, half of what building a request costs."""
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= _URLS_KEPT:  # paths with ids in them: keep the cache bounded
                self._urls.clear()
            url = self._urls[path] = self._client.build_request("GET", path).url
        return url

    def _deadline(self, safe: bool) -> float | None:
        """When this call must end (loop time): the read's own deadline, the operation's."""
        bounds: list[float] = []
        operation = deadlines.current()
        if operation is not None:
            bounds.append(operation - deadlines.ANSWER_MARGIN)
        if safe and self.config.deadline is not None:
            bounds.append(_now() + self.config.deadline)
        return min(bounds, default=None)

    async def _attempt(
        self,
        request: httpx.Request,
        label: str,
        safe: bool,
        read_error: ErrorReader | None,
        before_send: BeforeSend | None = None,
        deadline: float | None = None,
    ) -> UpstreamResponse:
        if deadline is not None and _now() >= deadline:
            self.metrics.calls[(self.name, label, "deadline")] += 1
            late = UpstreamTimeout(
                "the deadline passed before the call was sent", upstream=self.name
            )
            raise _Failure(late, sent=False)
        try:
            self.breaker.enter()
        except UpstreamUnavailable as exc:
            self._count(label, "circuit_open")
            raise _Failure(exc, sent=True) from None
        try:
            async with self._paced(label, safe, deadline):
                if before_send is not None:
                    await before_send()
                response = await self._exchange(request, label, safe, read_error, deadline)
        except _Failure as failure:
            self.breaker.record(failed=isinstance(failure.error, _BREAKER_FAILURES))
            raise
        except BaseException:
            self.breaker.abandon()
            raise
        self.breaker.record(failed=False)
        return response

    @contextlib.asynccontextmanager
    async def _paced(
        self, label: str, safe: bool, deadline: float | None = None
    ) -> AsyncIterator[None]:
        """Hold a limiter slot around one attempt, until its answer is read or it fails."""
        limiter = self.limiter
        if limiter is None:
            yield
            return
        budget = self.config.rate_wait_budget if safe else None
        left = None if deadline is None else max(0.0, deadline - _now())
        if left is not None and (budget is None or left < budget):
            budget = left
            by_deadline = True
        else:
            by_deadline = False
        try:
            async with limiter.slot(max_wait=budget) as slot:
                if slot.waited > 0.001:
                    self.metrics.limiter_waits[self.name] += 1
                    self.metrics.limiter_wait_seconds[self.name] += slot.waited
                yield
        except SlotUnavailable as refused:
            # Raised as is, not as a _Failure: stamina does not retry it; nothing was sent.
            if by_deadline:
                self.metrics.calls[(self.name, label, "deadline")] += 1
                raise UpstreamTimeout(
                    "the upstream's rate limit leaves no room for the call before its deadline",
                    upstream=self.name,
                ) from None
            self.metrics.calls[(self.name, label, "wait_budget")] += 1
            raise UpstreamRateLimited(
                f"the upstream's rate limit leaves no room within {budget} s; "
                f"retry in about {refused.retry_after:.1f} s",
                retry_after=refused.retry_after,
                upstream=self.name,
                status=None,
            ) from None
        except _Failure as failure:
            if isinstance(failure.error, UpstreamRateLimited):
                # Retry-After speaks for the key: every caller waits, not only this retry.
                limiter.pause(failure.retry_after)
            raise

    async def _exchange(
        self,
        request: httpx.Request,
        label: str,
        safe: bool,
        read_error: ErrorReader | None,
        deadline: float | None = None,
    ) -> UpstreamResponse:
        until = _now() + self.config.timeout
        if deadline is not None:
            until = min(until, deadline)
        try:
            # Cancelled at ``until``: httpx closes the connection, the upstream sees it go.
            async with asyncio.timeout_at(until):
                response = await self._client.send(request, stream=True)
                try:
                    body = await self._read_capped(response, label)
                finally:
                    await response.aclose()
        except _Failure:
            raise
        except (TimeoutError, httpx.HTTPError) as exc:
            failure = self._translate(exc, label, safe)
            raise failure from exc
        self._count(label, str(response.status_code))
        log.debug("%s %s -> %s", self.name, label, response.status_code)
        return self._judge(response, body, read_error)

    def _translate(self, exc: BaseException, label: str, safe: bool) -> _Failure:
        """An httpx (or deadline) error as the error tree; the cause is chained by the caller."""
        up = self.name
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            self._count(label, "timeout")
            return _wrap(UpstreamTimeout(upstream=up), exc, sent=False)
        if isinstance(exc, httpx.ConnectError):
            self._count(label, "connect_error")
            return _wrap(
                UpstreamUnavailable("could not connect to the upstream", upstream=up),
                exc,
                sent=False,
            )
        if isinstance(exc, TimeoutError | httpx.TimeoutException):
            self._count(label, "timeout")
            error: UpstreamError = UpstreamTimeout(upstream=up)
        elif isinstance(exc, httpx.TransportError):
            self._count(label, "reset")
            error = UpstreamUnavailable(
                "the connection broke before the answer was read", upstream=up
            )
        else:
            self._count(label, "bad_response")
            return _wrap(UpstreamBadResponse(upstream=up), exc, sent=True)
        if not safe:
            error = UpstreamOutcomeUnknown(upstream=up)
        log.warning("%s %s failed: %s", up, label, error.code)
        return _wrap(error, exc, sent=True)

    async def _read_capped(self, response: httpx.Response, label: str) -> bytes:
        """The body, or UpstreamBadResponse as soon as it passes the cap (never read whole)."""
        cap = self.config.max_response_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise self._too_large(response.status_code, label)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise self._too_large(response.status_code, label)
            chunks.append(chunk)
        # One copy at most (none for a body read in one chunk), not one per chunk and another.
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _too_large(self, status: int, label: str) -> _Failure:
        self._count(label, "too_large")
        error = UpstreamBadResponse(
            f"the upstream's answer is larger than {self.config.max_response_bytes} bytes",
            upstream=self.name,
            status=status,
        )
        return _Failure(error, sent=True)

    def _judge(
        self, response: httpx.Response, body: bytes, read_error: ErrorReader | None = None
    ) -> UpstreamResponse:
        status, up = response.status_code, self.name
        if 200 <= status < 300:
            return UpstreamResponse(up, status, response.headers, body)
        retry_after = _retry_after(response.headers.get("retry-after"))
        if status == 429:
            raise _Failure(
                UpstreamRateLimited(retry_after=retry_after, upstream=up),
                sent=True,
                retry_after=retry_after,
            )
        explained = read_error(status, body) if read_error and status >= 400 else None
        if explained is not None:
            # The reader quotes the upstream, which may echo what it was sent.
            explained.message = self._scrub(explained.message, response)
            explained.args = (explained.message,)
            raise _Failure(explained, sent=True, retry_after=retry_after if status == 503 else None)
        if status >= 500:
            # An answer did come: say which, not that there was none.
            error: UpstreamError = UpstreamUnavailable(
                _answered(status), upstream=up, status=status
            )
            raise _Failure(error, sent=True, retry_after=retry_after if status == 503 else None)
        if 300 <= status < 400:
            raise _Failure(
                UpstreamBadResponse("unexpected redirect", upstream=up, status=status), sent=True
            )
        said = upstream_said(self._scrub(_reason(body), response))
        message = f"the upstream rejected the request; {said}" if said else None
        raise _Failure(UpstreamRejected(message, upstream=up, status=status), sent=True)

    def _scrub(self, text: str, response: httpx.Response | None = None) -> str:
        """An upstream may echo what it was sent: never let a credential through."""
        sent: tuple[str, ...] = ()
        if response is not None:
            sent = response.request.extensions.get(_SCRUB, ())
        for secret in (*self.config.secrets, *sent):
            text = text.replace(secret, "***")
        return text

    def _count(self, label: str, outcome: str) -> None:
        self.metrics.calls[(self.name, label, outcome)] += 1
        if outcome != "circuit_open":  # nothing was sent: it says nothing of the upstream
            self.last_outcome = Outcome(label, outcome, datetime.now(UTC))
        stats = current_request()
        if stats is not None:
            stats.upstream_calls[self.name] += 1


class TransportPool:
    """The gateway's transports: one per upstream, sharing metrics and per-credential limiters."""

    def __init__(self, metrics: TransportMetrics | None = None) -> None:
        self.metrics = metrics or TransportMetrics()
        self.limiters = LimiterRegistry()
        self._transports: dict[str, UpstreamTransport] = {}

    def add(
        self, config: UpstreamConfig, *, client: httpx.AsyncClient | None = None
    ) -> UpstreamTransport:
        transport = UpstreamTransport(
            config, client=client, limiter=self.limiters.for_config(config), metrics=self.metrics
        )
        self._transports[config.name] = transport
        return transport

    def __getitem__(self, name: str) -> UpstreamTransport:
        return self._transports[name]

    async def aclose(self) -> None:
        for transport in self._transports.values():
            await transport.aclose()


def _now() -> float:
    return asyncio.get_running_loop().time()


def _within(decision: bool | float, number: int, cfg: UpstreamConfig, left: float) -> bool | float:
    """The retry hook's answer under a deadline ``left`` seconds away: the backoff (stamina's
    formula, computed here to know it), or False when the retry would have no time left."""
    if decision is False:
        return False
    if decision is True:
        jitter = random.uniform(0.0, cfg.backoff_jitter)
        wait = min(cfg.backoff_max, cfg.backoff_initial * 2 ** (number - 1) + jitter)
    else:
        wait = float(decision)
    return wait if wait + _MIN_ATTEMPT_SECONDS < left else False


def _make_client(config: UpstreamConfig) -> httpx.AsyncClient:
    timeout = httpx.Timeout(
        config.timeout, connect=config.connect_timeout or min(config.timeout, 5.0)
    )
    limits = httpx.Limits(
        max_connections=config.max_connections,
        max_keepalive_connections=config.max_connections,
        keepalive_expiry=30.0,
    )
    # trust_env=False: no proxy or .netrc credentials picked up behind the settings' back.
    return httpx.AsyncClient(
        base_url=config.base_url,
        headers=dict(config.headers),
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        trust_env=False,
    )


def _wrap(error: UpstreamError, cause: BaseException, *, sent: bool) -> _Failure:
    error.__cause__ = cause
    return _Failure(error, sent=sent)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _answered(status: int) -> str:
    """``the upstream answered 503 (Service Unavailable)``."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return f"the upstream answered {status}"
    return f"the upstream answered {status} ({phrase})"


def _reason(body: bytes) -> str:
    """The upstream's own short reason, from a JSON ``message``/``error`` or the text."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = jsonlib.loads(text)
    except ValueError:
        return text[:_REASON_CHARS]
    if isinstance(data, dict):
        for key in ("message", "error", "errors", "detail"):
            if isinstance(data.get(key), str):
                return str(data[key])[:_REASON_CHARS]
    return text[:_REASON_CHARS]
