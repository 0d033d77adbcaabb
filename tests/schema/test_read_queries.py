"""The read schema through HTTP, against the emulators, counting upstream calls in their logs."""

from __future__ import annotations

from collections import Counter

from gateway.emulators.demo import demo_gtin, demo_tid
from tests.conftest import GatewayStack

PIM = "/api/core/v1/pim"

DEEP = """
query Deep($tids: [String!]!) {
  products(tids: $tids) {
    id tid pimId name status modificationDate
    node { path name level }
    values { attr kind dataType value entries { value locale position key } definition { tid type name } }
    articles {
      tid name values { attr value definition { tid } }
      variants { tid name values { attr definition { tid } } }
    }
    catalogProduct { gtin price inventory inStock name brand categories hfss }
  }
}
"""


def _calls(server: object) -> Counter[str]:
    return Counter(e.path for e in server.app.state.log.entries())  # type: ignore[attr-defined]


def test_deep_read_of_50_products_costs_one_call_per_kind_then_nothing(stack: GatewayStack) -> None:
    tids = [demo_tid(i) for i in range(1, 51)]
    first = stack.query(DEEP, {"tids": tids})
    assert "errors" not in first, first.get("errors")
    products = first["data"]["products"]
    assert [p["tid"] for p in products] == tids
    assert all(p["node"]["path"].startswith("/Standard/") for p in products)
    assert products[0]["catalogProduct"]["gtin"] == demo_gtin(1)
    gtin_values = [v for v in products[0]["values"] if v["attr"] == "gtin"]
    assert gtin_values[0]["value"] == demo_gtin(1)
    assert gtin_values[0]["definition"]["tid"] == "gtin"
    assert products[1]["articles"][0]["tid"] == f"{demo_tid(2)}-A1"
    assert products[3]["articles"][0]["variants"][0]["tid"] == f"{demo_tid(4)}-A1-V1"

    pim = _calls(stack.pim)
    assert pim == Counter(
        {
            f"{PIM}/products/retrieve": 1,
            f"{PIM}/nodes/retrieve": 1,
            f"{PIM}/attribute-definitions/retrieve": 1,
        }
    )
    assert stack.citrusad.app.state.log.count("GET") == 50

    stack.clear_logs()
    again = stack.query(DEEP, {"tids": tids})
    assert again == first
    assert stack.upstream_calls() == {"pim": 0, "omnicommerce": 0, "citrusad": 0}


def test_250_products_split_into_three_retrieve_calls(stack: GatewayStack) -> None:
    tids = [demo_tid(i) for i in range(1, 251)]
    answer = stack.query("query($t: [String!]!) { products(tids: $t) { tid } }", {"t": tids})
    assert [p["tid"] for p in answer["data"]["products"]] == tids
    bodies = [
        e.json() for e in stack.pim.app.state.log.entries() if e.path == f"{PIM}/products/retrieve"
    ]
    assert sorted(len(b["tids"]) for b in bodies) == [50, 100, 100]


def test_failing_citrusad_leaves_pim_fields_intact(stack: GatewayStack) -> None:
    stack.citrusad.app.state.faults.set(status=500, count=1000)
    answer = stack.query('{ product(tid: "DEMO-0001") { tid name catalogProduct { gtin } } }')
    assert answer["data"]["product"]["tid"] == "DEMO-0001"
    assert answer["data"]["product"]["name"]
    assert answer["data"]["product"]["catalogProduct"] is None
    (error,) = answer["errors"]
    assert error["path"] == ["product", "catalogProduct"]
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert error["extensions"]["upstream"] == "citrusad"
