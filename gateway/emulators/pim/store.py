"""The emulator's in-memory PIM: classifications, nodes, definitions, attributes, products.

Ids are numeric and handed out increasingly by ``next_id``; tids are text ids, unique per
kind (the document's samples reuse one GUID as a product, an article and a variant tid).
Tests read and arrange state through ``app.state.store``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from gateway.emulators.pim.clock import utcnow

__all__ = [
    "FIRST_FREE_ID",
    "AttrDef",
    "Attribute",
    "Classification",
    "Entry",
    "Item",
    "Node",
    "Store",
    "Value",
    "normalize_path",
    "path_segments",
]

# Above every id the document's samples use, so seeded sample ids never collide.
FIRST_FREE_ID = 600_000


def normalize_path(path: str) -> str:
    """``RootNode/ChildNode/`` and ``/RootNode/ChildNode`` name the same node."""
    return "/" + "/".join(part for part in path.strip().split("/") if part)


def path_segments(path: str) -> str:
    """The form the PIM's messages use: ``[Standard, AAAA1]``."""
    return "[" + ", ".join(part for part in path.split("/") if part) + "]"


@dataclass
class Classification:
    id: int
    tid: str
    name: dict[str, str] = field(default_factory=dict)


@dataclass
class Node:
    id: int
    tid: str
    classification: str
    parent_id: int | None
    path: str
    name: dict[str, str] = field(default_factory=dict)


@dataclass
class AttrDef:
    id: int
    tid: str
    type: str
    name: dict[str, str] = field(default_factory=dict)
    multi_valued: bool = False
    domain_vals: etree._Element | None = None


@dataclass
class Attribute:
    """An attribute definition attached to a node, with its presentation settings."""

    id: int
    node_id: int
    key: str
    level: str = "p"
    inheritance: str = "visible"
    restriction: str = "optional"
    localized: str = "false"
    domain_vals: etree._Element | None = None
    default_val: etree._Element | None = None


@dataclass(frozen=True)
class Entry:
    """One ``<itm>`` of a value: its locale, list position, domain key and text."""

    text: str
    loc: str | None = None
    pos: str | None = None
    key: str | None = None


@dataclass
class Value:
    attr: str
    data_type: str
    type: str
    node: str | None = None
    inheritance: str | None = None
    parent: str | None = None
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Item:
    """A product, article or variant (``kind``), with its values and children."""

    kind: str
    id: int
    tid: str
    name: str
    created: datetime
    modified: datetime
    value_modified: datetime
    node: str | None = None
    status: str = "READY"
    parent_id: int | None = None
    vals: dict[str, Value] = field(default_factory=dict)
    children: list[Item] = field(default_factory=list)
    # attribute (e.g. PRODUCT_REF) -> linked product ids, in link order
    product_links: dict[str, list[int]] = field(default_factory=dict)
    # (asset attribute, asset key, asset path)
    asset_links: list[tuple[str, str, str]] = field(default_factory=list)

    def walk(self) -> Iterator[Item]:
        yield self
        for child in self.children:
            yield from child.walk()

    def last_modified(self) -> datetime:
        return max(max(i.modified, i.value_modified) for i in self.walk())


class Store:
    """Everything the emulator knows, plus the switches tests flip."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.classifications: dict[int, Classification] = {}
        self.nodes: dict[int, Node] = {}
        self.attr_defs: dict[int, AttrDef] = {}
        self.attributes: dict[int, Attribute] = {}
        self.items: dict[int, Item] = {}
        self.nodes_admin_only = False
        self._next_id = FIRST_FREE_ID

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def claim_id(self, wanted: int | None) -> int:
        """``wanted`` (seeding the document's ids) or the next free one."""
        return self.next_id() if wanted is None else wanted

    # classifications -------------------------------------------------------------------
    def classification(
        self, *, tid: str | None = None, id: int | None = None
    ) -> Classification | None:
        for item in self.classifications.values():
            if (tid is not None and item.tid == tid) or (tid is None and item.id == id):
                return item
        return None

    # nodes ------------------------------------------------------------------------------
    def node_by_path(self, path: str) -> Node | None:
        wanted = normalize_path(path)
        return next((n for n in self.nodes.values() if n.path == wanted), None)

    def root_of(self, classification: str) -> Node | None:
        return next(
            (
                n
                for n in self.nodes.values()
                if n.classification == classification and n.parent_id is None
            ),
            None,
        )

    def child_nodes(self, node_id: int) -> list[Node]:
        return sorted(
            (n for n in self.nodes.values() if n.parent_id == node_id), key=lambda n: n.id
        )

    def descendants(self, node: Node, depth: int = -1) -> list[Node]:
        """Pre-order below ``node``, ``depth`` levels deep (negative: all)."""
        found: list[Node] = []
        if depth == 0:
            return found
        for child in self.child_nodes(node.id):
            found.append(child)
            found.extend(self.descendants(child, depth - 1))
        return found

    def ancestors(self, node: Node) -> list[Node]:
        """Root first, ``node`` last."""
        chain = [node]
        while chain[0].parent_id is not None and chain[0].parent_id in self.nodes:
            chain.insert(0, self.nodes[chain[0].parent_id])
        return chain

    def add_node(
        self, tid: str, classification: str, parent: Node | None, *, id: int | None = None
    ) -> Node:
        path = f"{parent.path}/{tid}" if parent else f"/{tid}"
        node = Node(self.claim_id(id), tid, classification, parent.id if parent else None, path)
        self.nodes[node.id] = node
        return node

    def remove_node(self, node: Node) -> None:
        for gone in [node, *self.descendants(node)]:
            self.nodes.pop(gone.id, None)
            for attr in [a for a in self.attributes.values() if a.node_id == gone.id]:
                del self.attributes[attr.id]

    def products_under(self, path: str) -> list[Item]:
        return [p for p in self.products() if p.node and _under(p.node, path)]

    # definitions and attributes ---------------------------------------------------------
    def attr_def(self, *, tid: str | None = None, id: int | None = None) -> AttrDef | None:
        for item in self.attr_defs.values():
            if (tid is not None and item.tid == tid) or (tid is None and item.id == id):
                return item
        return None

    def node_attributes(self, node: Node, *, inherited: bool) -> list[Attribute]:
        chain = self.ancestors(node) if inherited else [node]
        found: list[Attribute] = []
        for each in chain:
            found.extend(
                sorted(
                    (a for a in self.attributes.values() if a.node_id == each.id),
                    key=lambda a: a.id,
                )
            )
        return found

    # products ---------------------------------------------------------------------------
    def products(self) -> list[Item]:
        return sorted((i for i in self.items.values() if i.kind == "product"), key=lambda i: i.id)

    def item(self, kind: str, *, tid: str | None = None, id: int | None = None) -> Item | None:
        if id is not None and tid is None:
            found = self.items.get(id)
            return found if found and found.kind == kind else None
        return next((i for i in self.items.values() if i.kind == kind and i.tid == tid), None)

    def add_item(self, item: Item, parent: Item | None = None) -> Item:
        self.items[item.id] = item
        if parent is not None:
            item.parent_id = parent.id
            parent.children.append(item)
        return item

    def remove_item(self, item: Item) -> None:
        for gone in list(item.walk()):
            self.items.pop(gone.id, None)
        if item.parent_id is not None and item.parent_id in self.items:
            self.items[item.parent_id].children.remove(item)
        for product in self.products():
            for targets in product.product_links.values():
                while item.id in targets:
                    targets.remove(item.id)


def _under(path: str, prefix: str) -> bool:
    prefix = normalize_path(prefix)
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")
