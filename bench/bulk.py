"""The bulk-write scenarios: 10,000 items through one mutation, if the schema has it.

The mutations (issue 5) may not exist yet, so the bench asks the schema: it introspects the
mutation, finds its list-of-input-objects argument and fills each item from the fields it
knows for that upstream (OMNICOMMERCE: id, url, detection, salesUrl; CitrusAd: gtin,
catalogId, price, inventory, ...). A mutation that is missing, or that requires a field the
bench cannot fill, is reported as "not available" with the reason, never guessed at.

| scenario | mutation | upstream ceiling |
| --- | --- | --- |
| ``bulk-commerce`` | ``registerCommerceProducts`` | 500 items/s (5 requests of 100 a second) |
| ``bulk-citrusad`` | ``syncCatalogProducts`` | the emulator's own speed, measured beside it |

The items go in one mutation when its body fits the gateway's request-body limit, else in
the fewest mutations that fit, sent one after another; the output says how many.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import strawberry

from bench.calls import UpstreamCalls
from bench.report import format_table
from gateway.emulators.demo import demo_gtin
from gateway.settings import (
    DEMO_CITRUSAD_API_KEY,
    DEMO_CITRUSAD_CATALOG_ID,
    DEMO_CITRUSAD_TEAM_ID,
)

__all__ = [
    "BulkFigures",
    "BulkOutcome",
    "BulkPlan",
    "bulk_report",
    "citrusad_direct",
    "citrusad_item",
    "commerce_item",
    "plan_bulk",
    "run_bulk",
]

_TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name } } }"
_MUTATION_FIELDS = f"""
query {{ __schema {{ mutationType {{ fields {{
  name args {{ name defaultValue type {{ {_TYPE_REF} }} }} type {{ {_TYPE_REF} }}
}} }} }} }}
"""
_TYPE_FIELDS = f"""
query($name: String!) {{ __type(name: $name) {{
  fields {{ name args {{ name }} type {{ {_TYPE_REF} }} }}
  inputFields {{ name defaultValue type {{ {_TYPE_REF} }} }}
}} }}
"""
_TIMEOUT = httpx.Timeout(600.0)


def commerce_item(i: int) -> dict[str, Any]:
    return {
        "id": f"bench-{i:05d}",
        "url": f"https://images.example.com/bench/{i}.jpg",
        "detection": "TOP",
        "salesUrl": f"https://shop.example.com/p/bench-{i:05d}",
    }


def citrusad_item(i: int) -> dict[str, Any]:
    # GTINs far above the demo data's, so the bench never overwrites a demo product.
    return {
        "gtin": demo_gtin(100_000 + i),
        "catalogId": DEMO_CITRUSAD_CATALOG_ID,
        "price": "9.99",
        "inventory": 10,
        "name": f"Bench product {i}",
        "brand": "Bench",
        "imageUrl": f"https://images.example.com/bench/{i}.jpg",
        "categories": ["Bench"],
    }


@dataclass(frozen=True, slots=True)
class BulkPlan:
    """How to send the items: the document and the variable that carries them."""

    document: str
    variable: str


@dataclass(slots=True)
class BulkOutcome:
    items: int
    elapsed: float
    status: int
    errors: list[str]
    answer: dict[str, Any] | None = None  # the payload's scalar fields (counts summed, ok)
    mutations: int = 1

    @property
    def all_accepted(self) -> bool:
        """False on any error or HTTP failure, no payload, or a payload saying ``ok: false``."""
        if self.errors or self.status != 200 or self.answer is None:
            return False
        return self.answer.get("ok", True) is not False

    @property
    def items_per_second(self) -> float:
        return self.items / self.elapsed if self.elapsed else 0.0


@dataclass(slots=True)
class BulkFigures:
    mutation: str
    outcome: BulkOutcome | None = None
    calls: UpstreamCalls | None = None
    direct_items_per_second: float | None = None
    unavailable: str | None = None


def bulk_report(f: BulkFigures) -> str:
    """The bulk scenario's table: items, speed, ceiling, errors, 429s and the calls made."""
    outcome = f.outcome
    assert outcome is not None
    rows = [
        (
            "items",
            f"{outcome.items} in {outcome.elapsed:.1f} s, {outcome.mutations} mutation(s) "
            f"(HTTP {outcome.status})",
        ),
        (
            "throughput",
            f"{outcome.items_per_second:.0f} items/s"
            if outcome.all_accepted
            else "- (not every item was accepted)",
        ),
        (
            "GraphQL errors",
            str(len(outcome.errors)) + (f": {outcome.errors[0][:200]}" if outcome.errors else ""),
        ),
        ("upstream 429 answers", str(f.calls.answered(429)) if f.calls else "-"),
        ("payload", json.dumps(outcome.answer)[:200]),
    ]
    if f.mutation == "registerCommerceProducts":
        rows.insert(
            2, ("of the 500 items/s ceiling", f"{100 * outcome.items_per_second / 500:.1f} %")
        )
    if f.direct_items_per_second is not None:
        rows.insert(
            2,
            (
                "emulator alone",
                f"{f.direct_items_per_second:.0f} items/s (100 a request, sequential)",
            ),
        )
    text = [format_table(("what", "figure"), rows)]
    if f.calls and f.calls.calls:
        text.append(
            format_table(
                ("upstream", "endpoint", "calls"),
                [(u, e, str(n)) for (u, e), n in sorted(f.calls.calls.items())],
            )
        )
    return "\n".join(text)


def _unwrap(ref: dict[str, Any]) -> tuple[dict[str, Any], bool, bool]:
    """(named type, required, is a list) of a type reference."""
    required = ref["kind"] == "NON_NULL"
    listed = False
    while ref.get("ofType") is not None:
        listed = listed or ref["kind"] == "LIST"
        ref = ref["ofType"]
    return ref, required, listed


def _gql(schema: strawberry.Schema, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    result = schema.execute_sync(query, variable_values=variables)
    if result.errors or result.data is None:
        raise RuntimeError(f"introspection failed: {result.errors}")
    return result.data


def plan_bulk(schema: strawberry.Schema, mutation: str, sample: dict[str, Any]) -> BulkPlan | str:
    """A plan to call ``mutation`` with items shaped like ``sample``, or why there is none.

    ``schema`` is the gateway's schema built in this process from the same code the server
    runs: the server itself may refuse introspection, as it does in production.
    """
    mutation_type = _gql(schema, _MUTATION_FIELDS, {})["__schema"]["mutationType"]
    fields = {f["name"]: f for f in (mutation_type or {}).get("fields", [])}
    if mutation not in fields:
        return f"not available: the schema has no mutation {mutation}"
    field = fields[mutation]
    items_arg, declared = None, []
    for arg in field["args"]:
        named, required, listed = _unwrap(arg["type"])
        if listed and named["kind"] == "INPUT_OBJECT" and items_arg is None:
            items_arg = (arg["name"], arg["type"], named["name"])
        elif required and arg["defaultValue"] is None:
            return (
                f"not available: {mutation} requires argument {arg['name']} the bench cannot fill"
            )
        declared.append(arg)
    if items_arg is None:
        return f"not available: {mutation} takes no list of input objects"
    name, _, input_type = items_arg
    inputs = _gql(schema, _TYPE_FIELDS, {"name": input_type})["__type"]["inputFields"]
    for f in inputs:
        _, required, _ = _unwrap(f["type"])
        if required and f["defaultValue"] is None and f["name"] not in sample:
            return f"not available: {input_type}.{f['name']} is required and unknown to the bench"
    known = {f["name"] for f in inputs}
    if not known & set(sample):
        return f"not available: {input_type} has none of the fields {sorted(sample)}"
    selection = _selection(schema, field["type"])
    type_text = _type_text(items_arg[1])
    # A write-job mutation waits for its job: the bench times the write end to end.
    wait = ", mode: WAIT" if any(arg["name"] == "mode" for arg in declared) else ""
    document = (
        f"mutation Bulk(${name}: {type_text}) {{ {mutation}({name}: ${name}{wait}) {selection} }}"
    )
    return BulkPlan(document=document, variable=name)


def _selection(schema: strawberry.Schema, ref: dict[str, Any]) -> str:
    """The payload's scalar fields without arguments (counts, ``ok``), else ``__typename``."""
    named, _, _ = _unwrap(ref)
    if named["kind"] in ("SCALAR", "ENUM"):
        return ""
    fields = _gql(schema, _TYPE_FIELDS, {"name": named["name"]})["__type"]["fields"] or []
    scalars = [
        f["name"]
        for f in fields
        if not f["args"] and _unwrap(f["type"])[0]["kind"] in ("SCALAR", "ENUM")
    ]
    return "{ " + " ".join(scalars or ["__typename"]) + " }"


def _type_text(ref: dict[str, Any]) -> str:
    if ref["kind"] == "NON_NULL":
        return _type_text(ref["ofType"]) + "!"
    if ref["kind"] == "LIST":
        return "[" + _type_text(ref["ofType"]) + "]"
    return str(ref["name"])


def run_bulk(
    url: str,
    headers: dict[str, str],
    plan: BulkPlan,
    make_item: Callable[[int], Any],
    items: int,
    *,
    max_body_bytes: int,
) -> BulkOutcome:
    """Send every item, timed end to end: in one mutation if its body fits the gateway's
    body limit, else in the fewest equal mutations that fit, one after another (as a
    client of that gateway would have to)."""
    batch = [make_item(i) for i in range(items)]
    size = len(json.dumps({"query": plan.document, "variables": {plan.variable: batch}}))
    # 10 % headroom: items differ a little in length.
    mutations = max(1, math.ceil(size / (max_body_bytes * 0.9)))
    per = math.ceil(items / mutations)
    outcome = BulkOutcome(items=items, elapsed=0.0, status=200, errors=[], mutations=mutations)
    with httpx.Client(headers=headers, timeout=_TIMEOUT) as client:
        started = time.perf_counter()
        for at in range(0, items, per):
            variables = {plan.variable: batch[at : at + per]}
            answer = client.post(url, json={"query": plan.document, "variables": variables})
            _merge(outcome, answer)
        outcome.elapsed = time.perf_counter() - started
    return outcome


def _merge(outcome: BulkOutcome, answer: httpx.Response) -> None:
    """Fold one mutation's answer into ``outcome``: worst status, all errors, summed counts."""
    if answer.status_code != 200:
        outcome.status = answer.status_code
    try:
        body = answer.json()
    except ValueError:
        outcome.errors.append(answer.text[:300])
        return
    outcome.errors.extend(e.get("message", "") for e in body.get("errors") or [])
    data = next(iter((body.get("data") or {}).values()), None)
    if not isinstance(data, dict):
        outcome.answer = None if outcome.answer is None else {**outcome.answer, "ok": False}
        return
    merged = dict(outcome.answer or {})
    for key, value in data.items():
        if isinstance(value, bool):
            merged[key] = merged.get(key, True) and value
        elif isinstance(value, int):
            merged[key] = merged.get(key, 0) + value
        else:
            merged[key] = value
    outcome.answer = merged


def citrusad_direct(root: str, items: int) -> float:
    """Items/s of the same upserts sent straight to the emulator, 100 a request, one by one."""
    products = [
        {
            "catalogId": DEMO_CITRUSAD_CATALOG_ID,
            "gtin": demo_gtin(200_000 + i),
            "price": 9.99,
            "inventory": 10,
            "tags": [f"name:Bench product {i}"],
            "filters": ["Brand:Bench", "category:Bench"],
        }
        for i in range(items)
    ]
    headers = {"Authorization": f"Basic {DEMO_CITRUSAD_API_KEY}"}
    with httpx.Client(headers=headers, timeout=_TIMEOUT) as client:
        started = time.perf_counter()
        for at in range(0, items, 100):
            client.post(
                f"{root}/v1/catalog-products",
                params={"teamId": DEMO_CITRUSAD_TEAM_ID},
                json={"catalogProducts": products[at : at + 100]},
            ).raise_for_status()
        elapsed = time.perf_counter() - started
    return items / elapsed if elapsed else 0.0
