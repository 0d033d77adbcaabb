"""The GraphQL documents the bench sends, and how each scenario varies its variables.

| scenario | document | server | variables per request |
| --- | --- | --- | --- |
| ``deep-cold`` | ``DEEP``: products with node, values + definitions, articles, variants, catalogProduct | cache off | the same N tids |
| ``deep-pim-cold`` | ``DEEP_PIM``: the same without catalogProduct (issue 8's deep read) | cache off | the same N tids |
| ``deep-cached``, ``deep-pim-cached`` | the same two | cache on | the same N tids |
| ``lookup`` | ``LOOKUP``: one product, a few fields | cache on | tid i % 300 |
| ``search`` | ``SEARCH``: searchProducts, first page or the next | cache on | alternating pages |
| ``mixed`` | ``MIX``: per 20 requests 12 lookups, 6 searches, 1 deep-pim, 1 deep | cache on | as above |

Every tid exists in the emulators' demo data (``DEMO-0001`` .. ``DEMO-0300``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.emulators.demo import DEMO_PRODUCT_COUNT, demo_tid

__all__ = [
    "DEEP",
    "DEEP_PIM",
    "LOOKUP",
    "MIX",
    "SEARCH",
    "Payload",
    "deep_payload",
    "lookup_payload",
    "mixed_payload",
    "search_payload",
]

Payload = Callable[[int], dict[str, Any]]

_DEEP_BODY = """
    id tid pimId name status modificationDate
    node { path name level }
    values { attr kind dataType value entries { value locale position key } definition { tid type name } }
    articles {
      tid name values { attr value definition { tid } }
      variants { tid name values { attr definition { tid } } }
    }
"""
_CATALOG = "    catalogProduct { gtin price inventory inStock name brand categories hfss }\n"

# The N+1 test's query (tests/schema/test_read_queries.py), over N products.
DEEP = (
    f"query Deep($tids: [String!]!) {{\n  products(tids: $tids) {{{_DEEP_BODY}{_CATALOG}  }}\n}}\n"
)
DEEP_PIM = f"query DeepPim($tids: [String!]!) {{\n  products(tids: $tids) {{{_DEEP_BODY}  }}\n}}\n"

LOOKUP = """
query Lookup($tid: String!) {
  product(tid: $tid) { id tid name status node { path } values(attrs: ["gtin", "product_title"]) { attr value } }
}
"""

SEARCH = """
query Search($after: String) {
  searchProducts(nodePaths: ["/Standard/Bekleidung"], first: 20, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { tid name node { path } } }
  }
}
"""


def deep_payload(document: str, products: int) -> Payload:
    body = {"query": document, "variables": {"tids": [demo_tid(i) for i in range(1, products + 1)]}}
    return lambda i: body


def lookup_payload() -> Payload:
    def payload(i: int) -> dict[str, Any]:
        return {"query": LOOKUP, "variables": {"tid": demo_tid(i % DEMO_PRODUCT_COUNT + 1)}}

    return payload


def search_payload(second_page_cursor: str | None) -> Payload:
    """First page on even requests, the page after ``second_page_cursor`` on odd ones."""

    def payload(i: int) -> dict[str, Any]:
        after = second_page_cursor if i % 2 else None
        return {"query": SEARCH, "variables": {"after": after}}

    return payload


# Mostly small reads, a few deep ones, spread out: a page view's lookups and searches, and
# now and then a listing that loads everything. The memory target runs this mix.
MIX = (
    *("lookup", "search", "lookup", "lookup", "search", "lookup", "deep-pim-cached", "lookup"),
    *("search", "lookup", "lookup", "search", "lookup", "lookup", "search", "deep-cached"),
    *("lookup", "search", "lookup", "lookup"),
)


def mixed_payload(payloads: dict[str, Payload]) -> Payload:
    """Request ``i`` is slot ``i % len(MIX)``, numbered within its kind so tids and pages vary."""
    counts = {kind: MIX.count(kind) for kind in MIX}
    slots = [(kind, MIX[:at].count(kind)) for at, kind in enumerate(MIX)]

    def payload(i: int) -> dict[str, Any]:
        kind, nth = slots[i % len(MIX)]
        return payloads[kind](i // len(MIX) * counts[kind] + nth)

    return payload
