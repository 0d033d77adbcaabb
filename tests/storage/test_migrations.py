"""Versioned migrations, run when a store opens: on both backends, processes starting
together migrate once, and a store already at the current version runs nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.storage import MIGRATIONS, Database
from tests.storage.backends import BACKENDS, database_target


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from database_target(request.param, tmp_path)


def test_stores_opening_together_migrate_once(target: str) -> None:
    start = threading.Barrier(4)
    opened: list[Database] = []

    def open_store() -> None:
        start.wait(timeout=30)
        opened.append(Database(target))

    threads = [threading.Thread(target=open_store) for _ in range(start.parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert len(opened) == start.parties
        applied = sorted(store.applied for store in opened)
        assert applied == [(), (), (), tuple(range(1, len(MIGRATIONS) + 1))]
        assert {store.version for store in opened} == {len(MIGRATIONS)}
    finally:
        for store in opened:
            store.close()
    again = Database(target)
    assert (again.applied, again.version) == ((), len(MIGRATIONS))
    again.close()


def test_the_target_picks_the_backend_and_is_described_without_its_password(
    target: str,
) -> None:
    # The local server trusts every password, so one can be added to the URL.
    target = target.replace("postgresql://postgres@", "postgresql://postgres:s3cret@")
    database = Database(target)
    try:
        expected = "postgresql" if target.startswith("postgresql://") else "sqlite"
        assert database.dialect.name == expected
        assert "s3cret" not in database.describe()
        assert database.describe().lower().startswith(expected)
    finally:
        database.close()
