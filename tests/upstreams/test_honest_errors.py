"""Error words true to what the upstream did: an HTML page is HTML, a 503 is an answer.

Against the emulators (their ``malformed`` and ``status`` faults), and over
``httpx.MockTransport`` only for a 401 login page the PIM emulator cannot give.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.emulators.serving import BackgroundServer
from gateway.errors import (
    UpstreamBadResponse,
    UpstreamOutcomeUnknown,
    UpstreamRejected,
    UpstreamUnavailable,
)
from gateway.settings import load_settings
from gateway.upstreams import pim_xml
from gateway.upstreams.omnicommerce import OmnicommerceClient
from gateway.upstreams.pim import PimClient
from gateway.upstreams.records import Action, CommerceProduct
from gateway.upstreams.transport import (
    TransportPool,
    UpstreamConfig,
    UpstreamTransport,
    omnicommerce_config,
    pim_config,
)

LOGIN = b"""<!DOCTYPE html>
<html><head><title>Sign in</title></head><body><form action="/login">...</form></body></html>"""
HTML_READ = "the PIM answered HTML (text/html), not XML: a login page or proxy?"


@pytest.fixture
async def pim(pim_server: BackgroundServer) -> AsyncIterator[PimClient]:
    config = pim_config(load_settings({}), emulator_url=f"{pim_server.url}/api/core/v1")
    pool = TransportPool()
    yield PimClient(pool.add(dataclasses.replace(config, max_retries=0)))
    await pool.aclose()


@pytest.fixture
async def commerce(omnicommerce_server: BackgroundServer) -> AsyncIterator[OmnicommerceClient]:
    config = omnicommerce_config(
        load_settings({}), emulator_url=f"{omnicommerce_server.url}/2022-08"
    )
    pool = TransportPool()
    yield OmnicommerceClient(pool.add(dataclasses.replace(config, max_retries=0)))
    await pool.aclose()


def _login_page(server: BackgroundServer, content_type: str = "text/html") -> None:
    server.app.state.faults.set(
        malformed=1, malformed_body=LOGIN, malformed_content_type=content_type
    )


async def test_a_login_page_answering_a_read_is_called_html(
    pim: PimClient, pim_server: BackgroundServer
) -> None:
    _login_page(pim_server)
    with pytest.raises(UpstreamBadResponse) as caught:
        await pim.products_by_tid(["DEMO-0001"])
    assert caught.value.message == HTML_READ
    assert (caught.value.upstream, caught.value.status) == ("pim", 200)
    assert "DOCTYPE" not in caught.value.message


async def test_a_login_page_labelled_as_xml_is_still_called_html(
    pim: PimClient, pim_server: BackgroundServer
) -> None:
    _login_page(pim_server, "application/xml")
    with pytest.raises(UpstreamBadResponse) as caught:
        await pim.list_classifications()
    assert caught.value.message == (
        "the PIM answered HTML (application/xml), not XML: a login page or proxy?"
    )


async def test_a_login_page_answering_a_query_or_a_write_says_so(
    pim: PimClient, pim_server: BackgroundServer
) -> None:
    _login_page(pim_server)
    with pytest.raises(UpstreamBadResponse, match="answered HTML"):
        await pim.query_products(node_paths=["/Standard"])
    _login_page(pim_server)
    # A write keeps its semantics (the answer could not be read: it may have been applied),
    # and now says why.
    with pytest.raises(UpstreamOutcomeUnknown) as caught:
        await pim.perform_products([Action.delete("product", tid="DEMO-0001")])
    assert HTML_READ in caught.value.message and "may have been applied" in caught.value.message


async def test_a_401_login_page_is_a_refusal_saying_html() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, content=LOGIN, headers={"Content-Type": "text/html"})

    config = UpstreamConfig(name="pim", base_url="http://pim.test/api/core/v1")
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url=config.base_url)
    async with UpstreamTransport(config, client=http) as transport:
        with pytest.raises(UpstreamRejected) as caught:
            await PimClient(transport).list_classifications()
    assert caught.value.message == (
        "the PIM answered 401 with an HTML page, not XML: a login page or proxy?"
    )
    assert caught.value.status == 401


def test_the_codec_names_html_and_still_refuses_every_doctype() -> None:
    with pytest.raises(UpstreamBadResponse) as html:
        pim_xml.parse_document(LOGIN)
    assert html.value.message == "PIM answer: an HTML page, not XML: a login page or proxy?"
    xxe = b'<?xml version="1.0"?><!DOCTYPE pim [<!ENTITY x SYSTEM "file:///etc/passwd">]><pim/>'
    with pytest.raises(UpstreamBadResponse) as doctype:
        pim_xml.parse_document(xxe)
    assert doctype.value.message == "PIM answer: a DOCTYPE or entity declaration is not accepted"


async def test_an_omnicommerce_503_is_an_answer_with_an_unknown_outcome(
    commerce: OmnicommerceClient, omnicommerce_server: BackgroundServer
) -> None:
    omnicommerce_server.app.state.faults.set(status=503, count=1)
    item = CommerceProduct(
        id="P-1", url="https://img.example/1.jpg", detection="TOP", sales_url="https://s.example/1"
    )
    ended = await commerce.send_chunk("POST", {"products": [item.to_json()]})
    assert ended.answer is None and ended.refused is None
    unknown = ended.unknown
    assert isinstance(unknown, UpstreamUnavailable) and unknown.status == 503
    assert unknown.message == (
        "the upstream answered 503 (Service Unavailable) after receiving the request: "
        "it may or may not have been applied"
    )
    assert omnicommerce_server.app.state.log.count("POST") == 1  # sent once, never blindly again


async def test_a_pim_read_answered_503_names_the_status(
    pim: PimClient, pim_server: BackgroundServer
) -> None:
    pim_server.app.state.faults.set(status=503, count=1)
    with pytest.raises(UpstreamUnavailable) as caught:
        await pim.list_classifications()
    assert caught.value.message == "the upstream answered 503 (Service Unavailable)"


async def test_a_forwarded_header_echoed_by_an_upstream_is_scrubbed() -> None:
    # An extension may forward the caller's token; an upstream that quotes what it was sent
    # must not carry it into the error the caller (or the log) sees.
    token = "Bearer caller-secret-token-123"

    def handler(request: httpx.Request) -> httpx.Response:
        echoed = f"invalid token {request.headers['authorization']} for /users"
        return httpx.Response(403, json={"message": echoed})

    config = UpstreamConfig(name="users", base_url="http://users.test")
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url=config.base_url)
    async with UpstreamTransport(config, client=http) as transport:
        with pytest.raises(UpstreamRejected) as caught:
            await transport.request("GET", "/users", headers={"Authorization": token})
    assert "caller-secret-token-123" not in caught.value.message
    assert "***" in caught.value.message
