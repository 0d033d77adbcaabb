"""``gateway/graphql/typed_text.py`` and ``gateway/graphql/types/vocabulary.py``: the PIM's text, typed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from gateway.graphql.typed_text import as_boolean, as_datetime, as_decimal
from gateway.graphql.types.vocabulary import (
    AttributeDefinitionType,
    AttributeInheritance,
    ItemStatus,
    ValueDataType,
    ValueKind,
    read_enum,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("5.432", Decimal("5.432")),
        ("-3", Decimal(-3)),
        (" 7 ", Decimal(7)),
        ("1e3", Decimal("1e3")),
        (".5", Decimal("0.5")),
        ("0.1", Decimal("0.1")),  # exact, not the float 0.1000000000000000055...
        ("1,5", None),
        ("1_000", None),
        ("NaN", None),
        ("Infinity", None),
        ("1e9999999", None),
        ("", None),
        (None, None),
    ],
)
def test_as_decimal(text: str | None, number: Decimal | None) -> None:
    assert as_decimal(text) == number


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2022-12-20T11:06:18.000Z", datetime(2022, 12, 20, 11, 6, 18, tzinfo=UTC)),
        (
            "2022-12-20T11:06:18+02:00",
            datetime(2022, 12, 20, 11, 6, 18, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2022-12-20T11:06", datetime(2022, 12, 20, 11, 6, tzinfo=UTC)),
        ("2022-12-20", datetime(2022, 12, 20, tzinfo=UTC)),
        ("20.12.2022", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_as_datetime(text: str | None, instant: datetime | None) -> None:
    assert as_datetime(text) == instant


@pytest.mark.parametrize(
    ("text", "flag"),
    [("true", True), ("FALSE", False), (" True ", True), ("1", None), ("yes", None), (None, None)],
)
def test_as_boolean(text: str | None, flag: bool | None) -> None:
    assert as_boolean(text) is flag


def test_read_enum_takes_the_documents_spellings_in_any_case() -> None:
    assert read_enum(ValueKind, "multi_loc_domain", "f") is ValueKind.MULTI_LOC_DOMAIN
    assert read_enum(ValueDataType, "NUMBER", "f") is ValueDataType.NUMBER
    assert read_enum(ValueDataType, "real", "f") is ValueDataType.NUMBER
    assert read_enum(ValueDataType, "string", "f") is ValueDataType.TEXT
    assert read_enum(AttributeDefinitionType, "Real", "f") is AttributeDefinitionType.NUMBER
    assert read_enum(AttributeInheritance, "not_visible", "f") is AttributeInheritance.NOT_VISIBLE
    assert read_enum(ItemStatus, "READY", "f") is ItemStatus.READY
    assert read_enum(ItemStatus, None, "f") is None


def test_read_enum_answers_none_for_an_unknown_spelling_and_logs_it_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="gateway.schema"):
        for _ in range(3):
            assert read_enum(ValueKind, "tree", "Test.kind") is None
    assert [r.getMessage() for r in caplog.records].count(
        "the PIM answered Test.kind='tree', which the schema's enum does not name: "
        "answered as null, the text kept in the field's Raw twin"
    ) == 1
