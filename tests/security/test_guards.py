from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.emulators.serving import BackgroundServer
from gateway.security.cors import security_middleware
from gateway.security.guards import is_csrf_safe, json_depth
from gateway.settings import Settings

JSON = {"content-type": "application/json"}


def _app(settings: Settings) -> Starlette:
    """A stand-in GraphQL endpoint that records what reached it."""
    seen: list[bytes] = []

    async def graphql(request: Request) -> JSONResponse:
        body = await request.body()
        seen.append(body)
        return JSONResponse({"data": {"received": len(body)}})

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET", "POST"]),
        ],
        middleware=security_middleware(settings),
    )
    app.state.seen = seen
    return app


def _serve(settings: Settings) -> Iterator[BackgroundServer]:
    server = BackgroundServer(_app(settings)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server() -> Iterator[BackgroundServer]:
    yield from _serve(Settings(cors_allow_origins=("https://shop.example",)))


@pytest.fixture
def batching_server() -> Iterator[BackgroundServer]:
    yield from _serve(Settings(batching_enabled=True, max_batch_size=3))


def _refused(answer: httpx.Response, status: int, code: str, server: BackgroundServer) -> None:
    assert answer.status_code == status
    (error,) = answer.json()["errors"]
    assert error["extensions"] == {"code": code}
    assert "data" not in answer.json()
    assert server.app.state.seen == []  # the endpoint never ran


# --- body size ------------------------------------------------------------------------------


def test_three_megabyte_body_is_413(server: BackgroundServer) -> None:
    body = json.dumps({"query": "{ a }", "variables": {"x": "y" * 3_000_000}})
    answer = httpx.post(f"{server.url}/graphql", content=body, headers=JSON)
    _refused(answer, 413, "PAYLOAD_TOO_LARGE", server)


def test_streamed_body_without_length_is_cut_at_the_limit(server: BackgroundServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ a }", "variables": {"x": "'
        for _ in range(300):
            yield b"y" * 10_000
        yield b'"}}'

    answer = httpx.post(f"{server.url}/graphql", content=chunks(), headers=JSON)
    _refused(answer, 413, "PAYLOAD_TOO_LARGE", server)


def test_body_under_the_limit_reaches_the_endpoint_intact(server: BackgroundServer) -> None:
    body = json.dumps({"query": "{ a }", "variables": {"x": "y" * 1_000_000}}).encode()
    answer = httpx.post(f"{server.url}/graphql", content=body, headers=JSON)
    assert answer.json() == {"data": {"received": len(body)}}
    assert server.app.state.seen == [body]


# --- JSON depth -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "[" * 1000 + "]" * 1000,
        '{"a":' * 1000 + "1" + "}" * 1000,
        '{"query": "{ a }", "variables": ' + '{"a":' * 1000 + "1" + "}" * 1001,
        "[" * 100_000,  # not even valid JSON: still 400, never a 500
    ],
    ids=["array", "object", "variables", "unclosed"],
)
def test_deep_json_is_400_not_500(server: BackgroundServer, body: str) -> None:
    answer = httpx.post(f"{server.url}/graphql", content=body, headers=JSON)
    _refused(answer, 400, "JSON_TOO_DEEP", server)


def test_deep_variables_in_a_get_query_string_are_refused(server: BackgroundServer) -> None:
    params = {"query": "{ a }", "variables": '{"a":' * 200 + "1" + "}" * 200}
    answer = httpx.get(f"{server.url}/graphql", params=params, headers=JSON)
    _refused(answer, 400, "JSON_TOO_DEEP", server)


@pytest.mark.parametrize(
    ("data", "depth"),
    [
        (b'{"query": "{ a { b { c } } }"}', 1),
        (b'[[1], {"a": [2]}]', 3),
        (b'{"s": "\\"[[[[\\\\"}', 1),
        (b"[" * 1000, 1000),
        (b"", 0),
    ],
)
def test_json_depth(data: bytes, depth: int) -> None:
    assert json_depth(data) == depth


# --- batching -------------------------------------------------------------------------------


def test_batches_are_refused_unless_enabled(server: BackgroundServer) -> None:
    body = json.dumps([{"query": "{ a }"}, {"query": "{ b }"}])
    answer = httpx.post(f"{server.url}/graphql", content=body, headers=JSON)
    _refused(answer, 400, "BATCHING_NOT_ENABLED", server)


def test_enabled_batches_are_capped(batching_server: BackgroundServer) -> None:
    url = f"{batching_server.url}/graphql"
    small = json.dumps([{"query": "{ a }"}] * 3)
    assert httpx.post(url, content=small, headers=JSON).status_code == 200
    batching_server.app.state.seen.clear()
    big = json.dumps([{"query": "{ a }"}] * 4)
    _refused(httpx.post(url, content=big, headers=JSON), 400, "BATCH_TOO_LARGE", batching_server)


# --- CSRF -----------------------------------------------------------------------------------


def test_cross_site_get_without_a_header_is_refused(server: BackgroundServer) -> None:
    answer = httpx.get(f"{server.url}/graphql", params={"query": "{ a }"})
    _refused(answer, 400, "CSRF_ERROR", server)
    assert "Cross-Site Request Forgery" in answer.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {"apollo-require-preflight": "true"},
        {"x-apollo-operation-name": "Products"},
        {"content-type": "application/json"},
    ],
)
def test_get_with_a_preflight_forcing_header_passes(
    server: BackgroundServer, headers: dict[str, str]
) -> None:
    answer = httpx.get(f"{server.url}/graphql", params={"query": "{ a }"}, headers=headers)
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "Text/Plain",
    ],
)
def test_simple_content_type_post_is_refused(server: BackgroundServer, content_type: str) -> None:
    answer = httpx.post(
        f"{server.url}/graphql",
        content=b'{"query": "{ a }"}',
        headers={"content-type": content_type},
    )
    _refused(answer, 400, "CSRF_ERROR", server)


def test_json_post_passes(server: BackgroundServer) -> None:
    answer = httpx.post(f"{server.url}/graphql", json={"query": "{ a }"})
    assert answer.status_code == 200 and len(server.app.state.seen) == 1


def test_empty_required_header_does_not_count(server: BackgroundServer) -> None:
    answer = httpx.get(
        f"{server.url}/graphql", params={"query": "{ a }"}, headers={"apollo-require-preflight": ""}
    )
    _refused(answer, 400, "CSRF_ERROR", server)


@pytest.mark.parametrize(
    ("content_types", "headers", "safe"),
    [
        (["application/json"], {}, True),
        (["application/graphql-response+json; charset=utf-8"], {}, True),
        (["text/plain"], {}, False),
        ([], {}, False),
        (["not a mime type"], {}, False),
        (["application/json", "text/plain"], {}, False),  # joined, as the router does
        (["text/plain"], {"x-my-csrf": "1"}, True),
    ],
)
def test_is_csrf_safe(content_types: list[str], headers: dict[str, str], safe: bool) -> None:
    assert is_csrf_safe(content_types, headers, ("x-my-csrf",)) is safe


def test_configured_required_header() -> None:
    settings = Settings(csrf_required_headers=("x-gateway-csrf",))
    for server in _serve(settings):
        url = f"{server.url}/graphql"
        assert (
            httpx.get(url, params={"query": "{ a }"}, headers={"x-gateway-csrf": "1"}).status_code
            == 200
        )
        refused = httpx.get(
            url, params={"query": "{ a }"}, headers={"apollo-require-preflight": "1"}
        )
        assert refused.status_code == 400


def test_other_paths_are_not_guarded(server: BackgroundServer) -> None:
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    big = b"[" * 5000
    assert (
        httpx.post(
            f"{server.url}/healthz", content=big, headers={"content-type": "text/plain"}
        ).status_code
        == 200
    )


# --- CORS -----------------------------------------------------------------------------------


def test_cors_preflight_for_an_allowed_origin(server: BackgroundServer) -> None:
    answer = httpx.options(
        f"{server.url}/graphql",
        headers={
            "origin": "https://shop.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, apollo-require-preflight, x-api-key",
        },
    )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "https://shop.example"


def test_cors_refuses_other_origins_and_refusals_still_carry_cors(server: BackgroundServer) -> None:
    preflight = httpx.options(
        f"{server.url}/graphql",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    refused = httpx.get(
        f"{server.url}/graphql",
        params={"query": "{ a }"},
        headers={"origin": "https://shop.example"},
    )
    assert refused.status_code == 400
    assert refused.headers["access-control-allow-origin"] == "https://shop.example"


def test_no_cors_without_origins() -> None:
    for server in _serve(Settings()):
        answer = httpx.post(
            f"{server.url}/graphql",
            json={"query": "{ a }"},
            headers={"origin": "https://shop.example"},
        )
        assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers
