"""The gateway in production mode, through HTTP: what it refuses (before any upstream call),
what it hides, and what it tells its operators."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from gateway.observability.logs import JsonFormatter
from gateway.settings import DEMO_CITRUSAD_API_KEY, DEMO_OMNICOMMERCE_API_KEY, DEMO_PIM_TOKEN
from tests.conftest import READER_KEY, WRITER_KEY, GatewayStack, start_stack

SECRET = "s" * 40
ISSUER = "https://issuer.example"
AUDIENCE = "catalog-gateway"
JSON_HEADERS = {"Content-Type": "application/json"}


@pytest.fixture
def prod(tmp_path: Path) -> Iterator[GatewayStack]:
    running = start_stack(
        {
            "GATEWAY_DEVELOPMENT_MODE": "false",
            "GATEWAY_DATABASE": str(tmp_path / "gateway.sqlite3"),
            "GATEWAY_JWT_HS256_SECRET": SECRET,
            "GATEWAY_JWT_ISSUER": ISSUER,
            "GATEWAY_JWT_AUDIENCE": AUDIENCE,
        }
    )
    try:
        yield running
    finally:
        for server in (running.gateway, running.pim, running.omnicommerce, running.citrusad):
            server.stop()


def _token(**claims: object) -> str:
    body = {"sub": "svc", "iss": ISSUER, "aud": AUDIENCE, "exp": time.time() + 60, "scope": "read"}
    body.update(claims)
    return jwt.encode(body, SECRET, algorithm="HS256")


def _post(stack: GatewayStack, payload: object, **headers: str) -> httpx.Response:
    return httpx.post(
        stack.url,
        content=json.dumps(payload),
        headers={**JSON_HEADERS, "X-API-Key": WRITER_KEY, **headers},
        timeout=30,
    )


def _no_upstream_calls(stack: GatewayStack) -> None:
    assert stack.upstream_calls() == {"pim": 0, "omnicommerce": 0, "citrusad": 0}


PRODUCT = '{ product(tid: "DEMO-0001") { tid } }'


def test_anonymous_is_refused(prod: GatewayStack) -> None:
    answer = httpx.post(prod.url, json={"query": PRODUCT})
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    _no_upstream_calls(prod)


@pytest.mark.parametrize(
    "claims",
    [{"aud": "someone-else"}, {"iss": "https://evil.example"}, {"exp": time.time() - 3600}],
    ids=["wrong audience", "wrong issuer", "expired"],
)
def test_bad_jwts_get_one_generic_answer(prod: GatewayStack, claims: dict[str, object]) -> None:
    answer = httpx.post(
        prod.url, json={"query": PRODUCT}, headers={"Authorization": f"Bearer {_token(**claims)}"}
    )
    assert answer.status_code == 401
    assert answer.json()["errors"][0] == {
        "message": "invalid credentials",
        "extensions": {"code": "UNAUTHENTICATED"},
    }
    _no_upstream_calls(prod)


def test_a_good_jwt_reads(prod: GatewayStack) -> None:
    answer = httpx.post(
        prod.url, json={"query": PRODUCT}, headers={"Authorization": f"Bearer {_token()}"}
    )
    assert answer.status_code == 200
    assert answer.json()["data"]["product"]["tid"] == "DEMO-0001"


def test_read_only_key_cannot_write(prod: GatewayStack) -> None:
    mutation = 'mutation { deleteCommerceProducts(ids: ["A1"]) { ok } }'
    answer = _post(prod, {"query": mutation}, **{"X-API-Key": READER_KEY})
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "data" not in answer.json() or answer.json()["data"] is None
    _no_upstream_calls(prod)


def test_sixty_deep_query_is_refused(prod: GatewayStack) -> None:
    deep = (
        '{ product(tid: "DEMO-0001") { '
        + "articles { product { " * 30
        + "tid"
        + " } }" * 30
        + " } }"
    )
    answer = _post(prod, {"query": deep})
    assert answer.json()["errors"][0]["extensions"]["code"] == "MAX_DEPTH_LIMIT"
    _no_upstream_calls(prod)


def test_five_hundred_aliases_are_refused(prod: GatewayStack) -> None:
    aliases = " ".join(f"a{i}: gatewayVersion" for i in range(500))
    answer = _post(prod, {"query": "{ " + aliases + " }"})
    assert answer.json()["errors"][0]["extensions"]["code"] in (
        "MAX_ALIASES_LIMIT",
        "MAX_TOKENS_LIMIT",
    )
    _no_upstream_calls(prod)


def test_three_megabyte_body_is_413(prod: GatewayStack) -> None:
    answer = _post(prod, {"query": PRODUCT, "variables": {"x": "y" * 3_000_000}})
    assert answer.status_code == 413
    _no_upstream_calls(prod)


def test_thousand_deep_json_is_400_not_500(prod: GatewayStack) -> None:
    body = '{"query": "{ gatewayVersion }", "variables": {"x": ' + "[" * 1000 + "]" * 1000 + "}}"
    answer = httpx.post(prod.url, content=body, headers={**JSON_HEADERS, "X-API-Key": WRITER_KEY})
    assert answer.status_code == 400
    _no_upstream_calls(prod)


def test_cross_site_get_without_the_header_is_refused(prod: GatewayStack) -> None:
    answer = httpx.get(prod.url, params={"query": PRODUCT}, headers={"X-API-Key": WRITER_KEY})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "CSRF_ERROR"
    _no_upstream_calls(prod)
    allowed = httpx.get(
        prod.url,
        params={"query": PRODUCT},
        headers={"X-API-Key": WRITER_KEY, "Apollo-Require-Preflight": "true"},
    )
    assert allowed.json()["data"]["product"]["tid"] == "DEMO-0001"


def test_introspection_graphiql_and_suggestions_are_off(prod: GatewayStack) -> None:
    introspect = _post(prod, {"query": "{ __schema { types { name } } }"})
    assert "data" not in introspect.json() or introspect.json()["data"] is None
    page = httpx.get(prod.url, headers={"Accept": "text/html"})
    assert page.status_code == 404
    typo = _post(prod, {"query": '{ produkt(tid: "x") { tid } }'}).json()
    assert "Did you mean" not in json.dumps(typo)


def test_graphql_response_json_gets_400_and_no_data_for_a_parse_error(prod: GatewayStack) -> None:
    answer = _post(prod, {"query": "{ product("}, Accept="application/graphql-response+json")
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in answer.json()


def test_logs_metrics_and_errors_carry_no_secret(
    prod: GatewayStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    query = 'query Deep { product(tid: "DEMO-0001") { tid catalogProduct { gtin } } }'
    assert _post(prod, {"query": query}, **{"X-Request-Id": "req-123"}).status_code == 200
    httpx.post(
        prod.url, json={"query": PRODUCT}, headers={"Authorization": f"Bearer {_token(aud='x')}"}
    )
    line = next(r for r in caplog.records if r.getMessage() == "graphql request")
    fields = json.loads(JsonFormatter().format(line))
    assert fields["request_id"] == "req-123" and fields["operation"] == "Deep"
    assert fields["upstream_calls"] == {"pim": 1, "citrusad": 1}
    assert fields["duration_ms"] > 0 and "cache_hits" in fields
    metrics = httpx.get(f"{prod.gateway.url}/metrics").text
    assert 'gateway_requests_total{operation="Deep",outcome="ok"} 1.0' in metrics
    assert 'gateway_upstream_calls_total{endpoint="POST /pim/products/retrieve"' in metrics
    assert "gateway_cache_misses_total" in metrics and "gateway_circuit_breaker_open" in metrics
    secrets = [
        WRITER_KEY,
        READER_KEY,
        SECRET,
        DEMO_PIM_TOKEN,
        DEMO_OMNICOMMERCE_API_KEY,
        DEMO_CITRUSAD_API_KEY,
    ]
    everything = metrics + "\n".join(JsonFormatter().format(r) for r in caplog.records)
    for secret in secrets:
        assert secret not in everything


def test_unexpected_errors_are_masked_with_an_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import types

    from gateway.extensions import load_extensions
    from gateway.graphql.types.products import Product

    def boom(root: Product) -> str:
        raise RuntimeError("secret internals at /etc/passwd")

    module = types.ModuleType("ext_boom")
    module.register = lambda registry: registry.add_field("Product", "boom", boom)  # type: ignore[attr-defined]
    registry = load_extensions(modules=[module])
    running = start_stack({"GATEWAY_DATABASE": str(tmp_path / "g.sqlite3")}, registry=registry)
    try:
        answer = running.query('{ product(tid: "DEMO-0001") { tid boom } }')
    finally:
        for server in (running.gateway, running.pim, running.omnicommerce, running.citrusad):
            server.stop()
    (error,) = answer["errors"]
    assert error["message"] == "Internal server error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "passwd" not in json.dumps(answer)
    logged = [r for r in caplog.records if error["extensions"]["errorId"] in r.getMessage()]
    assert logged and logged[0].exc_info is not None


def test_readyz_reports_each_upstream(prod: GatewayStack) -> None:
    ready = httpx.get(f"{prod.gateway.url}/readyz")
    assert ready.status_code == 200
    assert set(ready.json()["upstreams"]) == {"pim", "omnicommerce", "citrusad"}
    prod.citrusad.stop()
    down = httpx.get(f"{prod.gateway.url}/readyz")
    assert down.status_code == 503
    assert down.json()["upstreams"]["citrusad"]["reachable"] is False
    assert down.json()["upstreams"]["pim"]["reachable"] is True
    assert httpx.get(f"{prod.gateway.url}/healthz").status_code == 200
