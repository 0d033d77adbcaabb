"""``python -m bench``: measure the gateway against the baseline; see ``--help``.

| flag | effect |
| --- | --- |
| ``--quick`` | a tiny run for the smoke test (seconds; its figures mean nothing) |
| ``--requests N`` | requests per load scenario (default 300) |
| ``--concurrency C`` | concurrent clients (default 16) |
| ``--scenario NAME`` | only this scenario; repeat for several |
| ``--mixed-requests N`` | mixed requests before the memory reading (default 10,000, fewer if too slow) |
| ``--hostile-only`` | only the hostile section (``bench.hostile``), which otherwise runs last |
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bench.hostile import run_hostile
from bench.options import QUICK, SCENARIOS, Options
from bench.runner import run

__all__ = ["main", "parse_options"]


def parse_options(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmark the gateway against a plain baseline."
    )
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--requests", type=int, help="requests per load scenario")
    parser.add_argument("--concurrency", type=int, help="concurrent clients")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="repeatable")
    parser.add_argument("--max-seconds", type=float, help="time cap per load scenario")
    parser.add_argument("--products", type=int, help="products per deep query (1..300)")
    parser.add_argument("--mixed-requests", type=int, help="mixed requests before the RSS reading")
    parser.add_argument("--bulk-items", type=int, help="items per bulk-write mutation")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline")
    parser.add_argument("--hostile-only", action="store_true", help="only the hostile section")
    args = parser.parse_args(argv)
    options = QUICK if args.quick else Options()
    changes: dict[str, object] = {
        name: value
        for name, value in (
            ("requests", args.requests),
            ("concurrency", args.concurrency),
            ("max_seconds", args.max_seconds),
            ("products", args.products),
            ("mixed_requests", args.mixed_requests),
            ("bulk_items", args.bulk_items),
        )
        if value is not None
    }
    if args.mixed_requests is not None:
        changes["forced_mixed"] = True
    if args.scenario:
        changes["scenarios"] = tuple(args.scenario)
    if args.no_baseline:
        changes["baseline"] = False
    for name in ("requests", "concurrency", "products", "mixed_requests", "bulk_items"):
        if name in changes and int(changes[name]) < 1:  # type: ignore[call-overload]
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if "products" in changes and int(changes["products"]) > 300:  # type: ignore[call-overload]
        parser.error("--products must be at most 300 (the demo data)")
    return options.with_changes(**changes)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    options = parse_options(args)
    code = 0 if "--hostile-only" in args else run(options)
    return max(code, run_hostile(options, sys.stdout))


if __name__ == "__main__":
    sys.exit(main())
