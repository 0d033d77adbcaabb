"""The PIM's value texts read as numbers, instants and booleans, or ``None`` when they aren't.

The PIM holds every attribute value as text (``<itm>5.432</itm>``); these readers give the
typed accessors of ``AttributeValue`` and ``ValueEntry`` their values. A text that does not
read as the type is ``None`` (the text itself stays in ``value``): a read never fails on it.
They read the text whatever ``dataType`` says, so a client may read a number out of a text
attribute (``"38"``) and tell from ``dataType`` what the PIM declares.

| reader | reads | ``None`` for |
| --- | --- | --- |
| ``as_decimal`` | ``5.432``, ``-3``, ``1e3``, ``.5`` (exactly, as ``Decimal``) | ``1,5``, ``1_000``, ``NaN``, ``Infinity``, ``""`` |
| ``as_datetime`` | ``2022-12-20T11:06:18.000Z`` (the PIM's form), any ISO 8601 with or without offset, a date alone | ``20.12.2022``, ``""`` |
| ``as_boolean`` | ``true``, ``false`` (any case) | ``1``, ``yes``, ``""`` |
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

__all__ = ["as_boolean", "as_datetime", "as_decimal"]

# Python's Decimal also takes "NaN", "Infinity" and digit separators ("1_000"); a PIM number
# is none of those, so the text must look like a plain decimal number first.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,6})?")
_BOOLEANS = {"true": True, "false": False}


def as_decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    text = text.strip()
    return Decimal(text) if _NUMBER.fullmatch(text) else None


def as_datetime(text: str | None) -> datetime | None:
    """An instant; a text without an offset is UTC (every time the PIM writes is: ``...Z``),
    a date alone is that day's midnight UTC."""
    if text is None:
        return None
    try:
        found = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def as_boolean(text: str | None) -> bool | None:
    return None if text is None else _BOOLEANS.get(text.strip().lower())
