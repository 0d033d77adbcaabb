"""Custom scalars that protect input: a bad value is refused before any upstream call.

| scalar | accepts | example |
| --- | --- | --- |
| ``GTIN`` | 8, 12, 13 or 14 digits with a valid GS1 check digit | ``"4000000000015"`` |
| ``CommerceProductId`` | 1..50 of ``0-9 a-z A-Z - . _ ~`` (RFC 3986 unreserved) | ``"A1000"`` |

``DateTime`` and ``Decimal`` are strawberry's own (ISO 8601; exact decimals as strings).
"""

from __future__ import annotations

import re
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

__all__ = [
    "GTIN",
    "SCALAR_MAP",
    "CommerceProductId",
    "is_valid_commerce_id",
    "is_valid_gtin",
    "parse_commerce_id",
    "parse_gtin",
]

_GTIN = re.compile(r"^(\d{8}|\d{12}|\d{13}|\d{14})$")
_COMMERCE_ID = re.compile(r"^[0-9A-Za-z\-._~]{1,50}$")


def is_valid_gtin(value: str) -> bool:
    if not _GTIN.match(value):
        return False
    body, check = value[:-1], int(value[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def parse_gtin(value: object) -> str:
    text = str(value).strip()
    if not is_valid_gtin(text):
        raise ValueError(f"{text!r} is not a GTIN (8, 12, 13 or 14 digits with a check digit)")
    return text


def is_valid_commerce_id(value: str) -> bool:
    return bool(_COMMERCE_ID.match(value))


def parse_commerce_id(value: object) -> str:
    text = str(value)
    if not is_valid_commerce_id(text):
        raise ValueError(
            f"{text[:60]!r} is not an OMNICOMMERCE product id (1 to 50 of 0-9 a-z A-Z - . _ ~)"
        )
    return text


GTIN = NewType("GTIN", str)
CommerceProductId = NewType("CommerceProductId", str)

# Handed to ``StrawberryConfig(scalar_map=...)`` when the schema is built.
SCALAR_MAP: dict[object, ScalarDefinition] = {
    GTIN: strawberry.scalar(
        name="GTIN",
        description="A GS1 trade item number: 8, 12, 13 or 14 digits with a valid check digit.",
        serialize=str,
        parse_value=parse_gtin,
    ),
    CommerceProductId: strawberry.scalar(
        name="CommerceProductId",
        description="An OMNICOMMERCE product id: 1 to 50 characters of 0-9 a-z A-Z - . _ ~.",
        serialize=str,
        parse_value=parse_commerce_id,
    ),
}
