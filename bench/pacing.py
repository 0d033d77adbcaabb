"""``python -m bench.pacing``: OMNICOMMERCE pacing, counted at the emulator's end.

10,000 items (100 requests of 100) go through ``OmnicommerceClient.register`` to the
OMNICOMMERCE emulator, served on loopback by a ``BackgroundServer``, once per ``--jitter``
value (default: none, then 0 to 0.3 s of random delay on the way in). A fresh emulator and
a fresh limiter for each run.

| figure | from |
| --- | --- |
| items/s, % of the 500 items/s ceiling | items over the wall time of the one ``register`` call (the first window's burst of 5 puts a short run above 100 %) |
| sustained | the emulator's log (``at``): 100 items x (requests - 5) / (last arrival - first arrival), what the rate allows over that span being 500/s |
| expected | ``5 / (1.01 + mean delay)`` requests a second: a slot reopens a window after its answer |
| 429s | the emulator's log (``status``) |
| most in 1 s | the emulator's log (``at``): the most arrivals within any sliding second |

Not a test (the figures depend on the machine); ``--items`` and ``--jitter`` change the run.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bench.report import format_table
from gateway.emulators import omnicommerce
from gateway.emulators.serving import BackgroundServer
from gateway.settings import load_settings
from gateway.upstreams.omnicommerce import OmnicommerceClient
from gateway.upstreams.records import CommerceProduct
from gateway.upstreams.transport import OMNICOMMERCE_RATE, TransportPool, omnicommerce_config

__all__ = ["CEILING", "PacingFigures", "main", "measure_pacing"]

CEILING = 500.0  # items a second: 5 requests of 100
_PATH = "/2022-08/management/products"


@dataclass(frozen=True, slots=True)
class PacingFigures:
    jitter: float
    items: int
    accepted: int
    seconds: float
    requests: int
    too_many: int  # answers of 429
    most_in_window: int  # arrivals within any sliding second
    span: float  # seconds from the first arrival to the last, at the emulator

    @property
    def per_second(self) -> float:
        return self.items / self.seconds

    @property
    def of_ceiling(self) -> float:
        return self.per_second / CEILING

    @property
    def sustained(self) -> float:
        """Items a second between the first arrival and the last, less the first burst of 5.

        A 5-a-second rule lets at most ``5 * (s + 1)`` requests arrive within ``s`` seconds, so
        ``(requests - 5) / span`` is the rate to hold against the ceiling.
        """
        chunk = self.items / max(self.requests, 1)
        return chunk * (self.requests - 5) / self.span if self.span > 0 else 0.0

    @property
    def expected(self) -> float:
        """The ceiling share the rule allows: a slot is held for the mean delay, then a window."""
        window = OMNICOMMERCE_RATE.per * (1.0 + OMNICOMMERCE_RATE.margin)
        return OMNICOMMERCE_RATE.per / (window + self.jitter / 2)


def _product(i: int) -> CommerceProduct:
    return CommerceProduct(
        id=f"B-{i}",
        url=f"https://img.example/{i}.jpg",
        detection="TOP",
        sales_url=f"https://shop.example/{i}",
        metadata={"productName": f"shirt {i}", "originPrice": 10000},
    )


async def measure_pacing(items: int, jitter: float, max_in_flight: int = 8) -> PacingFigures:
    """One ``register`` of ``items`` against a fresh emulator delaying each call 0..``jitter`` s."""
    server = BackgroundServer(omnicommerce.create_app()).start()
    pool = TransportPool()
    try:
        server.app.state.faults.set(jitter=jitter)
        config = omnicommerce_config(load_settings({}), emulator_url=server.url + "/2022-08")
        client = OmnicommerceClient(pool.add(config), max_in_flight=max_in_flight)
        products = [_product(i) for i in range(items)]
        started = time.perf_counter()
        result = await client.register(products)
        seconds = time.perf_counter() - started
        log = server.app.state.log
        statuses = [e.status for e in log.entries() if e.path == _PATH]
        arrivals = [e.at for e in log.entries() if e.path == _PATH and e.at is not None]
        return PacingFigures(
            jitter=jitter,
            items=items,
            accepted=result.accept,
            seconds=seconds,
            requests=len(statuses),
            too_many=statuses.count(429),
            most_in_window=log.max_in_window(1.0, "POST", _PATH),
            span=max(arrivals) - min(arrivals) if arrivals else 0.0,
        )
    finally:
        await pool.aclose()
        server.stop()


def report(figures: Sequence[PacingFigures]) -> str:
    rows = [
        [
            f"0..{f.jitter:g} s" if f.jitter else "none",
            f"{f.items:,} ({f.accepted:,} accepted)",
            f"{f.requests}",
            f"{f.seconds:.2f} s",
            f"{f.per_second:.0f}/s ({f.of_ceiling:.1%})",
            f"{f.sustained:.0f}/s ({f.sustained / CEILING:.1%})",
            f"{f.expected:.1%}",
            f"{f.too_many}",
            f"{f.most_in_window}",
        ]
        for f in figures
    ]
    header = [
        "delay",
        "items",
        "requests",
        "time",
        "throughput",
        "sustained",
        "expected",
        "429s",
        "most in 1 s",
    ]
    return format_table(header, rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pacing", description="OMNICOMMERCE pacing against the emulator."
    )
    parser.add_argument("--items", type=int, default=10_000, help="items per run")
    parser.add_argument(
        "--jitter", type=float, action="append", help="seconds of random delay (repeatable)"
    )
    parser.add_argument("--max-in-flight", type=int, default=8, help="the client's concurrency")
    args = parser.parse_args(argv)
    figures = [
        asyncio.run(measure_pacing(args.items, jitter, args.max_in_flight))
        for jitter in (args.jitter or [0.0, 0.3])
    ]
    print(report(figures))


if __name__ == "__main__":
    main()
