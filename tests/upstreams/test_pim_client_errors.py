"""PIM error answers the emulator cannot produce, over ``httpx.MockTransport``.

Also covers the transport's ``read_error`` hook, which the PIM client brought in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from lxml import etree

from gateway.errors import (
    UpstreamOutcomeUnknown,
    UpstreamRejected,
    UpstreamUnavailable,
)
from gateway.upstreams.pim import PimClient, read_pim_error
from gateway.upstreams.records import Action, PimDataType
from gateway.upstreams.transport import UpstreamConfig, UpstreamTransport

NS = "http://www.apollon.de/omn"
TOKEN = "s3cret-pim-token"
Handler = Callable[[httpx.Request], httpx.Response]


def issues(code: str, description: str, message: str) -> bytes:
    """The documented request-level error answer, built as the PIM builds it."""
    root = etree.Element(f"{{{NS}}}response", nsmap={None: NS})  # type: ignore[dict-item]
    details = etree.SubElement(root, f"{{{NS}}}details")
    etree.SubElement(details, f"{{{NS}}}itm", key="supportId").text = "3de17988"
    found = etree.SubElement(root, f"{{{NS}}}issues")
    etree.SubElement(found, f"{{{NS}}}itm", key="code").text = code
    etree.SubElement(found, f"{{{NS}}}itm", key="description").text = description
    more = etree.SubElement(found, f"{{{NS}}}itms", type="details")
    etree.SubElement(more, f"{{{NS}}}itm", key="errorMessage").text = message
    etree.SubElement(root, f"{{{NS}}}status").text = "ERROR"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class Recorder:
    """Answers every request with ``status`` and ``body``, counting the calls."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body, self.calls = status, body, 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return httpx.Response(self.status, content=self.body)


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[[Handler], PimClient]]:
    made: list[UpstreamTransport] = []

    def make(handler: Handler) -> PimClient:
        config = UpstreamConfig(
            name="pim",
            base_url="http://pim.test/api/core/v1",
            headers={"Authorization": f"Bearer {TOKEN}"},
            max_retries=2,
            backoff_initial=0.001,
            backoff_max=0.002,
            backoff_jitter=0.0,
        )
        http = httpx.AsyncClient(
            transport=httpx.MockTransport(handler),
            base_url=config.base_url,
            headers=dict(config.headers),
        )
        transport = UpstreamTransport(config, client=http)
        made.append(transport)
        return PimClient(transport)

    yield make
    for transport in made:
        await transport.aclose()


async def test_a_500_with_issues_is_unavailable_and_a_read_is_retried(
    make_client: Callable[[Handler], PimClient],
) -> None:
    upstream = Recorder(500, issues("1000", "An unknown internal error occurred", "NPE"))
    client = make_client(upstream)
    with pytest.raises(UpstreamUnavailable) as caught:
        await client.products_by_tid(["P"])
    assert caught.value.status == 500
    assert "code 1000" in caught.value.message and "NPE" in caught.value.message
    assert upstream.calls == 3  # the first try and two retries


async def test_invalid_input_is_rejected_whatever_the_status_and_never_retried(
    make_client: Callable[[Handler], PimClient],
) -> None:
    # The document lists only 500 for nodes/retrieve, yet shows 1001 answers for it.
    upstream = Recorder(500, issues("1001", "Invalid input provided", "The level should not be 0"))
    client = make_client(upstream)
    with pytest.raises(UpstreamRejected) as caught:
        await client.retrieve_child_nodes("/Standard")
    assert (caught.value.status, caught.value.upstream_code) == (500, "1001")
    assert caught.value.extensions()["upstreamCode"] == "1001"
    assert "The level should not be 0" in caught.value.message
    assert upstream.calls == 1


async def test_a_write_answered_500_is_an_unknown_outcome_sent_once(
    make_client: Callable[[Handler], PimClient],
) -> None:
    upstream = Recorder(500, issues("1000", "An unknown internal error occurred", "DB down"))
    client = make_client(upstream)
    with pytest.raises(UpstreamOutcomeUnknown) as caught:
        await client.perform_products([Action.delete(PimDataType.PRODUCT, tid="P")])
    assert caught.value.status == 500
    assert isinstance(caught.value.__cause__, UpstreamUnavailable)
    assert upstream.calls == 1


async def test_a_write_refused_with_1001_is_rejected(
    make_client: Callable[[Handler], PimClient],
) -> None:
    upstream = Recorder(400, issues("1001", "Invalid input provided", "Malformed XML"))
    client = make_client(upstream)
    with pytest.raises(UpstreamRejected) as caught:
        await client.perform_products([Action.delete(PimDataType.PRODUCT, tid="P")])
    assert (caught.value.status, caught.value.upstream_code) == (400, "1001")
    assert upstream.calls == 1


async def test_a_credential_echoed_by_the_pim_is_scrubbed(
    make_client: Callable[[Handler], PimClient],
) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        header = request.headers["authorization"]
        return httpx.Response(401, content=issues("1002", "Not authorized", f"bad {header}"))

    client = make_client(echo)
    with pytest.raises(UpstreamRejected) as caught:
        await client.list_classifications()
    assert (caught.value.status, caught.value.upstream_code) == (401, "1002")
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value.args)
    assert "***" in caught.value.message


async def test_an_error_body_that_is_not_issues_keeps_the_transports_error(
    make_client: Callable[[Handler], PimClient],
) -> None:
    upstream = Recorder(400, b"<html>Bad Request</html>")
    client = make_client(upstream)
    with pytest.raises(UpstreamRejected) as caught:
        await client.products_by_id([1])
    assert caught.value.upstream_code is None and caught.value.status == 400


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "1001", UpstreamRejected),
        (403, "1010", UpstreamRejected),
        (401, "1002", UpstreamRejected),
        (500, "1000", UpstreamUnavailable),
        (503, "1000", UpstreamUnavailable),
    ],
)
def test_read_pim_error(status: int, code: str, kind: type) -> None:
    error = read_pim_error(status, issues(code, "description", "detail"))
    assert type(error) is kind
    assert error is not None and error.status == status and error.upstream == "pim"
    assert "description; detail (support id 3de17988)" in error.message
    if isinstance(error, UpstreamRejected):
        assert error.upstream_code == code
    assert read_pim_error(status, b"emulated fault") is None
