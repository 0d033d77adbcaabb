"""The workspace: registered products and when each was created, updated or deleted.

Processing is synchronous here (the real API answers 202 and works asynchronously), so a test
can inspect the outcome as soon as the response arrives.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

__all__ = ["ProductStore"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ProductStore:
    """``products[id]`` is the product as the API holds it (the document's field names)."""

    def __init__(self, now: Callable[[], datetime] = _utcnow) -> None:
        self.products: dict[str, dict[str, Any]] = {}
        self.created_at: dict[str, datetime] = {}
        self.updated_at: dict[str, datetime] = {}
        self.deleted_at: dict[str, datetime] = {}
        self._now = now

    def __contains__(self, product_id: object) -> bool:
        return product_id in self.products

    def register(self, item: dict[str, Any]) -> None:
        """Create or overwrite (the document: "the data will be overwritten") the product."""
        product_id, now = item["id"], self._now()
        self.products[product_id] = copy.deepcopy(item)
        self.created_at.setdefault(product_id, now)
        self.updated_at[product_id] = now
        self.deleted_at.pop(product_id, None)

    def update(self, item: dict[str, Any]) -> None:
        """Change only the fields sent; ``metadata`` keys merge one level deep."""
        product = self.products[item["id"]]
        for name, value in copy.deepcopy(item).items():
            if name == "metadata":
                product.setdefault("metadata", {}).update(value)
            else:
                product[name] = value
        self.updated_at[item["id"]] = self._now()

    def delete(self, product_id: str) -> None:
        del self.products[product_id]
        self.created_at.pop(product_id, None)
        self.updated_at.pop(product_id, None)
        self.deleted_at[product_id] = self._now()

    def snapshot(self) -> list[dict[str, Any]]:
        """Every product with its timestamps, for the admin route."""
        return [
            {
                "product": product,
                "createdAt": self.created_at[pid].isoformat(),
                "updatedAt": self.updated_at[pid].isoformat(),
            }
            for pid, product in self.products.items()
        ]
