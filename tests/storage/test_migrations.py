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
    opened, errors = _open_together(target, 4)
    try:
        assert errors == []
        assert len(opened) == 4
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


def _open_together(target: str, parties: int) -> tuple[list[Database], list[BaseException]]:
    start = threading.Barrier(parties)
    opened: list[Database] = []
    errors: list[BaseException] = []

    def open_store() -> None:
        start.wait(timeout=30)
        try:
            opened.append(Database(target))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return opened, errors


def test_processes_creating_one_new_sqlite_file_together_all_open_it(tmp_path: Path) -> None:
    # Turning a new file to WAL answers "database is locked" at once (no busy wait) when
    # another connection opens it at that moment: a round in ten to thirty failed so before
    # the retry.
    for round_ in range(60):
        opened, errors = _open_together(str(tmp_path / f"round{round_}.sqlite3"), 4)
        for store in opened:
            store.close()
        assert errors == [], f"round {round_}"
        assert len(opened) == 4
