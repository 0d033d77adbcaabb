"""Demo catalog products: the document's two examples and one per generated demo product.

Generated product ``i`` is deterministic: the same seed always yields the same catalog.

| field | rule |
| --- | --- |
| gtin | ``demo_gtin(i)``, so every generated PIM product finds its catalog product |
| tags | ``imageurl:https://images.example.com/demo/<tid>.jpg``, ``name:<brand> <noun> <i>`` |
| filters | ``category:``, ``Brand:``, one or two ``location:``, ``hfss:true`` for snacks and soft drinks |
| price | ``0.99`` .. ``49.98`` as a Decimal string; every 10th product has inventory 0 |
| sellerId | ``demo-seller`` on every 50th product (exercises DELETE's sellerId rule) |
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.emulators.demo import DEMO_PRODUCT_COUNT, demo_gtin, demo_tid

__all__ = ["DEMO_SELLER_ID", "DOCUMENT_PRODUCTS", "demo_items"]

DEMO_SELLER_ID = "demo-seller"
_IMAGE = "imageurl:https://your.image.host.com/image.jpg"

# The document's "several products" request, with Kellogg's gtin as in that request (its
# response example prints 23556578965736688, a typo).
DOCUMENT_PRODUCTS: list[dict[str, Any]] = [
    {
        "gtin": "23556578965543",
        "inventory": 50,
        "price": "19.99",
        "tags": [_IMAGE, "name:Covergirl Clean 120 Creamy Natural Liquid Foundation30mL"],
        "filters": [
            "category:Health&Beauty",
            "category:Grocery",
            "Brand:Covergirl",
            "Special_Flag:0",
        ],
        "profit": "1.50",
    },
    {
        "gtin": "23556578965738",
        "inventory": 26,
        "price": "8.50",
        "tags": [_IMAGE, "name:Kelloggs Froot Loops Breakfast Cereal 500g"],
        "filters": [
            "Brand:Kelloggs",
            "category:Pantry",
            "category:BreakfastFoods",
            "category:Cereals",
            "Special_Flag:0",
        ],
        "profit": "0.50",
    },
]

_BRANDS = ("Acme", "Northwind", "Globex", "Initech", "Umbrella", "Hooli", "Contoso")
# (category, noun, high in fat, salt or sugar)
_CATEGORIES = (
    ("Pantry", "Pasta", False),
    ("Snacks", "Crisps", True),
    ("Beverages", "Cola", True),
    ("Dairy", "Yoghurt", False),
    ("Health&Beauty", "Shampoo", False),
    ("Household", "Detergent", False),
)
_LOCATIONS = ("123", "ABC", "456", "XYZ")


def demo_items(catalog_id: str) -> list[dict[str, Any]]:
    """Request-shaped items (as a client would sync them) for the whole demo catalog."""
    items = [{"catalogId": catalog_id, **product} for product in DOCUMENT_PRODUCTS]
    items += [_generated(catalog_id, i) for i in range(1, DEMO_PRODUCT_COUNT + 1)]
    return items


def _generated(catalog_id: str, i: int) -> dict[str, Any]:
    brand = _BRANDS[i % len(_BRANDS)]
    category, noun, hfss = _CATEGORIES[(i // 2) % len(_CATEGORIES)]
    locations = [_LOCATIONS[i % 4]] + ([_LOCATIONS[(i + 1) % 4]] if i % 3 == 0 else [])
    item: dict[str, Any] = {
        "catalogId": catalog_id,
        "gtin": demo_gtin(i),
        "inventory": 0 if i % 10 == 0 else (i * 37) % 200 + 1,
        "price": str(Decimal(99 + (i * 787) % 4900).scaleb(-2)),
        "tags": [
            f"imageurl:https://images.example.com/demo/{demo_tid(i)}.jpg",
            f"name:{brand} {noun} {i:04d}",
        ],
        "filters": [
            f"category:{category}",
            f"Brand:{brand}",
            *(f"location:{loc}" for loc in locations),
            f"hfss:{'true' if hfss else 'false'}",
        ],
    }
    if i % 50 == 0:
        item["sellerId"] = DEMO_SELLER_ID
    return item
