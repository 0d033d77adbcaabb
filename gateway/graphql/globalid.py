"""Relay global ids: ``base64("Type:key")``, opaque to clients, decoded by ``node(id)``.

| type | key | example decoded |
| --- | --- | --- |
| Product | tid | ``Product:DEMO-0001`` |
| Article, Variant | product tid, then own tids, ``/``-joined | ``Variant:DEMO-0002/DEMO-0002-A1/DEMO-0002-A1-V1`` |
| Classification | tid | ``Classification:Standard`` |
| ClassificationNode, Attribute | pimId | ``ClassificationNode:15271`` |
| AttributeDefinition | tid | ``AttributeDefinition:gtin`` |
| CatalogProduct | catalogId and gtin | ``CatalogProduct:628d.../4000000000013`` |
| CommerceProduct | id | ``CommerceProduct:A1000`` |

A numeric key is 1 to 18 ASCII digits (``int_key``); any other names no entity.
"""

from __future__ import annotations

import base64
import binascii
import re

from gateway.errors import BadUserInput

__all__ = ["decode_global_id", "encode_global_id", "int_key"]

# ``str.isdigit`` is no guard for ``int``: it takes "²", and ``int`` refuses over 4,300 digits.
_INT_KEY = re.compile(r"[0-9]{1,18}")


def encode_global_id(type_name: str, *parts: object) -> str:
    raw = f"{type_name}:{'/'.join(str(p) for p in parts)}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_global_id(value: str) -> tuple[str, list[str]]:
    """``(type name, key parts)``; a malformed id is BAD_USER_INPUT, not a crash."""
    try:
        padded = value + "=" * (-len(value) % 4)
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadUserInput("not a valid node id", item=value[:80]) from None
    type_name, sep, key = raw.partition(":")
    if not sep or not type_name or not key:
        raise BadUserInput("not a valid node id", item=value[:80])
    return type_name, key.split("/")


def int_key(part: str) -> int | None:
    """A key part as the upstream's numeric id; None when it cannot be one."""
    return int(part) if _INT_KEY.fullmatch(part) else None
