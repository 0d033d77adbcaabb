"""Attributes of many classification nodes from one ``attributes/retrieve`` call, split by node.

``attributes/retrieve {nodeIds}`` answers one list for all the nodes asked: an ``<attr>`` names
its key and id, never the node it is attached to (no sample shows a nodeId or nodePath there).
The classification tree says which node each key is attached to: ``classes/retrieve {tids,
withNodes}`` lists every node with the keys of its own attributes. So a batch of nodes costs:

| step | what | PIM calls |
| --- | --- | --- |
| tree | the classifications of the asked nodes, their nodes and each node's attribute keys | one ``classes/retrieve``, for all of them |
| plan | groups of at most ``batch`` nodes whose answers can be told apart (below) | none |
| ask | per group ``attributes/retrieve {nodeIds, includeParentAttributes, withDomainValues, withDefaultValues}`` | ceil(nodes / batch) when nothing clashes |
| (one node) | no tree, no split: ``attributes/retrieve {nodePaths: ["Standard/Test"], ...}`` | one |
| split | each node takes the answered attributes whose key is attached on its chain: its own node, and with inheritance its ancestors | none |

Told apart: within a group every key has one owning node, so an answered key has one home.
Two sibling nodes that each attach ``size`` go to different groups; so do a node and its
ancestor when inheritance is asked (however the PIM filters what a child inherits, it then
filters it alike for every node of the group). A node whose own chain attaches one key twice,
or that the tree does not know, is asked alone: a one-node answer needs no split.

A split that cannot be trusted (an answered key the tree places on no node of the group, or two
ids under one key: the PIM changed between the two calls) is not guessed at: that group is
asked again node by node. Every call asks for domain and default values: one record per
attribute then answers every ``Attribute`` field (``Loaders`` says why).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.upstreams.pim import PimClient
from gateway.upstreams.records import Attribute, Classification, ClassificationNode, PimId

__all__ = ["NodeTree", "attributes_of_nodes", "classification_of", "node_path_key", "plan_groups"]

Slots = list[Any]
TreeOf = Callable[[list[str]], Awaitable["NodeTree"]]


def node_path_key(path: str) -> str:
    """Node paths compare without a trailing slash: ``/Standard/Bekleidung/`` is the same node."""
    return "/" + "/".join(part for part in path.split("/") if part)


def classification_of(path: str) -> str:
    """A node path's classification: its first segment (``/Standard/Bekleidung``: ``Standard``)."""
    return node_path_key(path).split("/")[1]


@dataclass(frozen=True, slots=True)
class NodeTree:
    """Each known node's path, id and the keys of the attributes attached to it (not inherited)."""

    own: Mapping[str, frozenset[str]] = field(default_factory=dict)
    ids: Mapping[str, PimId] = field(default_factory=dict)

    @classmethod
    def of(cls, classifications: Iterable[Classification]) -> NodeTree:
        own: dict[str, frozenset[str]] = {}
        ids: dict[str, PimId] = {}
        for found in classifications:
            for node in found.nodes:
                path = _tree_path(node, found.tid)
                if path is None:
                    continue
                own[path] = frozenset(a.key for a in node.attributes)
                if node.id is not None:
                    ids[path] = node.id
        return cls(own, ids)

    def knows(self, path: str) -> bool:
        return path in self.own and path in self.ids

    def owners(self, path: str, inherited: bool) -> list[str]:
        """The nodes whose attributes ``path`` gets: itself, and with inheritance its
        ancestors, root first."""
        if not inherited:
            return [path]
        parts = path.strip("/").split("/")
        prefixes = ("/" + "/".join(parts[: i + 1]) for i in range(len(parts)))
        return [p for p in prefixes if p in self.own]

    def homes(self, path: str, inherited: bool) -> dict[str, str] | None:
        """Each key ``path`` gets and the node it is attached to; ``None`` when one key is
        attached twice on its chain (only a one-node answer can be trusted then)."""
        found: dict[str, str] = {}
        for owner in self.owners(path, inherited):
            for key in self.own.get(owner, ()):
                if key in found:
                    return None
                found[key] = owner
        return found


@dataclass(slots=True)
class _Group:
    paths: list[str]
    homes: dict[str, str]
    alone: bool = False

    def takes(self, path: str, homes: dict[str, str], inherited: bool, size: int) -> bool:
        if self.alone or len(self.paths) >= size:
            return False
        if any(self.homes.get(key, owner) != owner for key, owner in homes.items()):
            return False
        return not inherited or not any(_related(path, other) for other in self.paths)


def plan_groups(
    tree: NodeTree, paths: Sequence[str], inherited: bool, size: int
) -> list[list[str]]:
    """``paths`` in groups of at most ``size`` whose one answer can be split (first fit).

    | paths (``size`` 100) | own keys | groups |
    | --- | --- | --- |
    | ``/S/A``, ``/S/B`` | ``/S``: gender; ``/S/A``: size; ``/S/B``: fit | one |
    | ``/S/A``, ``/S/B`` | ``/S/A``: size; ``/S/B``: size | two (``size`` has two homes) |
    | ``/S``, ``/S/A`` (inherited) | any | two (a node beside its ancestor) |
    """
    groups: list[_Group] = []
    for path in paths:
        homes = tree.homes(path, inherited) if tree.knows(path) else None
        if homes is None:
            groups.append(_Group([path], {}, alone=True))
            continue
        group = next((g for g in groups if g.takes(path, homes, inherited, size)), None)
        if group is None:
            groups.append(_Group([path], dict(homes)))
        else:
            group.paths.append(path)
            group.homes.update(homes)
    return [g.paths for g in groups]


def split(
    tree: NodeTree, group: Sequence[str], inherited: bool, answer: Sequence[Attribute]
) -> list[tuple[Attribute, ...]] | None:
    """One tuple per node of ``group``, in answer order; ``None`` if the answer cannot be split."""
    by_key: dict[str, Attribute] = {}
    for attr in answer:
        seen = by_key.setdefault(attr.key, attr)
        if seen.id != attr.id:
            return None  # two attributes under one key: the tree is out of date
    wanted = [set(tree.homes(path, inherited) or ()) for path in group]
    if set(by_key) - set().union(*wanted):
        return None  # an attribute the tree places on none of these nodes
    return [tuple(a for a in by_key.values() if a.key in keys) for keys in wanted]


async def attributes_of_nodes(
    pim: PimClient, tree_of: TreeOf, keys: list[tuple[str, bool]], size: int
) -> Slots:
    """One slot per (node path, inherited) key: a tuple of attributes, or the exception."""
    found: dict[tuple[str, bool], Any] = {}
    for inherited in (False, True):
        paths = list(dict.fromkeys(p for p, flag in keys if flag is inherited))
        if paths:
            found.update(await _of_paths(pim, tree_of, paths, inherited, size))
    return [found[key] for key in keys]


async def _of_paths(
    pim: PimClient, tree_of: TreeOf, paths: list[str], inherited: bool, size: int
) -> dict[tuple[str, bool], Any]:
    async def alone(path: str, tree: NodeTree | None = None) -> None:
        node_id = tree.ids.get(path) if tree else None
        # The document's nodePaths sample writes ``RootNode/ChildNode``, without a leading slash.
        selector: dict[str, Any] = (
            {"node_ids": [node_id]} if node_id is not None else {"node_paths": [path.lstrip("/")]}
        )
        try:
            slots[path] = tuple(await _retrieve(pim, inherited, **selector))
        except Exception as exc:
            slots[path] = exc

    async def together(group: list[str], tree: NodeTree) -> None:
        try:
            answer = await _retrieve(pim, inherited, node_ids=[tree.ids[p] for p in group])
        except Exception as exc:
            slots.update(dict.fromkeys(group, exc))
            return
        parts = split(tree, group, inherited, answer)
        if parts is None:
            await asyncio.gather(*(alone(p, tree) for p in group))
        else:
            slots.update(zip(group, parts, strict=True))

    slots: dict[str, Any] = {}
    if len(paths) == 1:
        await alone(paths[0])
    else:
        try:
            tree = await tree_of(sorted({classification_of(p) for p in paths}))
        except Exception as exc:
            return {(p, inherited): exc for p in paths}
        groups = plan_groups(tree, paths, inherited, size)
        await asyncio.gather(
            *(together(g, tree) if len(g) > 1 else alone(g[0], tree) for g in groups)
        )
    return {(p, inherited): slots[p] for p in paths}


async def _retrieve(pim: PimClient, inherited: bool, **selector: Any) -> list[Attribute]:
    return await pim.retrieve_attributes(
        **selector,
        include_parent_attributes=inherited,
        with_domain_values=True,
        with_default_values=True,
    )


def _related(one: str, other: str) -> bool:
    """Whether one path is the other's ancestor (or the same node)."""
    return (one + "/").startswith(other + "/") or (other + "/").startswith(one + "/")


def _tree_path(node: ClassificationNode, classification: str | None) -> str | None:
    """A node's path as products name it: a root answered as ``/`` is ``/<classification>``."""
    if node.path and node.path != "/":
        return node_path_key(node.path)
    tid = classification or node.classification or node.tid
    return f"/{tid}" if tid else None
