"""CitrusAd's "not found", whatever form it takes, is null in the schema; lists keep the rest."""

from __future__ import annotations

from gateway.emulators.citrusad import VARIANTS
from gateway.emulators.demo import demo_gtin
from tests.conftest import GatewayStack

QUERY = """query($one: String!, $many: [String!]!) {
  catalogProduct(gtin: $one) { gtin }
  catalogProducts(gtins: $many) { gtin }
}"""


def test_every_not_found_answer_is_null_and_lists_keep_the_found(stack: GatewayStack) -> None:
    for n, variant in enumerate(VARIANTS):
        stack.citrusad.app.state.not_found.set(variant)
        unknown = f"UNKNOWN-{n}"  # a code of its own per variant: answers are cached
        answer = stack.query(QUERY, {"one": unknown, "many": [demo_gtin(1), unknown, demo_gtin(2)]})
        assert "errors" not in answer, (variant, answer.get("errors"))
        assert answer["data"] == {
            "catalogProduct": None,
            "catalogProducts": [{"gtin": demo_gtin(1)}, None, {"gtin": demo_gtin(2)}],
        }, variant
    # One GET per distinct code: the unknown code was asked once per variant, not retried.
    gets = [e.path.rsplit("/", 1)[1] for e in stack.citrusad.app.state.log.entries()]
    assert sorted(g for g in gets if g.startswith("UNKNOWN")) == [
        f"UNKNOWN-{n}" for n in range(len(VARIANTS))
    ]
