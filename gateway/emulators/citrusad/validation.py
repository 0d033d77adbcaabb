"""Turn a ``catalogProducts[]`` item into the record CitrusAd echoes, or say why it can't.

| field | rule | echoed as |
| --- | --- | --- |
| ``catalogId``, ``gtin`` | required, non-empty strings | as sent |
| ``inventory`` | required, a JSON integer >= 0 | integer |
| ``price`` | required, decimal string or number, finite, >= 0 | number, same digits |
| ``profit`` | optional, like price | number, or ``null`` when absent |
| ``sellerId`` | optional, non-empty string | as sent, only when sent |
| ``tags``, ``filters``, ``groups`` | optional lists of strings | as sent, ``[]`` when absent |

Any other field is refused (a typo would otherwise vanish silently).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["check_item", "item_label", "to_record"]

_REQUIRED = ("catalogId", "gtin", "inventory", "price")
_STRING_LISTS = ("tags", "filters", "groups")
_FIELDS = frozenset({*_REQUIRED, *_STRING_LISTS, "profit", "sellerId"})


def item_label(index: int, item: Any) -> str:
    """How an error names the item: its position, and its gtin when it has one."""
    gtin = item.get("gtin") if isinstance(item, dict) else None
    return f"catalogProducts[{index}]" + (f" (gtin {gtin})" if isinstance(gtin, str) else "")


def check_item(item: Any) -> list[str]:
    """Every problem with ``item``; empty when it can be synced."""
    if not isinstance(item, dict):
        return ["must be an object"]
    problems = [f"unknown field {name}" for name in item if name not in _FIELDS]
    problems += [f"{name} is required" for name in _REQUIRED if item.get(name) is None]
    for name in ("catalogId", "gtin", "sellerId"):
        if item.get(name) is not None and not (isinstance(item[name], str) and item[name]):
            problems.append(f"{name} must be a non-empty string")
    inventory = item.get("inventory")
    if inventory is not None and (type(inventory) is not int or inventory < 0):
        problems.append("inventory must be an integer >= 0")
    for name in ("price", "profit"):
        if item.get(name) is not None and to_decimal(item[name]) is None:
            problems.append(f"{name} must be a decimal >= 0")
    for name in _STRING_LISTS:
        value = item.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{name} must be a list of strings")
    return problems


def to_record(item: dict[str, Any], team_id: str) -> dict[str, Any]:
    """The stored and echoed form of a checked item, keys in the document's order."""
    record: dict[str, Any] = {
        "teamId": team_id,
        "catalogId": item["catalogId"],
        "gtin": item["gtin"],
        "inventory": item["inventory"],
        "price": to_decimal(item["price"]),
        "tags": list(item.get("tags", [])),
        "filters": list(item.get("filters", [])),
        "groups": list(item.get("groups", [])),
        "profit": None if item.get("profit") is None else to_decimal(item["profit"]),
    }
    if item.get("sellerId") is not None:
        record["sellerId"] = item["sellerId"]
    return record


def to_decimal(value: Any) -> Decimal | None:
    """``value`` as a finite, non-negative Decimal, or ``None``."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None
