"""Render stored classifications, nodes, definitions and attributes as the document shows them."""

from __future__ import annotations

import copy

from lxml import etree

from gateway.emulators.pim.store import AttrDef, Attribute, Classification, Node, Store
from gateway.emulators.pim.xml import add_localized, sub

__all__ = ["render_attr", "render_attr_def", "render_class", "render_class_node", "render_node"]


def render_class(parent: etree._Element, cls: Classification) -> etree._Element:
    # The samples never show a classification's id, only its tid and name.
    element = sub(parent, "class", {"tid": cls.tid})
    add_localized(element, "name", cls.name)
    return element


def render_class_node(
    parent: etree._Element, store: Store, node: Node, *, nested: bool
) -> etree._Element:
    """A node as ``classes/retrieve`` shows it: class, parentPath, attributes (without ids)."""
    attrs = {"class": node.classification, "id": str(node.id)}
    if node.parent_id is not None and node.parent_id in store.nodes:
        attrs["parentId"] = str(node.parent_id)
        attrs["parentPath"] = store.nodes[node.parent_id].path
    attrs["path"] = node.path
    element = sub(parent, "node", attrs)
    add_localized(element, "name", node.name)
    for attr in store.node_attributes(node, inherited=False):
        render_attr(element, attr, with_id=False, domain=True, default=False)
    if nested:
        for child in store.child_nodes(node.id):
            render_class_node(element, store, child, nested=True)
    return element


def render_node(parent: etree._Element, node: Node) -> etree._Element:
    """A node as ``nodes/retrieve`` shows it: id, parentId, path, tid and name, no attributes."""
    attrs = {"id": str(node.id)}
    if node.parent_id is not None:
        attrs["parentId"] = str(node.parent_id)
    attrs.update(path=node.path, tid=node.tid)
    element = sub(parent, "node", attrs)
    add_localized(element, "name", node.name)
    return element


def render_attr(
    parent: etree._Element, attr: Attribute, *, with_id: bool, domain: bool, default: bool
) -> etree._Element:
    attrs = {"id": str(attr.id)} if with_id else {}
    attrs.update(
        inheritance=attr.inheritance,
        key=attr.key,
        level=attr.level,
        localized=attr.localized,
        restriction=attr.restriction,
    )
    element = sub(parent, "attr", attrs)
    if default and attr.default_val is not None:
        element.append(copy.deepcopy(attr.default_val))
    if domain and attr.domain_vals is not None:
        element.append(copy.deepcopy(attr.domain_vals))
    return element


def render_attr_def(parent: etree._Element, definition: AttrDef) -> etree._Element:
    # Children in the samples' (alphabetical) order: domainVals, multiValued, name.
    element = sub(
        parent,
        "attrDef",
        {"id": str(definition.id), "tid": definition.tid, "type": definition.type},
    )
    if definition.domain_vals is not None:
        element.append(copy.deepcopy(definition.domain_vals))
    if definition.multi_valued:
        sub(element, "multiValued", text="true")
    add_localized(element, "name", definition.name)
    return element
