from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gateway.readmodel import CommerceReadModel, CommerceStatus, Operation


@pytest.fixture
def model(tmp_path: Path) -> CommerceReadModel:
    return CommerceReadModel(tmp_path / "db" / "gateway.sqlite3")


def _item(pid: str, **extra: object) -> dict[str, object]:
    return {
        "id": pid,
        "url": "https://i/x.jpg",
        "detection": "TOP",
        "salesUrl": "https://s",
        **extra,
    }


def test_register_is_pending_until_settled(model: CommerceReadModel) -> None:
    model.begin(Operation.REGISTER, [_item("A1"), _item("A2")])
    record = model.get("A1")
    assert record is not None
    assert (record.status, record.payload) == (CommerceStatus.PENDING, None)
    model.settle(Operation.REGISTER, accepted=["A1"], failed={"A2": "Block duplicate products."})
    accepted, failed = model.get("A1"), model.get("A2")
    assert accepted is not None and failed is not None
    assert accepted.status is CommerceStatus.ACCEPTED
    assert accepted.payload == _item("A1")
    assert (failed.status, failed.reason) == (CommerceStatus.FAILED, "Block duplicate products.")


def test_update_merges_only_the_fields_sent(model: CommerceReadModel) -> None:
    model.begin(
        Operation.REGISTER,
        [_item("AE00001", metadata={"productName": "Linen Summer Pants", "originPrice": 10})],
    )
    model.settle(Operation.REGISTER, accepted=["AE00001"], failed={})
    model.begin(Operation.UPDATE, [{"id": "AE00001", "metadata": {"productName": "Linen Pants"}}])
    model.settle(Operation.UPDATE, accepted=["AE00001"], failed={})
    record = model.get("AE00001")
    assert record is not None and record.payload is not None
    assert record.payload["metadata"] == {"productName": "Linen Pants", "originPrice": 10}
    assert record.payload["detection"] == "TOP"


def test_failed_update_keeps_what_was_accepted(model: CommerceReadModel) -> None:
    model.begin(Operation.REGISTER, [_item("A1")])
    model.settle(Operation.REGISTER, accepted=["A1"], failed={})
    model.begin(Operation.UPDATE, [{"id": "A1", "url": "https://other"}])
    model.settle(Operation.UPDATE, accepted=[], failed={"A1": "bad reqeust"})
    record = model.get("A1")
    assert record is not None and record.payload is not None
    assert record.payload["url"] == "https://i/x.jpg" and record.reason == "bad reqeust"


def test_delete_and_unknown(model: CommerceReadModel) -> None:
    model.begin(Operation.REGISTER, [_item("A1"), _item("A2")])
    model.settle(Operation.REGISTER, accepted=["A1"], failed={}, unknown=["A2"])
    model.begin(Operation.DELETE, [{"id": "A1"}])
    model.settle(Operation.DELETE, accepted=["A1"], failed={})
    a1, a2 = model.get("A1"), model.get("A2")
    assert a1 is not None and a2 is not None
    assert (a1.status, a1.payload) == (CommerceStatus.DELETED, None)
    assert a2.status is CommerceStatus.UNKNOWN


def test_paging_by_id_with_status_filter(model: CommerceReadModel) -> None:
    ids = [f"P{i:03d}" for i in range(25)]
    model.begin(Operation.REGISTER, [_item(i) for i in ids])
    model.settle(Operation.REGISTER, accepted=ids[:20], failed={i: "x" for i in ids[20:]})
    page, more = model.page(first=10)
    assert [r.id for r in page] == ids[:10] and more
    page, more = model.page(first=10, after=ids[19])
    assert [r.id for r in page] == ids[20:] and not more
    failed, _ = model.page(first=100, status=CommerceStatus.FAILED)
    assert [r.id for r in failed] == ids[20:]
    assert model.count(CommerceStatus.ACCEPTED) == 20 and model.count() == 25


def test_a_failing_transaction_leaves_nothing_behind(model: CommerceReadModel) -> None:
    with pytest.raises(KeyError):
        model.begin(Operation.REGISTER, [_item("A1"), {"no": "id"}])
    assert model.count() == 0


def test_status_is_constrained_by_the_database(model: CommerceReadModel) -> None:
    db = sqlite3.connect(model.path)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO commerce_products VALUES ('x', 'HALF', 'register', NULL, NULL, NULL, 'a', 'b')"
        )
    db.close()
