"""``gateway migrate``: the store named by ``GATEWAY_DATABASE`` brought to the current
version, once; the target printed without its password."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.storage import MIGRATIONS
from tests.storage.backends import BACKENDS, database_target


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from database_target(request.param, tmp_path)


def test_migrate_runs_what_is_missing_then_nothing(target: str) -> None:
    target = target.replace("postgresql://postgres@", "postgresql://postgres:s3cret@")
    env = {"GATEWAY_DATABASE": target}
    first = CliRunner().invoke(app, ["migrate"], env=env)
    again = CliRunner().invoke(app, ["migrate"], env=env)
    version = len(MIGRATIONS)
    ran = ", ".join(str(v) for v in range(1, version + 1))
    assert first.exit_code == 0, first.output
    assert first.output.endswith(f": schema version {version} (ran: {ran})\n")
    assert again.output.endswith(f": schema version {version} (ran: none needed)\n")
    assert "s3cret" not in first.output + again.output
