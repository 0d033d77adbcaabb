"""Typed records the upstream clients take and return: frozen, slotted, GraphQL-free.

| record | upstream | what it is |
| --- | --- | --- |
| ``WriteOutcome`` | all | one item's answer to a write: SUCCESS / WARNING / ERROR / UNKNOWN |
| ``CommerceProduct``, ``CommerceProductPatch`` | OMNICOMMERCE | a product to register, a partial update |
| ``CommerceBatchResult`` | OMNICOMMERCE | accept / failure counts and each failure's reason |
| ``CatalogProduct`` | CitrusAd | one catalog product, as sent or as answered |
| PIM records | OMN PIM | below the PIM marker |
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = [
    "CatalogProduct",
    "CommerceBatchResult",
    "CommerceFailure",
    "CommerceProduct",
    "CommerceProductPatch",
    "WriteOutcome",
    "WriteStatus",
]


class WriteStatus(enum.Enum):
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    ERROR = "ERROR"
    # The request was sent but no answer came back (timeout, reset): it may have been applied.
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """One input item's outcome, in input order.

    ``ids`` holds what the upstream answered about the item (e.g. ``{"id": "42"}``,
    ``{"tid": "P-1"}``, ``{"productId": "43"}`` after a copy).
    """

    status: WriteStatus
    action: str
    ids: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    data_type: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in (WriteStatus.SUCCESS, WriteStatus.WARNING)


# --- OMNICOMMERCE ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommerceProduct:
    """A product for ``POST /management/products``; field names follow the document."""

    id: str
    url: str
    detection: str
    sales_url: str
    mobile_sales_url: str | None = None
    metadata: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "detection": self.detection,
            "salesUrl": self.sales_url,
        }
        if self.mobile_sales_url is not None:
            data["mobileSalesUrl"] = self.mobile_sales_url
        if self.metadata is not None:
            data["metadata"] = self.metadata
        return data


@dataclass(frozen=True, slots=True)
class CommerceProductPatch:
    """A partial update for ``PUT /management/products``: ``None`` means "leave as is"."""

    id: str
    url: str | None = None
    detection: str | None = None
    sales_url: str | None = None
    mobile_sales_url: str | None = None
    metadata: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id}
        for key, value in (
            ("url", self.url),
            ("detection", self.detection),
            ("salesUrl", self.sales_url),
            ("mobileSalesUrl", self.mobile_sales_url),
            ("metadata", self.metadata),
        ):
            if value is not None:
                data[key] = value
        return data


@dataclass(frozen=True, slots=True)
class CommerceFailure:
    id: str
    errors: str


@dataclass(frozen=True, slots=True)
class CommerceBatchResult:
    """The sum of one or more ``202 Accepted`` answers, plus items whose outcome is unknown."""

    accept: int
    failure: int
    failures: tuple[CommerceFailure, ...] = ()
    unknown: tuple[str, ...] = ()


# --- CitrusAd ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CatalogProduct:
    """A CitrusAd catalog product. ``price`` and ``profit`` are exact decimals, never floats."""

    catalog_id: str
    gtin: str
    inventory: int
    price: Decimal
    tags: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    profit: Decimal | None = None
    seller_id: str | None = None
    team_id: str | None = None
    groups: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The upsert item: decimals go out as strings, as the document's examples send them."""
        data: dict[str, Any] = {
            "catalogId": self.catalog_id,
            "gtin": self.gtin,
            "inventory": self.inventory,
            "price": str(self.price),
            "tags": list(self.tags),
            "filters": list(self.filters),
        }
        if self.profit is not None:
            data["profit"] = str(self.profit)
        if self.seller_id is not None:
            data["sellerId"] = self.seller_id
        return data


# --- OMN PIM -----------------------------------------------------------------------------
# PIM records (products, articles, variants, values, classifications, nodes, attributes,
# attribute definitions, domain values, localized texts) follow below this line.
