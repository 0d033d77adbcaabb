"""The bench in its tiny mode: every process starts and stops, every scenario runs, the
tables print, and the baseline answers the deep query exactly as the gateway does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bench.__main__ import parse_options
from bench.baseline import create_app
from bench.calls import endpoint
from bench.report import percentile
from bench.scenarios import DEEP, deep_payload
from gateway.emulators.serving import BackgroundServer
from tests.conftest import GatewayStack

ROOT = Path(__file__).resolve().parent.parent


def test_quick_run_prints_every_scenario_and_the_summary() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    for name in ("deep-cold", "deep-pim-cold", "deep-cached", "lookup", "search", "mixed"):
        assert f"== {name} [gateway]" in out
    assert "== deep-pim-cold [baseline]" in out
    # A bulk scenario either ran or said why it could not.
    for name in ("bulk-commerce", "bulk-citrusad"):
        section = out.split(f"== {name} [gateway]")[1].split("==")[0]
        assert "items/s" in section or "not available" in section
    assert "POST /api/core/v1/pim/products/retrieve" in out
    assert "gateway resident memory (VmRSS" in out
    assert "== sequential [gateway]: one connection, 20 sequential `{ gatewayVersion }`" in out
    assert "(1 connection used" in out
    assert "target" in out and "met?" in out


def test_baseline_answers_the_deep_query_like_the_gateway(stack: GatewayStack) -> None:
    app = create_app(stack.pim.url + "/api/core/v1", stack.citrusad.url)
    baseline = BackgroundServer(app).start()
    try:
        body = deep_payload(DEEP, 12)(0)
        ours = stack.query(body["query"], body["variables"])
        theirs = httpx.post(f"{baseline.url}/graphql", json=body, timeout=30).json()
    finally:
        baseline.stop()
    assert "errors" not in ours and "errors" not in theirs
    assert theirs == ours


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.99) == 0.0


def test_catalog_product_paths_fold_into_one_endpoint() -> None:
    assert endpoint("GET", "/v1/catalog-products/cat/4000000000013") == (
        "GET /v1/catalog-products/{catalogId}/{code}"
    )
    assert endpoint("POST", "/v1/catalog-products") == "POST /v1/catalog-products"


def test_options_reject_nonsense() -> None:
    assert parse_options(["--requests", "5", "--scenario", "lookup"]).scenarios == ("lookup",)
    with pytest.raises(SystemExit):
        parse_options(["--concurrency", "0"])
