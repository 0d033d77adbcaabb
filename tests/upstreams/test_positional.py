"""``records.positional``: the decoders' builders make the same frozen records as ``__init__``."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from gateway.upstreams.records import (
    AttributeValue,
    ItemMeta,
    LocalizedText,
    Product,
    ValueEntry,
    positional,
)


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (ValueEntry, ("x", "de_DE", 2, "k")),
        (AttributeValue, ("gtin", (ValueEntry("1"),), "text", "simple", "/A", None, "t")),
        (ItemMeta, (7, datetime(2024, 1, 1, tzinfo=UTC), None, None, "READY", {"a": "b"})),
        (LocalizedText, ({"de_DE": "Titel"}, None)),
        # A subclass: its base class's fields come first, as in __init__.
        (Product, ("P1", LocalizedText(plain="p"), None, (), "/A", (), None)),
    ],
)
def test_builds_what_init_builds(cls: type, values: tuple[object, ...]) -> None:
    built = positional(cls)(*values)
    made = cls(*values)
    assert type(built) is cls
    assert built == made
    assert dataclasses.astuple(built) == dataclasses.astuple(made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.__setattr__(dataclasses.fields(cls)[0].name, None)


def test_every_field_is_required() -> None:
    with pytest.raises(TypeError):
        positional(ValueEntry)("x")


def test_refuses_what_it_would_build_wrong() -> None:
    @dataclasses.dataclass(frozen=True)
    class Unslotted:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            raise ValueError

    for cls in (Unslotted, Checked, dict):
        with pytest.raises(TypeError):
            positional(cls)
