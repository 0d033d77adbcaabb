"""The demo catalogue's shape, shared by the emulators' seeds so their data lines up.

Generated PIM product ``i`` (1-based) has tid ``demo_tid(i)`` and a ``gtin`` value
``demo_gtin(i)``; CitrusAd's demo catalog holds a catalog product for each of those GTINs, so
``Product.catalogProduct`` finds one for every generated product.
"""

from __future__ import annotations

__all__ = ["DEMO_PRODUCT_COUNT", "demo_gtin", "demo_tid", "gtin_check_digit"]

DEMO_PRODUCT_COUNT = 300


def demo_tid(index: int) -> str:
    return f"DEMO-{index:04d}"


def gtin_check_digit(body: str) -> str:
    """The GS1 check digit for ``body`` (all digits but the last)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def demo_gtin(index: int) -> str:
    """A valid 13-digit GTIN, distinct per index."""
    body = f"400000{index:06d}"
    return body + gtin_check_digit(body)
