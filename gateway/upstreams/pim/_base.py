"""What every PIM call shares: the transport, the error reader, batching and concurrency.

Every 2xx answer is looked at before it is parsed: an HTML page (``Content-Type: text/html``,
or a body that starts as one) is what a login page or a proxy in front of the PIM answers,
and is reported so (UpstreamBadResponse, "the PIM answered HTML (text/html), not XML: a login
page or proxy?") rather than as whatever the XML parser would trip on first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from gateway.errors import UpstreamBadResponse, UpstreamOutcomeUnknown, UpstreamUnavailable
from gateway.upstreams import pim_xml
from gateway.upstreams.records import PimIdList, PimItemResponse
from gateway.upstreams.transport import UpstreamResponse, UpstreamTransport

from ._errors import UPSTREAM, read_pim_error

__all__ = ["DEFAULT_BATCH_SIZE", "PimBase", "on_flags"]

DEFAULT_BATCH_SIZE = 100
_JSON = {"Accept": "application/json"}
_XML = {"Accept": "application/xml"}
_XML_BODY = {"Content-Type": "application/xml; charset=UTF-8", "Accept": "application/xml"}
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")
T = TypeVar("T")


class PimBase:
    """The OMN PIM over one ``UpstreamTransport`` (its base URL ends in ``/api/core/v1``).

    ``batch_size`` caps the keys of one retrieve call (the PIM documents no limit; the
    settings' ``pim_batch_size``); ``max_concurrency`` caps the calls of one read in flight.
    """

    def __init__(
        self,
        transport: UpstreamTransport,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_concurrency: int = 4,
    ) -> None:
        if batch_size < 1 or max_concurrency < 1:
            raise ValueError("batch_size and max_concurrency must be at least 1")
        self.transport = transport
        self.batch_size = batch_size
        self.max_concurrency = max_concurrency

    # --- plumbing ------------------------------------------------------------------------------

    async def _get(self, path: str) -> UpstreamResponse:
        return _not_html(
            await self.transport.request(
                "GET", path, headers=_XML, endpoint=f"GET {path}", read_error=read_pim_error
            )
        )

    async def _read(self, path: str, body: Mapping[str, Any]) -> UpstreamResponse:
        """A retrieve: a POST that only reads, so the transport may retry it."""
        answer = await self.transport.request(
            "POST",
            path,
            json=body,
            headers=_XML,
            endpoint=f"POST {path}",
            idempotent=True,
            read_error=read_pim_error,
        )
        return _not_html(answer)

    async def _query(self, path: str, body: Mapping[str, Any]) -> PimIdList:
        answer = await self.transport.request(
            "POST",
            path,
            json=body,
            headers=_JSON,
            endpoint=f"POST {path}",
            idempotent=True,
            read_error=read_pim_error,
        )
        return pim_xml.parse_id_list(_not_html(answer).content)

    async def _write(self, path: str, body: bytes) -> list[PimItemResponse]:
        """A persist or perform: sent once, never retried blindly (the transport knows)."""
        try:
            answer = await self.transport.request(
                "POST",
                path,
                content=body,
                headers=_XML_BODY,
                endpoint=f"POST {path}",
                idempotent=False,
                read_error=read_pim_error,
            )
        except UpstreamUnavailable as exc:
            if exc.status is None or exc.status < 500:
                raise  # not sent, or the breaker is open: nothing was written
            # The PIM saves item by item: a 5xx may come after some items were saved.
            raise UpstreamOutcomeUnknown(
                f"the PIM failed during the write ({exc.message}); some items may have been saved",
                upstream=UPSTREAM,
                status=exc.status,
            ) from exc
        try:
            return list(pim_xml.parse_responses(_not_html(answer).content))
        except UpstreamBadResponse as exc:
            raise UpstreamOutcomeUnknown(
                f"the PIM's answer to the write could not be read ({exc.message}); "
                "it may have been applied",
                upstream=UPSTREAM,
                status=answer.status,
            ) from exc

    async def _gather(self, calls: Iterable[Awaitable[T]]) -> list[T]:
        """Run ``calls`` at most ``max_concurrency`` at a time; the first failure is raised."""
        pending = list(calls)
        if len(pending) == 1:
            # The usual read (at most one batch of keys): no gate, task or gather to pay for.
            return [await pending[0]]
        gate = asyncio.Semaphore(self.max_concurrency)

        async def gated(call: Awaitable[T]) -> T:
            async with gate:
                return await call

        # return_exceptions: every call settles before we raise, so none is left unawaited.
        results = await asyncio.gather(*(gated(c) for c in pending), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results  # type: ignore[return-value]

    async def _batched(
        self, keys: Sequence[K], call: Callable[[list[K]], Awaitable[list[R]]]
    ) -> list[R]:
        """Distinct ``keys`` in calls of at most ``batch_size``, concurrently; records merged."""
        distinct = list(dict.fromkeys(keys))
        size = self.batch_size
        chunks = [distinct[at : at + size] for at in range(0, len(distinct), size)]
        answers = await self._gather(call(chunk) for chunk in chunks)
        return [record for answer in answers for record in answer]


def _not_html(answer: UpstreamResponse) -> UpstreamResponse:
    """``answer``, unless it is an HTML page: then UpstreamBadResponse saying so."""
    media = answer.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in _HTML_TYPES or pim_xml.looks_like_html(answer.content):
        raise UpstreamBadResponse(
            f"the PIM answered HTML ({media or 'no content type'}), not XML: "
            "a login page or proxy?",
            upstream=UPSTREAM,
            status=answer.status,
        )
    return answer


def on_flags(**flags: bool) -> dict[str, Any]:
    """Only the flags that are on: the documented bodies leave the others out."""
    return {name: True for name, on in flags.items() if on}
