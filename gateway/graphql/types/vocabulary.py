"""The PIM's closed vocabularies as GraphQL enums, and how the PIM's text is read into them.

| field | enum | the document's spellings | also read as |
| --- | --- | --- | --- |
| ``AttributeValue.dataType`` | ``ValueDataType`` | text, number, date, boolean, table | string, real (the document's prose) |
| ``AttributeValue.kind`` | ``ValueKind`` | simple, localized, multiple, multi_loc, domain, loc_domain, multi_domain, multi_loc_domain | |
| ``ProductItem.status`` | ``ItemStatus`` | READY (the only one its samples show) | |
| ``Attribute.inheritance`` | ``AttributeInheritance`` | visible, not_visible | |
| ``Attribute.level`` | ``AttributeLevel`` | p, a, v | |
| ``AttributeDefinition.type`` | ``AttributeDefinitionType`` | text, number, date, boolean, ref, table | string, real |

Case does not matter. A spelling the gateway does not know (a vendor's newer release, a
customised PIM) never fails a read: the enum field answers null, its ``...Raw`` twin keeps
the PIM's text as sent, and a warning is logged once per field and spelling, so that the
member can be added. Null rather than an ``OTHER`` member because these enums are also the
write inputs' (``ValueInput.kind``: a client reads a value and writes it back with the same
type), where ``OTHER`` would be a choice the PIM cannot take; and every one of these fields
is null already when the PIM leaves the attribute out, so a client has that branch anyway.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from functools import cache
from typing import TypeVar

import strawberry

from gateway.graphql.types.pim_inputs import (
    AttributeDefinitionType,
    AttributeLevel,
    ValueDataType,
    ValueKind,
)

__all__ = [
    "AttributeDefinitionType",
    "AttributeInheritance",
    "AttributeLevel",
    "ItemStatus",
    "ValueDataType",
    "ValueKind",
    "read_enum",
]

log = logging.getLogger("gateway.schema")

E = TypeVar("E", bound=enum.Enum)


@strawberry.enum(
    description="A product's, article's or variant's status (its `<meta>` `status`). The "
    "document shows READY only: any other status reads as null, its text in `statusRaw`."
)
class ItemStatus(enum.Enum):
    READY = "READY"


@strawberry.enum(description="Whether an attribute is passed on to the nodes below its own.")
class AttributeInheritance(enum.Enum):
    VISIBLE = strawberry.enum_value("visible", description="Child nodes see the attribute.")
    NOT_VISIBLE = strawberry.enum_value("not_visible", description="Only its own node has it.")


# Spellings the document uses besides the members' own: its prose names the data types
# string and real where its answers say text and number.
_SYNONYMS: Mapping[type[enum.Enum], Mapping[str, str]] = {
    ValueDataType: {"string": "text", "real": "number"},
    AttributeDefinitionType: {"string": "text", "real": "number"},
}

_MAX_REPORTED = 256  # distinct unknown spellings logged per process; bounded memory
_reported: set[tuple[str, str]] = set()


@cache
def _lookup(cls: type[enum.Enum]) -> Mapping[str, enum.Enum]:
    members = {str(m.value).casefold(): m for m in cls}
    for spelling, value in _SYNONYMS.get(cls, {}).items():
        members[spelling] = members[value]
    return members


def read_enum(cls: type[E], text: str | None, field: str) -> E | None:
    """The member of ``cls`` the PIM's ``text`` names; ``None`` for none or an unknown one.

    | cls | text | result |
    | --- | --- | --- |
    | ``ValueDataType`` | ``number``, ``NUMBER``, ``real`` | ``NUMBER`` |
    | ``ItemStatus`` | ``IN_WORK`` | ``None`` (logged once: ``field`` names where) |
    """
    if text is None:
        return None
    found = _lookup(cls).get(text.strip().casefold())
    if found is None:
        _report(field, text)
    return found  # type: ignore[return-value]


def _report(field: str, text: str) -> None:
    key = (field, text[:100])
    if key in _reported or len(_reported) >= _MAX_REPORTED:
        return
    _reported.add(key)
    log.warning(
        "the PIM answered %s=%r, which the schema's enum does not name: "
        "answered as null, the text kept in the field's Raw twin",
        field,
        key[1],
    )
