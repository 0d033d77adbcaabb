"""The OMNICOMMERCE read model: rows move with their write job's transactions. Every test
that takes ``database`` runs on SQLite and on PostgreSQL (``tests/storage/backends.py``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gateway.database import Database
from gateway.readmodel import CommerceReadModel, CommerceStatus, Operation
from tests.storage.backends import BACKENDS, database_target

NOW = "2026-12-02T00:00:00+00:00"


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    for target in database_target(request.param, tmp_path / "db"):
        database = Database(target)
        yield database
        database.close()


@pytest.fixture
def model(database: Database) -> CommerceReadModel:
    return CommerceReadModel(database)


def _item(pid: str, **extra: object) -> dict[str, object]:
    return {
        "id": pid,
        "url": "https://i/x.jpg",
        "detection": "TOP",
        "salesUrl": "https://s",
        **extra,
    }


def _write(
    database: Database,
    job: str,
    operation: Operation,
    items: list[dict[str, object]],
    outcomes: dict[str, tuple[CommerceStatus, str | None]],
) -> None:
    with database.transaction() as db:
        CommerceReadModel.queue(db, job, operation, items, NOW)
    with database.transaction() as db:
        CommerceReadModel.settle(db, job, operation, outcomes, NOW)


def test_a_queued_write_shows_what_is_pending_until_settled(
    database: Database, model: CommerceReadModel
) -> None:
    with database.transaction() as db:
        CommerceReadModel.queue(db, "j1", Operation.REGISTER, [_item("A1"), _item("A2")], NOW)
    record = model.get("A1")
    assert record is not None
    assert (record.status, record.payload, record.pending, record.job_id) == (
        CommerceStatus.QUEUED,
        None,
        _item("A1"),
        "j1",
    )
    with database.transaction() as db:
        CommerceReadModel.sending(db, "j1", ["A1"], NOW)
    assert model.get("A1").status is CommerceStatus.SENDING  # type: ignore[union-attr]
    with database.transaction() as db:
        CommerceReadModel.settle(
            db,
            "j1",
            Operation.REGISTER,
            {
                "A1": (CommerceStatus.ACCEPTED, None),
                "A2": (CommerceStatus.FAILED, "Block duplicate products."),
            },
            NOW,
        )
    accepted, failed = model.get("A1"), model.get("A2")
    assert accepted is not None and failed is not None
    assert (accepted.status, accepted.payload, accepted.pending) == (
        CommerceStatus.ACCEPTED,
        _item("A1"),
        None,
    )
    assert (failed.status, failed.reason) == (CommerceStatus.FAILED, "Block duplicate products.")


def test_update_merges_only_the_fields_sent(database: Database, model: CommerceReadModel) -> None:
    first = _item("AE00001", metadata={"productName": "Linen Summer Pants", "originPrice": 10})
    _write(
        database, "j1", Operation.REGISTER, [first], {"AE00001": (CommerceStatus.ACCEPTED, None)}
    )
    patch = {"id": "AE00001", "metadata": {"productName": "Linen Pants"}}
    _write(database, "j2", Operation.UPDATE, [patch], {"AE00001": (CommerceStatus.ACCEPTED, None)})
    record = model.get("AE00001")
    assert record is not None and record.payload is not None
    assert record.payload["metadata"] == {"productName": "Linen Pants", "originPrice": 10}
    assert record.payload["detection"] == "TOP"


def test_failed_or_cancelled_writes_keep_what_was_accepted(
    database: Database, model: CommerceReadModel
) -> None:
    _write(
        database, "j1", Operation.REGISTER, [_item("A1")], {"A1": (CommerceStatus.ACCEPTED, None)}
    )
    patch = {"id": "A1", "url": "https://other"}
    _write(
        database, "j2", Operation.UPDATE, [patch], {"A1": (CommerceStatus.FAILED, "bad reqeust")}
    )
    record = model.get("A1")
    assert record is not None and record.payload is not None
    assert record.payload["url"] == "https://i/x.jpg" and record.reason == "bad reqeust"
    _write(
        database, "j3", Operation.UPDATE, [patch], {"A1": (CommerceStatus.CANCELLED, "cancelled")}
    )
    record = model.get("A1")
    assert record is not None and record.status is CommerceStatus.CANCELLED
    assert record.payload is not None and record.payload["url"] == "https://i/x.jpg"


def test_delete_and_unknown(database: Database, model: CommerceReadModel) -> None:
    _write(
        database,
        "j1",
        Operation.REGISTER,
        [_item("A1"), _item("A2")],
        {"A1": (CommerceStatus.ACCEPTED, None), "A2": (CommerceStatus.UNKNOWN, "timeout")},
    )
    _write(database, "j2", Operation.DELETE, [{"id": "A1"}], {"A1": (CommerceStatus.DELETED, None)})
    a1, a2 = model.get("A1"), model.get("A2")
    assert a1 is not None and a2 is not None
    assert (a1.status, a1.payload) == (CommerceStatus.DELETED, None)
    assert (a2.status, a2.pending) == (CommerceStatus.UNKNOWN, _item("A2"))


def test_an_older_jobs_answer_does_not_overwrite_a_newer_write(
    database: Database, model: CommerceReadModel
) -> None:
    with database.transaction() as db:
        CommerceReadModel.queue(db, "old", Operation.REGISTER, [_item("A1")], NOW)
        CommerceReadModel.queue(
            db, "new", Operation.REGISTER, [_item("A1", detection="PANTS")], NOW
        )
        CommerceReadModel.settle(
            db, "old", Operation.REGISTER, {"A1": (CommerceStatus.FAILED, "x")}, NOW
        )
    record = model.get("A1")
    assert record is not None
    assert (record.status, record.job_id) == (CommerceStatus.QUEUED, "new")


def test_paging_by_id_with_status_filter(database: Database, model: CommerceReadModel) -> None:
    ids = [f"P{i:03d}" for i in range(25)]
    outcomes = {i: (CommerceStatus.ACCEPTED, None) for i in ids[:20]}
    outcomes |= {i: (CommerceStatus.FAILED, "x") for i in ids[20:]}
    _write(database, "j1", Operation.REGISTER, [_item(i) for i in ids], outcomes)
    page, more = model.page(first=10)
    assert [r.id for r in page] == ids[:10] and more
    page, more = model.page(first=10, after=ids[19])
    assert [r.id for r in page] == ids[20:] and not more
    failed, _ = model.page(first=100, status=CommerceStatus.FAILED)
    assert [r.id for r in failed] == ids[20:]
    assert model.count(CommerceStatus.ACCEPTED) == 20 and model.count() == 25
    assert set(model.get_many([*ids[:3], "NOPE"])) == set(ids[:3])


def test_a_failing_transaction_leaves_nothing_behind(
    database: Database, model: CommerceReadModel
) -> None:
    with pytest.raises(KeyError), database.transaction() as db:
        CommerceReadModel.queue(db, "j1", Operation.REGISTER, [_item("A1"), {"no": "id"}], NOW)
    assert model.count() == 0


def test_status_is_constrained_by_the_database(database: Database) -> None:
    with (
        pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)),
        database.transaction() as db,
    ):
        db.execute(
            "INSERT INTO commerce_products VALUES"
            " ('x', 'HALF', 'register', NULL, NULL, NULL, NULL, 'a', 'b')"
        )


def test_rows_of_earlier_versions_are_migrated(tmp_path: Path) -> None:
    """A file written before write jobs: PENDING meant "begun, maybe sent" and becomes
    UNKNOWN with a reason that says so; the other rows keep their status."""
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE commerce_products (
            id TEXT PRIMARY KEY,
            status TEXT NOT NULL CHECK (status IN ('PENDING','ACCEPTED','FAILED','DELETED','UNKNOWN')),
            operation TEXT NOT NULL CHECK (operation IN ('register','update','delete')),
            payload TEXT, pending TEXT, reason TEXT,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL
        );
        INSERT INTO commerce_products VALUES
            ('A1', 'PENDING', 'register', NULL, '{"id": "A1"}', NULL, '2026-01-01', '2026-01-01'),
            ('A2', 'ACCEPTED', 'register', '{"id": "A2"}', NULL, NULL, '2026-01-01', '2026-01-01');
        """
    )
    old.close()
    database = Database(path)
    assert database.version == 3
    model = CommerceReadModel(database)
    pending, accepted = model.get("A1"), model.get("A2")
    assert pending is not None and accepted is not None
    assert pending.status is CommerceStatus.UNKNOWN
    assert pending.reason is not None and "may or may not have been sent" in pending.reason
    assert pending.pending == {"id": "A1"}
    assert (accepted.status, accepted.payload) == (CommerceStatus.ACCEPTED, {"id": "A2"})
    database.close()
    assert Database(path).version == 3  # opening again migrates nothing
