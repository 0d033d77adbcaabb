"""Cached documents: parsed and validated once per text, the per-request limits still applied."""

from __future__ import annotations

from gateway import Gateway
from gateway.settings import load_settings

COSTLY = "query($t: [String!]!) { products(tids: $t) { catalogProduct { gtin } } }"


def _gateway(**environ: str) -> Gateway:
    return Gateway(load_settings({"GATEWAY_DEVELOPMENT_MODE": "true", **environ}))


async def test_a_cached_document_is_still_measured_with_each_requests_variables() -> None:
    async with _gateway(GATEWAY_MAX_QUERY_COST="5") as gw:
        cheap = await gw.execute(COSTLY, {"t": ["DEMO-0001", "DEMO-0002"]})
        costly = await gw.execute(COSTLY, {"t": [f"DEMO-{i:04d}" for i in range(1, 11)]})
        cheap_again = await gw.execute(COSTLY, {"t": ["DEMO-0001"]})
    assert cheap.ok and cheap_again.ok
    assert costly.data is None
    assert [e["extensions"]["code"] for e in costly.errors] == ["MAX_COST_LIMIT"]


async def test_invalid_documents_answer_alike_every_time_and_on_both_paths() -> None:
    answers = []
    for fast in ("true", "false"):
        async with _gateway(GATEWAY_FAST_EXECUTION=fast) as gw:
            for query in ("{ product(tid: 1) { nope } }", "{ product(", "{ gatewayVersion }"):
                answers.append([await gw.execute(query) for _ in range(2)])
    fast_answers, normal_answers = answers[:3], answers[3:]
    assert fast_answers == normal_answers
    assert all(first == second for first, second in fast_answers)
    assert fast_answers[0][0].errors and fast_answers[1][0].errors and fast_answers[2][0].ok


async def test_the_same_text_gives_the_same_document() -> None:
    async with _gateway() as gw:
        await gw.execute("{ gatewayVersion }")
        await gw.execute("{ gatewayVersion }")
        documents = gw.schema.documents  # type: ignore[attr-defined]
    entry = documents.get("{ gatewayVersion }")
    assert entry is not None and entry.valid
