"""``node(id)``: decode a global id and load the object it names through the loaders."""

from __future__ import annotations

from typing import Any

from gateway.graphql.globalid import decode_global_id, int_key
from gateway.graphql.info import Info
from gateway.graphql.scalars import is_valid_commerce_id
from gateway.graphql.types.catalog import CatalogProduct
from gateway.graphql.types.classifications import (
    Attribute,
    AttributeDefinition,
    Classification,
    ClassificationNode,
)
from gateway.graphql.types.commerce import CommerceProduct
from gateway.graphql.types.node import Node
from gateway.graphql.types.products import Article, Product, Variant
from gateway.observability.request_stats import not_cacheable

__all__ = ["resolve_node"]


async def resolve_node(info: Info, global_id: str) -> Node | None:
    type_name, parts = decode_global_id(global_id)
    loaders = info.context.loaders
    rec: Any
    if type_name in ("Product", "Article", "Variant"):
        rec = await loaders.product_by_tid.load(parts[0])
        return _product_item(rec, type_name, parts) if rec else None
    if type_name == "ClassificationNode" and (node_id := int_key(parts[0])) is not None:
        rec = await loaders.node_by_id.load(node_id)
        return ClassificationNode.from_record(rec) if rec else None
    if type_name == "Attribute" and (attr_id := int_key(parts[0])) is not None:
        rec = await loaders.attribute_by_id.load(attr_id)
        return Attribute.from_record(rec) if rec else None
    if type_name == "AttributeDefinition":
        rec = await loaders.definition_by_tid.load(parts[0])
        return AttributeDefinition.from_record(rec) if rec else None
    if type_name == "Classification":
        rec = await loaders.classification_by_tid.load(parts[0])
        return Classification.from_record(rec) if rec else None
    if type_name == "CatalogProduct" and len(parts) == 2:
        rec = await loaders.catalog_product.load((parts[0], parts[1]))
        return CatalogProduct.from_record(rec) if rec else None
    if type_name == "CommerceProduct" and len(parts) == 1 and is_valid_commerce_id(parts[0]):
        not_cacheable()  # write jobs change the record behind any mutation
        rec = info.context.runtime.readmodel.get(parts[0])
        return CommerceProduct.from_record(rec) if rec else None
    return None


def _product_item(rec: Any, type_name: str, parts: list[str]) -> Node | None:
    if type_name == "Product":
        return Product.from_record(rec)
    article = next((a for a in rec.articles if a.tid == parts[1]), None) if len(parts) > 1 else None
    if article is None:
        return None
    if type_name == "Article":
        return Article.from_record(article, rec.tid)
    variant = (
        next((v for v in article.variants if v.tid == parts[2]), None) if len(parts) > 2 else None
    )
    return Variant.from_record(variant, rec.tid, article.tid) if variant else None
