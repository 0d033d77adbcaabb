"""``gateway publish``: publish PIM products to the channels from the command line.

| selector | products |
| --- | --- |
| ``--tid T`` (repeatable) | those tids |
| ``--from-file F`` | one tid per line (blank lines and ``#`` comments skipped; ``-`` reads stdin) |
| ``--node-path P`` (repeatable), ``--modified-from D``, ``--modified-until D`` | one ``products/query`` with every criterion given (AND) |

Selectors add up (each tid once, in the order given). The gateway runs in this process with
the settings (``GATEWAY_*``, ``--config``), its extensions' mappings, and the built-in emulators
for upstreams without a URL. A progress bar follows the products; a table of outcomes per
channel and the failures follow at the end.

| exit code | when |
| --- | --- |
| 0 | every product published (or mapped, in a dry run), skipped ones included |
| 1 | some product failed on some channel (ERROR, or UNKNOWN: sent without an answer) |
| 2 | bad arguments or settings, or the selection could not be made |
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gateway.errors import GatewayError
from gateway.mappings import CHANNELS
from gateway.runtime import Runtime
from gateway.settings import Settings
from gateway.writes.publishing import (
    ProductOutcome,
    PublishReport,
    PublishStatus,
    publish,
    select_tids,
)

__all__ = ["MAX_FAILURES_SHOWN", "Selection", "read_tids", "run"]

MAX_FAILURES_SHOWN = 20


@dataclass(frozen=True, slots=True)
class Selection:
    """What to publish, as the options gave it."""

    tids: Sequence[str] = ()
    from_file: str | None = None
    node_paths: Sequence[str] = ()
    modified_from: str | None = None  # ISO 8601; a time without zone is UTC
    modified_until: str | None = None

    @property
    def queries(self) -> bool:
        return bool(self.node_paths or self.modified_from or self.modified_until)


def read_tids(source: str) -> list[str]:
    """Tids from a file (``-``: stdin), one a line; blank lines and ``#`` comments skipped."""
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def run(
    settings: Settings,
    selection: Selection,
    channels: Sequence[str] = (),
    *,
    dry_run: bool = False,
    console: Console | None = None,
) -> int:
    """Publish and report; returns the exit code (see the module's table)."""
    out = console or Console()
    wanted = [c.lower() for c in channels] or list(CHANNELS)
    unknown = [c for c in wanted if c not in CHANNELS]
    if unknown:
        return _usage(f"unknown channel {unknown[0]!r}: use {', '.join(CHANNELS)}")
    if not (selection.tids or selection.from_file or selection.queries):
        return _usage("give --tid, --from-file, --node-path or --modified-from/--modified-until")
    try:
        given = [*selection.tids, *(read_tids(selection.from_file) if selection.from_file else ())]
        since, until = _when(selection.modified_from), _when(selection.modified_until)
    except OSError as exc:
        return _usage(f"cannot read {selection.from_file}: {exc.strerror}")
    except ValueError as exc:
        return _usage(str(exc))
    emulated = [n for n in settings.emulated_upstreams if n == "pim" or n in wanted]
    if emulated:
        # Writes to an in-process emulator vanish with the process: say so, not "published".
        out.print(
            f"note: built-in emulators serve {', '.join(emulated)} in this process",
            style="yellow",
            markup=False,
        )
    query = Query(tuple(selection.node_paths), since, until) if selection.queries else None
    return asyncio.run(_publish(settings, query, given, wanted, dry_run, out))


@dataclass(frozen=True, slots=True)
class Query:
    node_paths: tuple[str, ...]
    modified_from: datetime | None
    modified_until: datetime | None


def _when(text: str | None) -> datetime | None:
    """``2024-01-31``, ``2024-01-31T10:00``, ``2024-01-31T10:00:00Z`` ... (no zone: UTC)."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO date or time: {text!r}") from None


def _usage(message: str) -> int:
    Console(stderr=True).print(f"gateway publish: {message}", markup=False)
    return 2


async def _publish(
    settings: Settings,
    query: Query | None,
    given: list[str],
    channels: list[str],
    dry_run: bool,
    out: Console,
) -> int:
    from gateway.embedded import Gateway

    async with Gateway(settings) as gw:
        tids = list(given)
        if query is not None:
            try:
                tids += await select_tids(
                    gw.runtime,
                    node_paths=query.node_paths,
                    modified_from=query.modified_from,
                    modified_until=query.modified_until,
                )
            except GatewayError as exc:
                return _usage(f"selecting products failed: {exc.code}: {exc.message}")
        tids = list(dict.fromkeys(tids))
        if not tids:
            out.print("gateway publish: no product matches: nothing to publish")
            return 0
        report = await _with_progress(gw.runtime, tids, channels, dry_run, out)
    out.print(summary_table(report))
    _print_failures(report, out)
    return 0 if report.ok else 1


async def _with_progress(
    runtime: Runtime, tids: list[str], channels: list[str], dry_run: bool, out: Console
) -> PublishReport:
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    verb = "mapping" if dry_run else "publishing"
    with Progress(*columns, console=out) as progress:
        task = progress.add_task(f"{verb} to {', '.join(channels)}", total=len(tids))

        def advance(batch: Sequence[ProductOutcome]) -> None:
            progress.advance(task, len(batch))

        return await publish(runtime, tids, channels, dry_run=dry_run, on_batch=advance)


def summary_table(report: PublishReport) -> Table:
    """Products per channel and status; statuses no product reached are left out."""
    counts = report.counts()
    reached = [s for s in PublishStatus if any(c[s] for c in counts.values())]
    count = len(report.products)
    title = f"dry run: {count} products" if report.dry_run else f"{count} products, published"
    table = Table(title=title)
    table.add_column("channel")
    for status in reached:
        table.add_column(status.value.lower(), justify="right")
    for channel, by_status in counts.items():
        table.add_row(channel, *(str(by_status[s]) for s in reached))
    return table


def _print_failures(report: PublishReport, out: Console) -> None:
    failures = [(p.tid, o) for p in report.products for o in p.outcomes if not o.ok]
    for tid, outcome in failures[:MAX_FAILURES_SHOWN]:
        out.print(
            f"{outcome.status.value} {tid} {outcome.channel}: {outcome.message}", markup=False
        )
    if len(failures) > MAX_FAILURES_SHOWN:
        out.print(f"... and {len(failures) - MAX_FAILURES_SHOWN} more failures")
