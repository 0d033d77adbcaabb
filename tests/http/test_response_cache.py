"""The whole-response cache: identical reads from memory, never across scopes, never stale
after a write through the gateway, never an error."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import WRITE_ONLY_KEY, WRITER_KEY, GatewayStack, start_stack

READ = '{ product(tid: "DEMO-0002") { tid name } }'


def _cache(stack: GatewayStack):  # type: ignore[no-untyped-def]
    return stack.gateway.app.state.response_cache


def test_identical_query_is_answered_from_memory(stack: GatewayStack) -> None:
    first = stack.query(READ)
    stack.clear_logs()
    second = stack.query(READ)
    assert second == first
    assert _cache(stack).hits == 1
    assert stack.upstream_calls() == {"pim": 0, "omnicommerce": 0, "citrusad": 0}


def test_other_variables_or_locale_are_other_entries(stack: GatewayStack) -> None:
    query = "query($t: String!) { product(tid: $t) { name } }"
    stack.query(query, {"t": "DEMO-0001"})
    stack.query(query, {"t": "DEMO-0003"})
    stack.query(query, {"t": "DEMO-0001"}, **{"Accept-Language": "de-DE"})
    assert _cache(stack).hits == 0
    stack.query(query, {"t": "DEMO-0001"})
    assert _cache(stack).hits == 1


def test_a_caller_without_read_is_never_served_a_cached_answer(stack: GatewayStack) -> None:
    stack.query(READ)
    refused = stack.query(READ, api_key=WRITE_ONLY_KEY)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused.get("data") is None


def test_a_mutation_clears_it(stack: GatewayStack) -> None:
    stack.query(READ)
    rename = """mutation { saveProducts(products: [{tid: "DEMO-0002", name: "Renamed"}]) { ok } }"""
    assert stack.query(rename)["data"]["saveProducts"]["ok"] is True
    assert len(_cache(stack)) == 0
    assert stack.query(READ)["data"]["product"]["name"] == "Renamed"


def test_answers_with_errors_are_not_kept(stack: GatewayStack) -> None:
    stack.citrusad.app.state.faults.set(status=500, count=100)
    failing = '{ product(tid: "DEMO-0001") { tid catalogProduct { gtin } } }'
    assert stack.query(failing)["errors"]
    assert len(_cache(stack)) == 0


def test_a_mutation_in_a_batch_clears_it_too(tmp_path: Path) -> None:
    stack = start_stack(
        {
            "GATEWAY_DATABASE": str(tmp_path / "gateway.sqlite3"),
            "GATEWAY_BATCHING_ENABLED": "true",
        }
    )
    try:
        stack.query(READ)
        assert len(_cache(stack)) == 1
        rename = (
            """mutation { saveProducts(products: [{tid: "DEMO-0002", name: "Renamed"}]) { ok } }"""
        )
        answer = httpx.post(
            stack.url,
            json=[{"query": READ}, {"query": rename}],
            headers={"X-API-Key": WRITER_KEY},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()[1]["data"]["saveProducts"]["ok"] is True
        assert len(_cache(stack)) == 0
        assert stack.query(READ)["data"]["product"]["name"] == "Renamed"
    finally:
        for server in (stack.gateway, stack.pim, stack.omnicommerce, stack.citrusad):
            server.stop()
