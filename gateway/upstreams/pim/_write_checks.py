"""Checks on write input, run before any call: ``BadUserInput`` naming the item at fault.

| input | refused when |
| --- | --- |
| any write | the list is empty |
| ``Classification`` | no tid and no id; a node without a path; a root node not named as the class, or not first |
| ``ClassificationNode`` | create (no id, no path) without a tid, or without parentId / parentPath / classificationTid; a root not named as its classification |
| ``AttributeDefinition`` | no tid and no id; a type the PIM does not know |
| ``Attribute`` | no key; neither id, nodeId nor nodePath |
| ``Product`` / ``Article`` / ``Variant`` | neither tid, meta id nor name (a product to create also needs its node) |
| ``Action`` | another resource's dataType, an action the endpoint lacks, no tid/id/path as needed |
| ``ProductLink`` | a side left empty; unlink: more than one product or target |
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from gateway.upstreams.records import (
    Action,
    Article,
    Attribute,
    AttributeDefinition,
    Classification,
    ClassificationNode,
    LocalizedText,
    Product,
    ProductLink,
    Variant,
)

from ._checks import DEFINITION_TYPES, refuse

__all__ = [
    "check_actions",
    "check_attribute_definitions",
    "check_attributes",
    "check_classes",
    "check_links",
    "check_nodes",
    "check_products",
    "check_unlinks",
]


def _nonempty(items: Sequence[object], what: str) -> None:
    if isinstance(items, str | bytes) or len(items) == 0:
        raise refuse(f"no {what} given: send at least one", item=what)


def _named(name: LocalizedText | None) -> bool:
    return name is not None and bool(name.plain or any(name.texts.values()))


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def check_classes(classes: Sequence[Classification]) -> None:
    _nonempty(classes, "classifications")
    for i, cls in enumerate(classes):
        label = f"classifications[{i}]"
        if not cls.tid and cls.id is None:
            raise refuse("a classification needs its tid or id", item=label)
        for j, node in enumerate(cls.nodes):
            where = f"{label}.nodes[{j}]"
            if not node.path or not _segments(node.path):
                raise refuse("a classification's node needs its path", item=where)
            root = _segments(node.path)
            if len(root) == 1 and (root[0] != cls.tid or j != 0):
                raise refuse(
                    "the root node must be named as the classification and come first", item=where
                )


def check_nodes(nodes: Sequence[ClassificationNode]) -> None:
    _nonempty(nodes, "nodes")
    for i, node in enumerate(nodes):
        label = f"nodes[{i}]" + (f" (tid {node.tid})" if node.tid else "")
        if node.id is not None or node.path:
            continue  # an update, by id or path
        if not node.tid:
            raise refuse("a node to create needs its tid", item=label)
        has_parent = node.parent_id is not None or bool(node.parent_path)
        if not has_parent and not node.classification_tid:
            raise refuse(
                "a node to create needs parentId or parentPath (a root: classificationTid)",
                item=label,
            )
        if not has_parent and node.tid != node.classification_tid:
            raise refuse("a root node must be named as its classification", item=label)


def check_attribute_definitions(definitions: Sequence[AttributeDefinition]) -> None:
    _nonempty(definitions, "attribute definitions")
    for i, definition in enumerate(definitions):
        label = f"attributeDefinitions[{i}]"
        if not definition.tid and definition.id is None:
            raise refuse("an attribute definition needs its tid or id", item=label)
        if definition.type is not None and definition.type not in DEFINITION_TYPES:
            raise refuse(
                f"unknown type {definition.type!r}; one of {', '.join(DEFINITION_TYPES)}",
                item=label,
            )


def check_attributes(attributes: Sequence[Attribute]) -> None:
    _nonempty(attributes, "attributes")
    for i, attr in enumerate(attributes):
        label = f"attributes[{i}]"
        if not attr.key:
            raise refuse("an attribute needs its key (the attribute definition's tid)", item=label)
        if attr.id is None and attr.node_id is None and not attr.node_path:
            raise refuse("an attribute needs its id, or a nodeId or nodePath", item=label)


def _item(item: Product | Article | Variant, label: str) -> None:
    if not item.tid and item.pim_id is None and not _named(item.name):
        raise refuse("needs its tid or meta id, or a name to be created", item=label)


def check_products(products: Sequence[Product]) -> None:
    _nonempty(products, "products")
    for i, product in enumerate(products):
        label = f"products[{i}]"
        _item(product, label)
        if not product.tid and product.pim_id is None and not product.node:
            raise refuse(
                "a product to create needs the node path it is classified under", item=label
            )
        for j, article in enumerate(product.articles):
            _item(article, f"{label}.articles[{j}]")
            for k, variant in enumerate(article.variants):
                _item(variant, f"{label}.articles[{j}].variants[{k}]")


def check_actions(
    actions: Sequence[Action], data_type: str, types: Collection[str], keys: Collection[str]
) -> None:
    """Every action is one of ``types`` on ``data_type``, naming its item by one of ``keys``."""
    _nonempty(actions, "actions")
    for i, action in enumerate(actions):
        label = f"actions[{i}]"
        if str(action.data_type) != data_type:
            raise refuse(
                f"this endpoint takes {data_type} actions, not {action.data_type}", item=label
            )
        if action.type not in types:
            raise refuse(
                f"unsupported action {action.type!r}; one of {', '.join(types)}", item=label
            )
        named = {"id": action.id is not None, "tid": bool(action.tid), "path": bool(action.path)}
        if not any(named[key] for key in keys):
            raise refuse(f"a {action.type} action needs {' or '.join(keys)}", item=label)


def check_links(links: Sequence[ProductLink]) -> None:
    _nonempty(links, "links")
    for i, link in enumerate(links):
        label = f"links[{i}]"
        if not (link.product_tids or link.product_ids):
            raise refuse("a link needs its products (tids or ids)", item=label)
        if not (link.target_product_tids or link.target_product_ids):
            raise refuse("a link needs its target products (tids or ids)", item=label)
        if not link.type:
            raise refuse("a link needs its type (a ref attribute, e.g. PRODUCT_REF)", item=label)


def check_unlinks(links: Sequence[ProductLink]) -> None:
    check_links(links)
    for i, link in enumerate(links):
        sources = len(link.product_tids) + len(link.product_ids)
        targets = len(link.target_product_tids) + len(link.target_product_ids)
        if sources != 1 or targets != 1:
            raise refuse("unlink takes one product and one target product", item=f"links[{i}]")
