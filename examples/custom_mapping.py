"""An extension that replaces the OMNICOMMERCE mapping with a shop's own rules.

Load it with ``GATEWAY_EXTENSIONS=examples.custom_mapping`` or
``Gateway(extensions=["examples.custom_mapping"])``; ``publishProducts`` and
``gateway publish`` then map with it. CitrusAd keeps the default mapping.

| what | default mapping | this one |
| --- | --- | --- |
| ``id`` | the tid | ``acme-<tid>`` (the shop's ids) |
| ``detection`` | by node path rules | ``PANTS`` under Jeans, ``DRESS`` under Damen, else ``TOP`` |
| ``metadata`` | productName in the default locale, pimTid, gtin ... | German title, brand Acme, season, GTIN |
| a product without GTIN | published | left out (SKIPPED) |
"""

from __future__ import annotations

from dataclasses import replace

from gateway.extensions import ExtensionRegistry
from gateway.mappings import (
    MappingContext,
    default_commerce_mapping,
    node_segments,
    product_name,
    text_of,
)
from gateway.upstreams.records import CommerceProduct, Product

__all__ = ["SEASON", "acme_commerce_mapping", "register"]

SEASON = "2024-SS"


def acme_commerce_mapping(product: Product, context: MappingContext) -> CommerceProduct | None:
    gtin = text_of(product, context.settings.gtin_attribute)
    if gtin is None:
        return None  # the shop sells nothing it cannot scan
    segments = node_segments(product.node)
    if "Jeans" in segments:
        detection = "PANTS"
    elif "Damen" in segments:
        detection = "DRESS"
    else:
        detection = "TOP"
    # Start from the default (image, sales URL) and change what this shop does differently.
    base = default_commerce_mapping(product, context)
    return replace(
        base,
        id=f"acme-{product.tid}",
        detection=detection,
        metadata={
            "productName": product_name(product, ("de_DE",)),
            "brand": "Acme",
            "season": SEASON,
            "gtin": gtin,
        },
    )


def register(registry: ExtensionRegistry) -> None:
    registry.set_mapping("omnicommerce", acme_commerce_mapping)
