"""The embedding API: the same answers in process as over HTTP."""

from __future__ import annotations

import pytest

from gateway import Gateway
from gateway.security import Principal
from tests.conftest import GatewayStack

QUERY = """query($t: [String!]!) { products(tids: $t) {
  tid name node { path } values { attr value definition { tid } }
  articles { tid variants { tid } } catalogProduct { gtin price } } }"""
TIDS = {"t": ["DEMO-0001", "DEMO-0004", "DEMO-0007"]}


async def test_in_process_execute_returns_the_same_data_as_http(stack: GatewayStack) -> None:
    over_http = stack.query(QUERY, TIDS)
    async with Gateway() as gw:
        in_process = await gw.execute(QUERY, TIDS)
    assert in_process.ok, in_process.errors
    assert in_process.data == over_http["data"]


async def test_principal_scopes_apply_in_process() -> None:
    reader = Principal(subject="script", scopes=frozenset({"read"}), kind="api_key")
    async with Gateway() as gw:
        result = await gw.execute("{ gatewayVersion }", principal=reader)
        assert result.ok
        refused = await gw.execute(
            "mutation { __typename }", principal=Principal("s", frozenset(), "api_key")
        )
    assert refused.errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_field_errors_come_back_as_data_not_exceptions() -> None:
    async with Gateway() as gw:
        result = await gw.execute('{ product(tid: "A", pimId: 1) { tid } }')
    assert result.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_runtime_is_closed_after_the_block() -> None:
    gw = Gateway()
    async with gw:
        assert gw.runtime is not None
    with pytest.raises(RuntimeError, match="async with"):
        _ = gw.runtime
