"""The final table: each issue 8 target, its goal, our figure, the baseline's, met or not.

Only figures measured in this run appear; a target whose scenario did not run, or could not
run (a mutation missing from the schema), says so instead of showing a number.

| target | compares |
| --- | --- |
| 1 deep read, cache off | ``deep-pim-cold`` throughput and p99 against the baseline's |
| 2 deep read, cache on | ``deep-pim-cached`` throughput against the baseline's (it has no cache) |
| 3 coalescing | upstream calls per GraphQL request in ``deep-pim-cold`` |
| 4 bulk writes | ``bulk-commerce`` items/s and 429s, ``bulk-citrusad`` against the emulator alone |
| 5 memory | the gateway's VmRSS after the mixed requests |

Issue 8 describes its deep read without catalogProduct (``deep-pim``); the same rows for the
query with catalogProduct (``deep``, issue 4's) follow as information, against the same goals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bench.bulk import BulkFigures, BulkOutcome
from bench.options import TARGET_MIXED_REQUESTS
from bench.report import Measured, format_table

__all__ = ["HostileFigures", "MemoryFigures", "hostile_table", "summary_table"]

_HEADER = ("target", "goal", "ours", "baseline", "met?")
_COMMERCE_CEILING = 500.0
_RSS_LIMIT_MB = 150.0
_BULK_ITEMS = 10_000
_REFUSAL_CPU_MS = 20.0  # issue 14: CPU per refused request, the worst document
_ATTACKED_RATIO = 2.0  # issue 14: a normal query's p50 beside 4 attackers, against alone


@dataclass(slots=True)
class MemoryFigures:
    rss_start: float | None
    rss_end: float | None
    mixed: Measured | None


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def _failed(outcome: BulkOutcome) -> str:
    first = outcome.errors[0][:60] if outcome.errors else "payload ok: false"
    return f"failed: HTTP {outcome.status}, {len(outcome.errors)} errors ({first})"


def _judged(ok: bool, items: int) -> str:
    # Fewer items than the target's never meet the rate limit, so they prove nothing.
    return _yes(ok) if items >= _BULK_ITEMS else f"not judged ({items} < {_BULK_ITEMS})"


def _deep_rows(
    results: Mapping[tuple[str, str], Measured], query: str, label: str
) -> list[tuple[str, ...]]:
    cold = results.get((f"{query}-cold", "gateway"))
    cached = results.get((f"{query}-cached", "gateway"))
    base = results.get((f"{query}-cold", "baseline"))
    rows: list[tuple[str, ...]] = []
    if cold and base and base.load.throughput:
        ratio = cold.load.throughput / base.load.throughput
        rows.append(
            (
                f"1 {label}, cache off: throughput",
                ">= 6x baseline",
                f"{cold.load.throughput:.1f} req/s = {ratio:.2f}x",
                f"{base.load.throughput:.1f} req/s",
                _yes(ratio >= 6),
            )
        )
        p99 = cold.p(0.99) / base.p(0.99) if base.p(0.99) else 0.0
        rows.append(
            (
                f"1 {label}, cache off: p99",
                "<= 1/3 of baseline",
                f"{cold.p(0.99):.0f} ms = {p99:.2f}x",
                f"{base.p(0.99):.0f} ms",
                _yes(p99 <= 1 / 3),
            )
        )
    else:
        rows.append((f"1 {label}, cache off", ">= 6x, p99 <= 1/3", "not run", "not run", "-"))
    if cached and base and base.load.throughput:
        ratio = cached.load.throughput / base.load.throughput
        rows.append(
            (
                f"2 {label}, cache on: throughput",
                ">= 20x baseline",
                f"{cached.load.throughput:.1f} req/s = {ratio:.2f}x",
                f"{base.load.throughput:.1f} req/s (no cache)",
                _yes(ratio >= 20),
            )
        )
    else:
        rows.append((f"2 {label}, cache on", ">= 20x baseline", "not run", "not run", "-"))
    if cold:
        rows.append(
            (
                f"3 {label}, cache off: upstream calls per request",
                "< 1",
                f"{cold.calls_per_request:.2f}",
                f"{base.calls_per_request:.2f}" if base else "not run",
                _yes(cold.calls_per_request < 1),
            )
        )
    return rows


def _commerce_row(f: BulkFigures | None) -> tuple[str, ...]:
    target = "4 registerCommerceProducts"
    goal = f">= 97% of {_COMMERCE_CEILING:.0f} items/s, 0 x 429"
    if f is None:
        return (target, goal, "not run", "-", "-")
    if f.outcome is None or f.calls is None:
        return (target, goal, f.unavailable or "not available", "-", "-")
    share = f.outcome.items_per_second / _COMMERCE_CEILING
    too_many = f.calls.answered(429)
    ok = share >= 0.97 and too_many == 0 and f.outcome.all_accepted
    if not f.outcome.all_accepted:
        return (target, goal, _failed(f.outcome), "-", "NO")
    ours = (
        f"{f.outcome.items} items: {f.outcome.items_per_second:.0f}/s = {100 * share:.1f}%, "
        f"{too_many} x 429"
    )
    return (target, goal, ours, "-", _judged(ok, f.outcome.items))


def _citrusad_row(f: BulkFigures | None) -> tuple[str, ...]:
    target = "4 syncCatalogProducts"
    goal = "100 requests of 100, as fast as the emulator"
    if f is None:
        return (target, goal, "not run", "-", "-")
    if f.outcome is None or f.calls is None:
        return (target, goal, f.unavailable or "not available", "-", "-")
    direct = f.direct_items_per_second or 0.0
    share = f.outcome.items_per_second / direct if direct else 0.0
    posts = sum(
        n for (u, e), n in f.calls.calls.items() if u == "citrusad" and e.startswith("POST")
    )
    # "As fast as the emulator" read as at least 90 % of the emulator alone, in full chunks.
    ok = share >= 0.9 and posts * 100 <= f.outcome.items + 99 and f.outcome.all_accepted
    ours = (
        f"{f.outcome.items} items: {f.outcome.items_per_second:.0f}/s in {posts} POSTs, "
        f"{len(f.outcome.errors)} errors" + ("" if f.outcome.all_accepted else ", NOT all accepted")
    )
    return (target, goal, ours, f"emulator alone {direct:.0f}/s", _judged(ok, f.outcome.items))


def _memory_row(memory: MemoryFigures | None, baseline_rss: float | None) -> tuple[str, ...]:
    target = "5 gateway RSS after mixed requests"
    goal = f"< {_RSS_LIMIT_MB:.0f} MB after {TARGET_MIXED_REQUESTS} mixed"
    base = f"{baseline_rss:.1f} MB (after its deep runs)" if baseline_rss else "-"
    if memory is None or memory.rss_end is None:
        return (target, goal, "not run", base, "-")
    if memory.mixed is None:
        return (target, goal, f"{memory.rss_end:.1f} MB (mixed not run)", base, "-")
    done = memory.mixed.load.requests
    ours = f"{memory.rss_end:.1f} MB after {done} mixed"
    if done < TARGET_MIXED_REQUESTS and memory.rss_end >= _RSS_LIMIT_MB:
        verdict = f"NO (over already at {done})"
    elif done < TARGET_MIXED_REQUESTS:
        verdict = f"not judged ({done} < {TARGET_MIXED_REQUESTS})"
    else:
        verdict = _yes(memory.rss_end < _RSS_LIMIT_MB)
    return (target, goal, ours, base, verdict)


def summary_table(
    results: Mapping[tuple[str, str], Measured],
    bulk: Mapping[str, BulkFigures],
    memory: MemoryFigures | None,
    baseline_rss: float | None,
) -> str:
    rows = [
        *_deep_rows(results, "deep-pim", "deep read"),
        _commerce_row(bulk.get("bulk-commerce")),
        _citrusad_row(bulk.get("bulk-citrusad")),
        _memory_row(memory, baseline_rss),
        *_deep_rows(results, "deep", "info: deep read + catalogProduct"),
    ]
    return format_table(_HEADER, rows)


@dataclass(slots=True)
class HostileFigures:
    """The hostile section's two issue 14 figures (``bench.hostile``)."""

    worst_document: str
    worst_cpu_ms: float
    p50_alone_ms: float
    p50_attacked_ms: float
    wrong_answers: int  # hostile requests that were not refused with their code


def hostile_table(f: HostileFigures) -> str:
    ratio = f.p50_attacked_ms / f.p50_alone_ms if f.p50_alone_ms else float("inf")
    rows = [
        (
            "CPU per refused request",
            f"<= {_REFUSAL_CPU_MS:.0f} ms, worst document",
            f"{f.worst_cpu_ms:.1f} ms ({f.worst_document})",
            _yes(f.worst_cpu_ms <= _REFUSAL_CPU_MS and not f.wrong_answers),
        ),
        (
            "normal p50 beside 4 attackers",
            f"<= {_ATTACKED_RATIO:.0f}x alone",
            f"{f.p50_attacked_ms:.1f} ms vs {f.p50_alone_ms:.1f} ms alone ({ratio:.2f}x)",
            _yes(ratio <= _ATTACKED_RATIO),
        ),
    ]
    if f.wrong_answers:
        rows.append(("hostile requests not refused", "0", str(f.wrong_answers), "NO"))
    return format_table(("target", "goal", "ours", "met?"), rows)
