"""Extension loaders (``registry.add_loader``), through the N+1 example in ``examples/nplus1.py``:
the gateway over loopback in front of the JSON REST emulator of ``bench/nplus1_upstream.py``,
upstream calls counted from that emulator's request log."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

import examples.nplus1
from bench.nplus1_upstream import POSTS, USERS, create_app
from gateway.emulators.serving import BackgroundServer
from gateway.extension_loaders import ExtensionUpstream, UpstreamCalls
from gateway.extensions import ExtensionError, ExtensionRegistry, load_extensions
from tests.conftest import GatewayStack, start_stack

QUERY = "{ posts { title user { name } } }"


@pytest.fixture
def posts_api() -> Iterator[BackgroundServer]:
    server = BackgroundServer(create_app()).start()
    try:
        yield server
    finally:
        server.stop()


def _token_forwarding() -> ModuleType:
    """The example, with the caller's ``X-Posts-Token`` passed on to the API."""
    module = ModuleType("token_forwarding_posts")

    def register(registry: ExtensionRegistry) -> None:
        api = replace(examples.nplus1.upstream(), forward_headers=("x-posts-token",))
        examples.nplus1.add_posts(registry, api)

    module.register = register  # type: ignore[attr-defined]
    return module


def _stack(
    posts_api: BackgroundServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    extension: ModuleType = examples.nplus1,
    **env: str,
) -> Iterator[GatewayStack]:
    monkeypatch.setenv("NPLUS1_UPSTREAM_URL", posts_api.url)
    registry = load_extensions(modules=[extension])
    running = start_stack({"GATEWAY_DATABASE": str(tmp_path / "gw.sqlite3"), **env}, registry)
    try:
        yield running
    finally:
        for server in (running.gateway, running.pim, running.omnicommerce, running.citrusad):
            server.stop()


@pytest.fixture
def stack(
    posts_api: BackgroundServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GatewayStack]:
    yield from _stack(posts_api, tmp_path, monkeypatch)


@pytest.fixture
def uncached_stack(
    posts_api: BackgroundServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GatewayStack]:
    """The shared cache off: what is left across requests is single flight."""
    yield from _stack(posts_api, tmp_path, monkeypatch, GATEWAY_CACHE_ENABLED="false")


@pytest.fixture
def forwarding_stack(
    posts_api: BackgroundServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GatewayStack]:
    yield from _stack(posts_api, tmp_path, monkeypatch, _token_forwarding())


def _calls(api: BackgroundServer) -> list[tuple[str, str]]:
    return [(e.path, e.query) for e in api.app.state.log.entries()]


def _expected() -> dict[str, Any]:
    names = {user["id"]: user["name"] for user in USERS}
    posts = [{"title": p["title"], "user": {"name": names[p["userId"]]}} for p in POSTS]
    return {"data": {"posts": posts}}


def test_the_example_answers_with_two_calls(
    stack: GatewayStack, posts_api: BackgroundServer
) -> None:
    assert stack.query(QUERY) == _expected()
    users_query = "&".join(f"id={i}" for i in range(1, 11))
    assert sorted(_calls(posts_api)) == [("/posts", ""), ("/users", users_query)]


def test_a_second_request_is_served_from_the_shared_cache(
    stack: GatewayStack, posts_api: BackgroundServer
) -> None:
    stack.query(QUERY)
    assert stack.query(QUERY) == _expected()
    assert len(_calls(posts_api)) == 2


def test_concurrent_requests_share_the_calls_in_flight(
    uncached_stack: GatewayStack, posts_api: BackgroundServer
) -> None:
    # Each call takes a second at the upstream: the requests overlap, and every key a request
    # needs is already being loaded for another one.
    posts_api.app.state.faults.set(latency=1.0)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: uncached_stack.query(QUERY), range(8)))
    assert answers == [_expected()] * 8
    calls = _calls(posts_api)
    assert len(calls) <= 4, calls  # 16 if each request called for itself
    # The cache is really off: alone, a request calls again.
    posts_api.app.state.faults.clear()
    posts_api.app.state.log.clear()
    uncached_stack.query(QUERY)
    assert len(_calls(posts_api)) == 2


def test_answers_are_kept_per_caller_token(
    forwarding_stack: GatewayStack, posts_api: BackgroundServer
) -> None:
    stack = forwarding_stack
    log = posts_api.app.state.log

    def tokens_sent() -> list[str | None]:
        sent = [e.headers.get("x-posts-token") for e in log.entries()]
        log.clear()
        return sent

    assert stack.query(QUERY, **{"X-Posts-Token": "alpha"}) == _expected()
    assert tokens_sent() == ["alpha", "alpha"]
    stack.query(QUERY, **{"X-Posts-Token": "beta"})
    assert tokens_sent() == ["beta", "beta"]  # alpha's answers are not beta's
    stack.query(QUERY, **{"X-Posts-Token": "alpha"})
    assert tokens_sent() == []
    stack.query(QUERY)
    assert tokens_sent() == [None, None]


def test_an_upstream_failure_fails_the_field_with_its_code(
    stack: GatewayStack, posts_api: BackgroundServer
) -> None:
    posts_api.app.state.faults.set(status=503, count=100)
    answer = stack.query(QUERY)
    assert answer["data"] is None
    codes = {e["extensions"]["code"] for e in answer["errors"]}
    assert codes == {"UPSTREAM_UNAVAILABLE"}
    assert len(_calls(posts_api)) == 3  # a read is tried again twice (max_retries)
    assert "nplus1" in str(answer["errors"][0]["extensions"])


def test_calls_are_counted_in_the_metrics_and_the_request_log(
    stack: GatewayStack, posts_api: BackgroundServer
) -> None:
    stack.query(QUERY)
    metrics = httpx.get(f"{stack.gateway.url}/metrics", timeout=10).text
    lines = [line for line in metrics.splitlines() if 'upstream="nplus1"' in line]
    assert any('endpoint="GET /users"' in line and line.endswith(" 1.0") for line in lines)


async def _nothing(keys: list[Any], api: UpstreamCalls) -> list[Any]:
    return [None for _ in keys]


def test_loaders_are_checked_when_they_are_added() -> None:
    registry = ExtensionRegistry()
    api = ExtensionUpstream("mine", "http://127.0.0.1:1")
    registry.add_loader("things", _nothing, upstream=api)
    with pytest.raises(ExtensionError, match="added twice"):
        registry.add_loader("things", _nothing, upstream=api)
    with pytest.raises(ExtensionError, match="the gateway's own"):
        registry.add_loader("products", _nothing, upstream=ExtensionUpstream("pim", "http://x"))
    with pytest.raises(ExtensionError, match="declared twice"):
        registry.add_loader("others", _nothing, upstream=ExtensionUpstream("mine", "http://y"))


def test_loaded_fields_are_checked_when_they_are_added() -> None:
    registry = ExtensionRegistry()
    with pytest.raises(ExtensionError, match="key= and graphql_type="):
        registry.add_field("Product", "maker", loader="makers", graphql_type=str)
    with pytest.raises(ExtensionError, match="key= and graphql_type="):
        registry.add_field("Product", "maker", loader="makers", key="tid")
    with pytest.raises(ExtensionError, match="needs a resolver"):
        registry.add_field("Product", "maker")
    registry.add_field("Product", "maker", loader="makers", key="tid", graphql_type=str | None)
    assert [added.field.python_name for added in registry.fields] == ["maker"]
