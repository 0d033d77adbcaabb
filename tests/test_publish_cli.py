"""``gateway publish``: selection, progress and summary, exit codes; in process and as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gateway.cli import app

SAMPLE = "78fc9abb-2223-40dc-ac3e-26d42102d050"  # no GTIN value: CitrusAd cannot take it


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"GATEWAY_DATABASE": str(tmp_path / "gateway.sqlite3")}


def _run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(app, ["publish", *args], env=env)


def _rows(output: str) -> dict[str, list[str]]:
    """The summary table's rows by channel: ``{"citrusad": ["citrusad", "1", "2"]}``."""
    cells = [
        [cell.strip() for cell in line.strip("│ ").split("│")]
        for line in output.splitlines()
        if line.startswith("│")
    ]
    return {row[0]: row for row in cells}


def _summary_row(output: str, channel: str) -> list[str]:
    return _rows(output)[channel]


def test_a_failed_item_exits_1_after_the_summary_and_the_failures(env: dict[str, str]) -> None:
    result = _run(env, "--tid", "DEMO-0001", "--tid", SAMPLE, "--tid", "NOPE")
    assert result.exit_code == 1, result.output
    assert "3 products, published" in result.output
    assert _summary_row(result.output, "omnicommerce") == ["omnicommerce", "2", "1"]
    assert _summary_row(result.output, "citrusad") == ["citrusad", "1", "2"]
    assert "ERROR NOPE omnicommerce: no product with tid 'NOPE' in the PIM" in result.output
    assert f"ERROR {SAMPLE} citrusad: no GTIN" in result.output.replace("\n", " ")
    assert "3/3" in result.output  # the progress bar, finished


def test_node_path_selection_publishes_every_product_under_it(env: dict[str, str]) -> None:
    result = _run(env, "--node-path", "/Standard/Bekleidung/Damen", "--channel", "omnicommerce")
    assert result.exit_code == 0, result.output
    # Demo products are spread over four nodes: 75 of the 300 are under Damen.
    assert "75 products, published" in result.output
    assert _summary_row(result.output, "omnicommerce") == ["omnicommerce", "75"]
    assert set(_rows(result.output)) == {"omnicommerce"}


def test_dry_run_from_a_file_and_a_date_range_writes_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    listing = tmp_path / "tids.txt"
    listing.write_text("# to check\nDEMO-0001\n\nDEMO-0002  # jeans\nDEMO-0001\n")
    result = _run(
        env,
        "--from-file",
        str(listing),
        "--modified-from",
        "2024-01-01T00:00:00Z",
        "--modified-until",
        "2024-01-01T05:30:00Z",
        "--dry-run",
    )
    assert result.exit_code == 0, result.output
    # DEMO-0001 .. 0005 were modified within the range: five products, each once.
    assert "dry run: 5 products" in result.output
    assert _summary_row(result.output, "citrusad") == ["citrusad", "5"]
    assert "mapped" in result.output


def test_an_extension_named_in_settings_maps_the_cli_publish(env: dict[str, str]) -> None:
    with_extension = {**env, "GATEWAY_EXTENSIONS": "examples.custom_mapping"}
    result = _run(with_extension, "--tid", SAMPLE, "--channel", "omnicommerce")
    assert result.exit_code == 0, result.output  # skipped by the example: not a failure
    assert _summary_row(result.output, "omnicommerce") == ["omnicommerce", "1"]
    assert "skipped" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--channel", "shop", "--tid", "X"], "unknown channel 'shop'"),
        ([], "give --tid, --from-file, --node-path"),
        (["--from-file", "/nonexistent/tids.txt"], "cannot read /nonexistent/tids.txt"),
        (["--modified-from", "yesterday"], "not an ISO date or time: 'yesterday'"),
    ],
)
def test_bad_arguments_exit_2_with_a_reason(
    env: dict[str, str], args: list[str], message: str
) -> None:
    result = _run(env, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_gateway_publish_as_a_user_runs_it(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "publish", "--tid", "DEMO-0001", "--tid", "NOPE"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "2 products, published" in done.stdout
    assert "ERROR NOPE" in done.stdout
