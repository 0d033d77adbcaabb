"""Batch implementations of the hot async fields: one loader call per level, no task per object.

Each resolver below awaits one ``loader.load(key)`` and builds the result with the type's
``from_record``. Its batch does the same for every object of a level at once: ``start``
returns one slot per object, either the loader's future (its record is given to ``build``)
or the final value when no load is needed. The futures are awaited together by the
executor, so keys from every level reached in the same tick form one upstream batch, as on
the normal path.

| field | loader | key |
| --- | --- | --- |
| ``Product.node`` | ``node_by_path`` | ``record.node`` (none: null) |
| ``Product.catalogProduct`` | ``catalog_product`` | (``catalogId`` or the setting, GTIN value) |
| ``Article.product``, ``Variant.product`` | ``product_by_tid`` | the product tid |
| ``AttributeValue.definition``, ``Attribute.definition`` | ``definition_by_tid`` | the attribute key |
| ``ClassificationNode.parent``, ``Attribute.node`` | ``node_by_id`` / ``node_by_path`` | id, else path |
| ``ClassificationNode.children`` | ``children_by_path`` | the node's query path |
| ``ClassificationNode.attributes`` | ``attributes_by_node`` | (id, ``includeInherited``) |

A change to one of those resolvers must be made here too: the equivalence tests compare
both paths on every one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = ["Batch", "batches"]

Start = Callable[[list[Any], Mapping[str, Any], Any], list[Any]]


@dataclass(frozen=True, slots=True)
class Batch:
    """``start(objs, kwargs, context)`` gives a slot per object; ``build(record)`` the value."""

    start: Start
    build: Callable[[Any], Any]


def _or_none(from_record: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda rec: from_record(rec) if rec else None


def _each(from_record: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda found: [from_record(r) for r in found]


# --- starts: the resolvers' key choices, for a whole level -----------------------------------


def _product_node(objs: list[Any], kwargs: Mapping[str, Any], context: Any) -> list[Any]:
    load = context.loaders.node_by_path.load
    return [load(node) if (node := o.record.node) else None for o in objs]


def _catalog_product(objs: list[Any], kwargs: Mapping[str, Any], context: Any) -> list[Any]:
    settings = context.runtime.settings
    catalog = kwargs.get("catalog_id") or settings.citrusad_catalog_id
    load = context.loaders.catalog_product.load
    slots: list[Any] = []
    for o in objs:
        gtin = o._gtin(settings.gtin_attribute)
        slots.append(load((catalog, gtin)) if gtin else None)
    return slots


def _owning_product(objs: list[Any], kwargs: Mapping[str, Any], context: Any) -> list[Any]:
    load = context.loaders.product_by_tid.load
    return [load(o._product_tid) for o in objs]


def _value_definition(objs: list[Any], kwargs: Mapping[str, Any], context: Any) -> list[Any]:
    load = context.loaders.definition_by_tid.load
    return [load(o._rec.attr) for o in objs]


def _attribute_definition(objs: list[Any], kwargs: Mapping[str, Any], context: Any) -> list[Any]:
    load = context.loaders.definition_by_tid.load
    return [load(o._rec.key) for o in objs]


def _node_by_id_or_path(id_field: str, path_field: str) -> Start:
    def start(objs: list[Any], kwargs: Mapping[str, Any], context: Any) -> list[Any]:
        loaders = context.loaders
        slots: list[Any] = []
        for o in objs:
            rec = o._rec
            if (node_id := getattr(rec, id_field)) is not None:
                slots.append(loaders.node_by_id.load(node_id))
            elif path := getattr(rec, path_field):
                slots.append(loaders.node_by_path.load(path))
            else:
                slots.append(None)
        return slots

    return start


def _node_children(objs: list[Any], kwargs: Mapping[str, Any], context: Any) -> list[Any]:
    from gateway.graphql.types.classifications import node_query_path

    load = context.loaders.children_by_path.load
    return [load(path) if (path := node_query_path(o._rec)) else [] for o in objs]


def _node_attributes(objs: list[Any], kwargs: Mapping[str, Any], context: Any) -> list[Any]:
    from gateway.graphql.types.classifications import Attribute

    inherited = kwargs.get("include_inherited", False)
    load = context.loaders.attributes_by_node.load
    return [
        [Attribute.from_record(a) for a in o._rec.attributes]
        if o._rec.id is None
        else load((o._rec.id, inherited))
        for o in objs
    ]


# --- the table, keyed by the resolver function each batch stands in for ----------------------


def _resolver(cls: type, python_name: str) -> Callable[..., Any]:
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    field = next(f for f in definition.fields if f.python_name == python_name)
    return field.base_resolver.wrapped_func  # type: ignore[no-any-return]


@cache
def batches() -> Mapping[Callable[..., Any], Batch]:
    """Built on first use: the schema package imports this one while it is being built."""
    from gateway.graphql.types.catalog import CatalogProduct
    from gateway.graphql.types.classifications import (
        Attribute,
        AttributeDefinition,
        ClassificationNode,
    )
    from gateway.graphql.types.products import Article, AttributeValue, Product, Variant

    node = _or_none(ClassificationNode.from_record)
    definition = _or_none(AttributeDefinition.from_record)
    product = _or_none(Product.from_record)
    return {
        _resolver(Product, "node"): Batch(_product_node, node),
        _resolver(Product, "catalog_product"): Batch(
            _catalog_product, _or_none(CatalogProduct.from_record)
        ),
        _resolver(Article, "product"): Batch(_owning_product, product),
        _resolver(Variant, "product"): Batch(_owning_product, product),
        _resolver(AttributeValue, "definition"): Batch(_value_definition, definition),
        _resolver(Attribute, "definition"): Batch(_attribute_definition, definition),
        _resolver(Attribute, "node"): Batch(_node_by_id_or_path("node_id", "node_path"), node),
        _resolver(ClassificationNode, "parent"): Batch(
            _node_by_id_or_path("parent_id", "parent_path"), node
        ),
        _resolver(ClassificationNode, "children"): Batch(
            _node_children, _each(ClassificationNode.from_record)
        ),
        _resolver(ClassificationNode, "attributes"): Batch(
            _node_attributes, _each(Attribute.from_record)
        ),
    }
