"""What one bench run measures; ``QUICK`` is the smoke test's tiny version."""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = [
    "BASELINE_SCENARIOS",
    "COLD",
    "QUICK",
    "SCENARIOS",
    "TARGET_MIXED_REQUESTS",
    "WARM",
    "Options",
]

COLD = ("deep-cold", "deep-pim-cold")
WARM = ("deep-cached", "deep-pim-cached", "lookup", "search", "bulk-commerce", "bulk-citrusad")
SCENARIOS = (*COLD, *WARM, "mixed")
# The baseline has no cache across requests: it serves the deep queries as they are cold.
BASELINE_SCENARIOS = {
    "deep-cold": "deep-cold",
    "deep-cached": "deep-cold",
    "deep-pim-cold": "deep-pim-cold",
    "deep-pim-cached": "deep-pim-cold",
}

TARGET_MIXED_REQUESTS = 10_000


@dataclass(frozen=True, slots=True)
class Options:
    requests: int = 300  # per load scenario, after a warm-up of `concurrency` requests
    concurrency: int = 16
    max_seconds: float = 20.0  # per load scenario: it stops at `requests` or here
    products: int = 100  # products per deep query
    mixed_requests: int = TARGET_MIXED_REQUESTS
    mixed_budget: float = 90.0  # seconds; fewer mixed requests when the estimate is longer
    bulk_items: int = 10_000
    scenarios: tuple[str, ...] = SCENARIOS
    baseline: bool = True
    forced_mixed: bool = False  # --mixed-requests given: run them however long it takes
    quick: bool = False

    def selected(self, name: str) -> bool:
        return name in self.scenarios

    def with_changes(self, **changes: object) -> Options:
        return replace(self, **changes)  # type: ignore[arg-type]


QUICK = Options(
    requests=8,
    concurrency=4,
    max_seconds=2.0,
    products=10,
    mixed_requests=20,
    mixed_budget=5.0,
    bulk_items=100,
    quick=True,
)
