"""Faults no loopback server makes on demand (resets, truncated bodies), and the config."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from gateway.errors import UpstreamOutcomeUnknown, UpstreamUnavailable
from gateway.settings import DEMO_OMNICOMMERCE_API_KEY, load_settings
from gateway.upstreams.transport import (
    UpstreamConfig,
    UpstreamTransport,
    citrusad_config,
    omnicommerce_config,
    pim_config,
)
from gateway.upstreams.transport._transport import _retry_after

Handler = Callable[[httpx.Request], httpx.Response]


def _transport(handler: Handler, **changes: object) -> tuple[UpstreamTransport, list[str]]:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        return handler(request)

    config = UpstreamConfig(
        "citrusad", "http://upstream.test", backoff_initial=0.01, backoff_max=0.02, **changes
    )  # type: ignore[arg-type]
    client = httpx.AsyncClient(base_url=config.base_url, transport=httpx.MockTransport(record))
    return UpstreamTransport(config, client=client), seen


def _reset(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadError("connection reset by peer", request=request)


class _Truncated(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"catalogProducts": ['
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


def _truncated(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, stream=_Truncated())


async def test_write_reset_after_sending_is_unknown_and_not_retried() -> None:
    transport, seen = _transport(_reset)
    with pytest.raises(UpstreamOutcomeUnknown) as caught:
        await transport.request("POST", "/v1/catalog-products", json={})
    assert seen == ["POST"]
    assert isinstance(caught.value.__cause__, httpx.ReadError)


async def test_read_reset_is_retried_then_unavailable() -> None:
    transport, seen = _transport(_reset, max_retries=2)
    with pytest.raises(UpstreamUnavailable):
        await transport.request("GET", "/v1/x")
    assert seen == ["GET"] * 3


async def test_read_reset_once_then_answered() -> None:
    answers = iter([_reset, lambda r: httpx.Response(200, json={"ok": True})])
    transport, seen = _transport(lambda request: next(answers)(request))
    assert (await transport.request("GET", "/v1/x")).json() == {"ok": True}
    assert len(seen) == 2


async def test_truncated_body_on_a_write_is_unknown() -> None:
    transport, seen = _transport(_truncated)
    with pytest.raises(UpstreamOutcomeUnknown):
        await transport.request("POST", "/v1/catalog-products", json={})
    assert seen == ["POST"]


async def test_truncated_body_on_a_read_is_retried() -> None:
    transport, seen = _transport(_truncated, max_retries=1)
    with pytest.raises(UpstreamUnavailable):
        await transport.request("GET", "/v1/x")
    assert len(seen) == 2


async def test_malformed_json_is_a_bad_response() -> None:
    from gateway.errors import UpstreamBadResponse

    transport, _ = _transport(lambda r: httpx.Response(200, content=b"{broken"))
    answer = await transport.request("GET", "/v1/x")
    with pytest.raises(UpstreamBadResponse):
        answer.json()


@pytest.mark.parametrize(
    ("header", "expected"),
    [("3", 3.0), ("0.5", 0.5), ("-2", 0.0), (None, None), ("soon", None)],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert _retry_after(header) == expected


def test_retry_after_http_date_in_the_past_is_zero() -> None:
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_configs_from_settings_use_demo_credentials_only_for_emulators() -> None:
    emulated = load_settings({"GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "3"})
    config = omnicommerce_config(emulated, emulator_url="http://127.0.0.1:1")
    assert config.headers == {"X-Api-Key": DEMO_OMNICOMMERCE_API_KEY}
    assert (config.timeout, config.rate and config.rate.requests) == (3.0, 5)

    real = load_settings(
        {
            "GATEWAY_OMNICOMMERCE_URL": "https://omni.example/2022-08",
            "GATEWAY_OMNICOMMERCE_API_KEY": "real-key-123456",
            "GATEWAY_CITRUSAD_URL": "https://citrus.example",
            "GATEWAY_CITRUSAD_API_KEY": "citrus-key-123456",
            "GATEWAY_CITRUSAD_TEAM_ID": "team-1",
        }
    )
    config = omnicommerce_config(real, emulator_url="http://127.0.0.1:1")
    assert config.base_url == "https://omni.example/2022-08"
    assert config.headers == {"X-Api-Key": "real-key-123456"}
    assert "real-key" not in repr(config)
    assert citrusad_config(real).headers == {"Authorization": "Basic citrus-key-123456"}
    assert citrusad_config(real).rate is None
    with pytest.raises(ValueError, match="no URL"):
        pim_config(emulated)


def test_credential_scope_is_stable_and_one_way() -> None:
    one = UpstreamConfig("omnicommerce", "http://a", {"X-Api-Key": "secret-1"})
    again = UpstreamConfig("omnicommerce", "http://b", {"X-Api-Key": "secret-1"})
    other = UpstreamConfig("omnicommerce", "http://a", {"X-Api-Key": "secret-2"})
    assert one.credential_scope == again.credential_scope != other.credential_scope
    assert "secret" not in one.credential_scope


async def test_urls_joined_once_per_path_are_the_ones_httpx_joins() -> None:
    urls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        return httpx.Response(200, json={})

    config = UpstreamConfig("citrusad", "http://upstream.test/base")
    client = httpx.AsyncClient(base_url=config.base_url, transport=httpx.MockTransport(answer))
    transport = UpstreamTransport(config, client=client)
    for path, params in [
        ("/v1/catalog-products/c1/4000000000015", None),
        ("/v1/catalog-products/c1/4000000000015", {"teamId": "t 1"}),
        ("/v1/catalog-products/c1/4000000000015", None),
        ("v1/relative?x=1", None),
    ]:
        await transport.request("GET", path, params=params)
    assert urls == [
        "http://upstream.test/base/v1/catalog-products/c1/4000000000015",
        "http://upstream.test/base/v1/catalog-products/c1/4000000000015?teamId=t+1",
        "http://upstream.test/base/v1/catalog-products/c1/4000000000015",
        "http://upstream.test/base/v1/relative?x=1",
    ]
