"""Persisted operations over HTTP: Apollo's automatic persisted queries (in memory and in
Redis), trusted documents from a manifest, and the manifest ``gateway operations`` writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from gateway.http.persisted import MemoryQueryStore, persisted_operations
from gateway.operations_manifest import (
    DEFAULT_SOURCES,
    ManifestError,
    build_manifest,
    load_manifest,
    manifest_json,
    operations,
    sha256_hex,
)
from gateway.settings import SettingsError, load_settings
from tests.conftest import WRITER_KEY, GatewayStack, start_stack
from tests.shared.conftest import redis_server_url, redis_url  # noqa: F401 (fixtures)

READ = '{ product(tid: "DEMO-0002") { tid name } }'
READ_HASH = sha256_hex(READ)
HEADERS = {"X-API-Key": WRITER_KEY}
# A GET has no JSON Content-Type, so CSRF prevention asks for this header (as Apollo's does).
GET_HEADERS = {**HEADERS, "apollo-require-preflight": "true"}
NONE_CALLED = {"pim": 0, "omnicommerce": 0, "citrusad": 0}


def _extension(sha: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha}}


def _post(stack: GatewayStack, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(stack.url, json=body, headers=HEADERS, timeout=60)


def _get(stack: GatewayStack, **params: Any) -> httpx.Response:
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return httpx.get(stack.url, params=encoded, headers=GET_HEADERS, timeout=60)


def _code(answer: httpx.Response) -> str:
    code: str = answer.json()["errors"][0]["extensions"]["code"]
    return code


def _stop(*stacks: GatewayStack) -> None:
    for stack in stacks:
        for server in (stack.gateway, stack.pim, stack.omnicommerce, stack.citrusad):
            server.stop()


# --- automatic persisted queries ----------------------------------------------------------


def test_a_hash_alone_is_not_found_then_registered_with_its_query(stack: GatewayStack) -> None:
    unknown = _post(stack, {"extensions": _extension(READ_HASH)})
    assert unknown.status_code == 200, unknown.text
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert _code(unknown) == "PERSISTED_QUERY_NOT_FOUND"
    assert "no-cache" in unknown.headers["cache-control"]
    assert "data" not in unknown.json()
    assert stack.upstream_calls() == NONE_CALLED

    registered = _post(stack, {"query": READ, "extensions": _extension(READ_HASH)})
    assert registered.status_code == 200, registered.text
    assert registered.json() == {
        "data": {"product": {"tid": "DEMO-0002", "name": "Demo product 002"}}
    }

    by_hash = _post(stack, {"extensions": _extension(READ_HASH)})
    assert by_hash.status_code == 200, by_hash.text
    assert by_hash.json() == registered.json()


def test_the_get_form(stack: GatewayStack) -> None:
    query = "query One($t: String!) { product(tid: $t) { tid } }"
    sha = sha256_hex(query)
    variables = {"t": "DEMO-0001"}
    unknown = _get(stack, extensions=_extension(sha), variables=variables)
    assert unknown.status_code == 200, unknown.text
    assert _code(unknown) == "PERSISTED_QUERY_NOT_FOUND"

    registered = _get(stack, query=query, extensions=_extension(sha), variables=variables)
    assert registered.json() == {"data": {"product": {"tid": "DEMO-0001"}}}
    by_hash = _get(stack, extensions=_extension(sha), variables={"t": "DEMO-0003"})
    assert by_hash.json() == {"data": {"product": {"tid": "DEMO-0003"}}}


def test_a_wrong_hash_is_refused_and_nothing_is_stored(stack: GatewayStack) -> None:
    other = sha256_hex(READ + " ")
    refused = _post(stack, {"query": READ, "extensions": _extension(other)})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"] == "provided sha does not match query"
    assert _code(refused) == "PERSISTED_QUERY_HASH_MISMATCH"
    assert stack.upstream_calls() == NONE_CALLED
    assert _code(_post(stack, {"extensions": _extension(other)})) == "PERSISTED_QUERY_NOT_FOUND"


def test_an_unknown_version_or_a_malformed_hash_is_a_bad_request(stack: GatewayStack) -> None:
    version_2 = _post(stack, {"query": READ, "extensions": _extension(READ_HASH, version=2)})
    assert version_2.status_code == 400
    assert version_2.json()["errors"][0]["message"] == "Unsupported persisted query version"
    malformed = _post(stack, {"extensions": _extension("not-a-hash")})
    assert malformed.status_code == 400
    assert _code(malformed) == "BAD_REQUEST"


def test_an_operation_that_fails_validation_is_not_registered(stack: GatewayStack) -> None:
    invalid = "{ product(tid: 1) { noSuchField } }"
    sha = sha256_hex(invalid)
    answer = _post(stack, {"query": invalid, "extensions": _extension(sha)})
    assert answer.json()["errors"]
    assert _code(_post(stack, {"extensions": _extension(sha)})) == "PERSISTED_QUERY_NOT_FOUND"


def test_a_request_with_neither_query_nor_hash_is_still_refused(stack: GatewayStack) -> None:
    answer = _post(stack, {"variables": {}})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["message"] == "The 'query' parameter is missing."


def test_two_gateways_on_one_redis_share_registrations(
    tmp_path: Path,
    redis_url: str,  # noqa: F811
    redis_server_url: str,  # noqa: F811
) -> None:
    first = start_stack(
        {"GATEWAY_DATABASE": str(tmp_path / "a.sqlite3"), "GATEWAY_REDIS_URL": redis_url}
    )
    second = start_stack(
        {"GATEWAY_DATABASE": str(tmp_path / "b.sqlite3"), "GATEWAY_REDIS_URL": redis_url}
    )
    try:
        assert _code(_post(second, {"extensions": _extension(READ_HASH)})) == (
            "PERSISTED_QUERY_NOT_FOUND"
        )
        registered = _post(first, {"query": READ, "extensions": _extension(READ_HASH)})
        assert registered.json()["data"]["product"]["tid"] == "DEMO-0002"
        found = _post(second, {"extensions": _extension(READ_HASH)})
        assert found.status_code == 200, found.text
        assert found.json() == registered.json()
        # Under this deployment's key prefix, kept a long time (30 days from the last use).
        prefix = parse_qs(urlsplit(redis_url).query)["key_prefix"][0]
        with redis.Redis.from_url(redis_server_url) as client:
            assert client.get(f"{prefix}:apq:{READ_HASH}") == READ.encode()
            assert client.ttl(f"{prefix}:apq:{READ_HASH}") > 29 * 24 * 3600
            client.delete(f"{prefix}:apq:{READ_HASH}")
    finally:
        _stop(first, second)


# --- trusted documents --------------------------------------------------------------------


@pytest.fixture
def manifest_path(tmp_path: Path) -> Path:
    path = tmp_path / "operations.json"
    path.write_text(manifest_json(build_manifest()), encoding="utf-8")
    return path


@pytest.fixture
def trusted(tmp_path: Path, manifest_path: Path) -> Iterator[GatewayStack]:
    """A production gateway that runs only the example operations' manifest."""
    running = start_stack(
        {
            "GATEWAY_DATABASE": str(tmp_path / "gateway.sqlite3"),
            "GATEWAY_DEVELOPMENT_MODE": "false",
            "GATEWAY_TRUSTED_DOCUMENTS_MANIFEST": str(manifest_path),
            "GATEWAY_TRUSTED_DOCUMENTS_ONLY": "true",
        }
    )
    try:
        yield running
    finally:
        _stop(running)


def _listed(name: str) -> dict[str, Any]:
    entries: list[dict[str, Any]] = build_manifest()["operations"]
    return next(entry for entry in entries if entry["name"] == name)


def test_a_manifest_operation_runs_by_hash_by_document_id_and_by_its_text(
    trusted: GatewayStack,
) -> None:
    listed = _listed("Definitions")
    by_hash = _post(trusted, {"extensions": _extension(listed["id"])})
    assert by_hash.status_code == 200, by_hash.text
    assert "errors" not in by_hash.json()
    assert by_hash.json()["data"]["attributeDefinition"]["tid"] == "care_note"
    by_text = _post(trusted, {"query": listed["body"]})
    assert by_text.json() == by_hash.json()
    by_id = _post(trusted, {"documentId": f"sha256:{listed['id']}"})
    assert by_id.json() == by_hash.json()
    by_get = _get(trusted, extensions=_extension(listed["id"]))
    assert by_get.json() == by_hash.json()


def test_any_other_operation_is_refused_before_it_runs(trusted: GatewayStack) -> None:
    listed = _listed("Definitions")
    trusted.clear_logs()

    not_listed = _post(trusted, {"query": READ})
    assert not_listed.status_code == 403
    assert _code(not_listed) == "QUERY_NOT_IN_SAFELIST"

    unknown_hash = _post(trusted, {"extensions": _extension(READ_HASH)})
    assert unknown_hash.status_code == 404
    assert _code(unknown_hash) == "PERSISTED_QUERY_NOT_IN_LIST"
    assert READ_HASH in unknown_hash.json()["errors"][0]["message"]

    # Automatic registration is off: the text with its own hash is still not listed.
    registering = _post(trusted, {"query": READ, "extensions": _extension(READ_HASH)})
    assert _code(registering) == "PERSISTED_QUERY_NOT_IN_LIST"
    assert _code(_post(trusted, {"extensions": _extension(READ_HASH)})) == (
        "PERSISTED_QUERY_NOT_IN_LIST"
    )

    # Only the exact text: the same operation reformatted is another document.
    reformatted = " ".join(listed["body"].split())
    assert _code(_post(trusted, {"query": reformatted})) == "QUERY_NOT_IN_SAFELIST"
    assert trusted.upstream_calls() == NONE_CALLED


def test_trusted_documents_only_needs_a_readable_manifest(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="trusted_documents_manifest"):
        persisted_operations(load_settings({"GATEWAY_TRUSTED_DOCUMENTS_ONLY": "true"}))
    forged = build_manifest()
    forged["operations"][0]["body"] = "query ById { __typename }"
    path = tmp_path / "forged.json"
    path.write_text(manifest_json(forged), encoding="utf-8")
    with pytest.raises(SettingsError, match="SHA-256"):
        persisted_operations(load_settings({"GATEWAY_TRUSTED_DOCUMENTS_MANIFEST": str(path)}))


# --- the manifest -------------------------------------------------------------------------


def test_the_manifest_of_the_examples_is_deterministic_and_verifiable() -> None:
    manifest = build_manifest()
    assert manifest["format"] == "apollo-persisted-query-manifest"
    assert manifest["version"] == 1
    entries = manifest["operations"]
    examples = sorted(Path().glob(DEFAULT_SOURCES[0]))
    assert len(entries) == len(examples) >= 10
    for entry in entries:
        assert set(entry) == {"id", "name", "type", "body"}
        assert entry["id"] == sha256_hex(entry["body"])
        assert entry["type"] in ("query", "mutation", "subscription")
    assert [e["name"] for e in entries] == sorted(e["name"] for e in entries)
    reversed_order = build_manifest([str(p) for p in reversed(examples)])
    assert manifest_json(reversed_order) == manifest_json(manifest)
    assert {e["type"] for e in entries} >= {"query", "mutation"}


def test_an_operation_takes_the_fragments_it_uses(tmp_path: Path) -> None:
    source = tmp_path / "ops.graphql"
    source.write_text(
        "fragment Unused on Product { tid }\n"
        "fragment Named on Product { name ...Tid }\n"
        "fragment Tid on Product { tid }\n"
        'query Two { product(tid: "DEMO-0001") { ...Named } }\n'
        "mutation Bump { __typename }\n",
        encoding="utf-8",
    )
    entries = {e["name"]: e for e in build_manifest([str(source)])["operations"]}
    assert set(entries) == {"Two", "Bump"}
    body = entries["Two"]["body"]
    assert body.startswith("query Two") and "fragment Named" in body and "fragment Tid" in body
    assert "Unused" not in body
    assert entries["Bump"]["type"] == "mutation"


def test_the_command_writes_the_manifest_and_refuses_anonymous_operations(
    tmp_path: Path,
) -> None:
    output = tmp_path / "out" / "operations.json"
    operations(None, output)
    assert output.read_text(encoding="utf-8") == manifest_json(build_manifest())
    assert len(load_manifest(output)) == len(build_manifest()["operations"])

    anonymous = tmp_path / "anonymous.graphql"
    anonymous.write_text("{ __typename }", encoding="utf-8")
    with pytest.raises(ManifestError, match="needs a name"):
        build_manifest([str(anonymous)])


def test_websocket_is_off_in_trusted_documents_mode(trusted: GatewayStack) -> None:
    url = trusted.url.replace("http://", "ws://", 1)
    with pytest.raises(InvalidStatus):
        connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=10)


# --- other transports ---------------------------------------------------------------------


def test_a_registered_hash_streams_over_sse(stack: GatewayStack) -> None:
    _post(stack, {"query": READ, "extensions": _extension(READ_HASH)})
    answer = httpx.post(
        stack.url,
        json={"extensions": _extension(READ_HASH)},
        headers={**HEADERS, "accept": "text/event-stream"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert "event: next" in answer.text and "Demo product 002" in answer.text


def test_in_a_batch_an_unknown_hash_answers_only_its_own_entry(tmp_path: Path) -> None:
    batching = start_stack(
        {
            "GATEWAY_DATABASE": str(tmp_path / "gateway.sqlite3"),
            "GATEWAY_BATCHING_ENABLED": "true",
        }
    )
    try:
        answer = httpx.post(
            batching.url,
            json=[{"extensions": _extension(READ_HASH)}, {"query": READ}],
            headers=HEADERS,
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        unknown, ran = answer.json()
        assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert ran == {"data": {"product": {"tid": "DEMO-0002", "name": "Demo product 002"}}}
    finally:
        _stop(batching)


async def test_the_memory_store_drops_the_least_recently_used_past_its_bytes() -> None:
    store = MemoryQueryStore(max_bytes=30)
    await store.put("a", "x" * 10)
    await store.put("b", "é" * 5)  # 10 bytes in UTF-8
    assert await store.get("a") == "x" * 10  # used: "b" is now the least recent
    await store.put("c", "z" * 10)
    await store.put("d", "w" * 10)
    assert await store.get("b") is None
    assert await store.get("a") == "x" * 10
    await store.put("huge", "h" * 31)  # larger than the whole store: not kept
    assert await store.get("huge") is None


def test_a_get_by_hash_needs_the_csrf_header_like_any_get_that_runs(stack: GatewayStack) -> None:
    _post(stack, {"query": READ, "extensions": _extension(READ_HASH)})
    for params in ({"extensions": _extension(READ_HASH)}, {"documentId": READ_HASH}):
        encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        refused = httpx.get(stack.url, params=encoded, headers=HEADERS, timeout=60)
        assert refused.status_code == 400, refused.text
        assert _code(refused) == "CSRF_ERROR"
