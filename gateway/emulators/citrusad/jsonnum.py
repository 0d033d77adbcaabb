"""JSON whose decimals keep their digits: ``Decimal("19.99")`` is written ``19.99``, ``1.50`` stays ``1.50``.

The stdlib encoder turns decimals into floats (``19.990000000000002`` after arithmetic, ``1.5``
for ``1.50``); CitrusAd echoes a price sent as the string ``"19.99"`` as the number ``19.99``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from starlette.responses import Response

__all__ = ["DecimalJSONResponse", "dumps", "loads"]


def loads(raw: bytes) -> Any:
    """Parse JSON, reading non-integer numbers as ``Decimal`` so no digit is lost."""
    return json.loads(raw, parse_float=Decimal)


def dumps(value: Any) -> str:
    """Serialize ``value``; a finite ``Decimal`` becomes a JSON number with its own digits."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


class DecimalJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")
