"""PIM writes for the mutations: records in, one result per input item out, cache evicted.

``PimWriter`` sits between the schema and the PIM client. For each write it checks the input
(``BadUserInput`` naming the item, before any call), calls the client once, matches the PIM's
``<response>`` list to the input items, and evicts from the shared cache what the write may
have changed, whatever its outcome (an ERROR item or an UNKNOWN write may still have changed
something; a needless eviction only costs a re-read).

Matching answers to items. The PIM answers one ``<response>`` per item, in order, but not
always: a product answers once per product, article and variant it changed, a product that
only carries a new article answers nothing for itself, and an item the PIM could not find
stops its subtree. So every input item (with its articles and variants, depth first) is an
``Expected`` answer with the ids it is known by; each response goes to the next expected item
of its ``dataType`` that it names (tid, id, path ...), else to the next whose ids it does not
contradict. A container that changes nothing itself takes only a response naming it or one
without a tid (its failure). A response that matches nothing stays with the input item
being answered at that point, so no answer is ever dropped.

| per input item (``ItemResult``) | from |
| --- | --- |
| ``outcome.status`` | the worst of its answers (ERROR, UNKNOWN, WARNING, SUCCESS); UNKNOWN if none came |
| ``outcome.action``, ``.ids``, ``.data_type`` | the answer about the item itself, else its first answer |
| ``outcome.message`` | the worst answer's description, prefixed by the sub-item it concerns |
| ``answers`` | every answer matched to the item or its articles and variants, in answer order |

Eviction (resource names of ``gateway.loaders``):

| write | evicted |
| --- | --- |
| products: save, delete, copy, link, unlink | ``product_by_tid`` / ``product_by_id`` for every tid and id sent or answered (a whole resource when the other key is not known), ``product_search``, ``attributes_by_product`` |
| classification nodes | every node resource (a delete takes a subtree, a create changes its parent's children), attributes |
| classifications | classifications, nodes and attributes |
| attribute definitions | the definition resources and attributes |
| attributes | the attribute resources |
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.cache import SharedCache
from gateway.errors import BadUserInput, UpstreamOutcomeUnknown
from gateway.upstreams.pim import PimClient
from gateway.upstreams.records import (
    VALUE_DATA_TYPES,
    VALUE_TYPES,
    Action,
    Article,
    Attribute,
    AttributeDefinition,
    AttributeValue,
    Classification,
    ClassificationNode,
    PimDataType,
    PimId,
    PimItemResponse,
    Product,
    ProductLink,
    Variant,
    WriteOutcome,
    WriteStatus,
)

__all__ = ["Expected", "ItemAnswer", "ItemKey", "ItemResult", "PimWriter", "match_answers"]

UPSTREAM = "pim"
_NODE_RESOURCES = ("node_by_id", "node_by_path", "children_by_path", "root_node")
_ATTRIBUTE_RESOURCES = ("attribute_by_id", "attributes_by_node", "attributes_by_product")
_DEFINITION_RESOURCES = ("definition_by_tid", "definition_by_id", "definition_ids_by_type")
_CLASS_RESOURCES = ("classification_by_tid", "classification_by_id")
# Worst first: the status an item with several answers reports.
_SEVERITY = (WriteStatus.ERROR, WriteStatus.UNKNOWN, WriteStatus.WARNING, WriteStatus.SUCCESS)
_NO_ANSWER = "The PIM's answer held no response for this item: it may or may not have been saved"


@dataclass(frozen=True, slots=True)
class ItemKey:
    """How a delete names one item: by tid, PIM id or (nodes) path."""

    tid: str | None = None
    id: PimId | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class ItemAnswer:
    """One ``<response>``, with the input item it concerns (``products[0].articles[1]``)."""

    item: str
    outcome: WriteOutcome


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One input item's result: a summary ``outcome`` and every answer about it."""

    index: int
    item: str
    outcome: WriteOutcome
    answers: tuple[ItemAnswer, ...] = ()


@dataclass(frozen=True, slots=True)
class Expected:
    """An answer the PIM may give: about input item ``group``, sub-item ``item``.

    ``hints`` are the ids the item is known by (response attribute names: tid, id, path, key,
    nodeId, nodePath); a response contradicting one of them is about another item.
    ``silent`` marks a container that changes nothing itself: it answers only if it fails.
    """

    group: int
    item: str
    data_type: str | None
    hints: Mapping[str, str] = field(default_factory=dict)
    silent: bool = False


def _norm(key: str, value: str) -> str:
    if key in ("path", "nodePath", "parentPath"):
        value = "/" + "/".join(part for part in value.split("/") if part)
    return value.strip().casefold()


def _same_type(expected: Expected, response: PimItemResponse) -> bool:
    return not (expected.data_type and response.data_type) or (
        expected.data_type == response.data_type
    )


def _named_by(expected: Expected, response: PimItemResponse) -> bool | None:
    """True: the response names this item; False: it names another; None: it cannot tell."""
    shared = [key for key in expected.hints if response.ids.get(key)]
    if any(_norm(k, expected.hints[k]) != _norm(k, response.ids[k]) for k in shared):
        return False
    return True if shared else None


def _find(expected: Sequence[Expected], at: int, response: PimItemResponse) -> int | None:
    """The item a response is about: the next one it names, else the next it may concern.

    A container that changes nothing answers only when it fails, and then without the tid
    the PIM gives every item it saved: a response with a tid is never a silent container's.
    """
    candidates = [j for j in range(at, len(expected)) if _same_type(expected[j], response)]
    named = next((j for j in candidates if _named_by(expected[j], response)), None)
    if named is not None:
        return named
    return next(
        (
            j
            for j in candidates
            if _named_by(expected[j], response) is None
            and not (expected[j].silent and response.ids.get("tid"))
        ),
        None,
    )


def match_answers(
    expected: Sequence[Expected], responses: Sequence[PimItemResponse], groups: int
) -> list[list[ItemAnswer]]:
    """The responses of each of ``groups`` input items (see the module docstring)."""
    answers: list[list[ItemAnswer]] = [[] for _ in range(groups)]
    at = 0
    for response in responses:
        found = _find(expected, at, response)
        if found is not None:
            target, at = expected[found], found + 1
            answers[target.group].append(ItemAnswer(target.item, response.to_outcome()))
            continue
        # Nothing fits: it concerns the item being answered (e.g. an unknown container).
        current = expected[min(at, len(expected) - 1)] if expected else None
        group, item = (current.group, current.item) if current else (0, "[0]")
        answers[group].append(ItemAnswer(item, response.to_outcome()))
    return answers


def _summary(item: str, answers: Sequence[ItemAnswer], data_type: str | None) -> WriteOutcome:
    if not answers:
        return WriteOutcome(WriteStatus.UNKNOWN, "", message=_NO_ANSWER, data_type=data_type)
    own = next((a for a in answers if a.item == item), answers[0])
    worst = min(answers, key=lambda a: _SEVERITY.index(a.outcome.status))
    message = worst.outcome.message
    if worst.item != own.item and message:
        message = f"{worst.item}: {message}"
    return WriteOutcome(
        status=worst.outcome.status,
        action=own.outcome.action,
        ids=dict(own.outcome.ids),
        message=message,
        data_type=own.outcome.data_type,
    )


def _results(
    labels: Sequence[str],
    data_type: str | None,
    expected: Sequence[Expected],
    responses: Sequence[PimItemResponse],
) -> list[ItemResult]:
    matched = match_answers(expected, responses, len(labels))
    return [
        ItemResult(i, label, _summary(label, found, data_type), tuple(found))
        for i, (label, found) in enumerate(zip(labels, matched, strict=True))
    ]


def _unknown(labels: Sequence[str], action: str, exc: UpstreamOutcomeUnknown) -> list[ItemResult]:
    outcome = WriteOutcome(WriteStatus.UNKNOWN, action, message=exc.message)
    return [ItemResult(i, label, outcome) for i, label in enumerate(labels)]


def _hints(**given: object) -> dict[str, str]:
    return {key: str(value) for key, value in given.items() if value not in (None, "")}


def _refuse(message: str, item: str) -> BadUserInput:
    return BadUserInput(message, upstream=UPSTREAM, item=item)


def _nonempty(items: Sequence[object], what: str) -> None:
    if not items:
        raise _refuse(f"no {what} given: send at least one", what)


# --- checks the client does not make ---------------------------------------------------------

_LOCALIZED = {"localized", "multi_loc", "loc_domain", "multi_loc_domain"}
_LISTED = {"multiple", "multi_loc", "multi_domain", "multi_loc_domain"}
_DOMAIN = {"domain", "loc_domain", "multi_domain", "multi_loc_domain"}


def check_value(value: AttributeValue, label: str) -> None:
    """Entries fit the value's type: a locale on localized types only, a position on listed
    ones, a domain key on domain ones; text otherwise. No entries clears the value."""
    if not value.attr.strip():
        raise _refuse("a value needs its attr (the attribute definition's tid)", label)
    if value.type is not None and value.type not in VALUE_TYPES:
        raise _refuse(f"unknown value kind {value.type!r}; one of {', '.join(VALUE_TYPES)}", label)
    if value.data_type is not None and value.data_type not in VALUE_DATA_TYPES:
        raise _refuse(f"unknown dataType {value.data_type!r}", label)
    kind = value.type
    for k, entry in enumerate(value.entries):
        where = f"{label}.entries[{k}]"
        if kind is None:
            if not entry.value and not entry.key:
                raise _refuse("an entry needs its value (or a domain key)", where)
            continue
        for what, present, wanted in (
            ("locale", entry.locale is not None, kind in _LOCALIZED),
            ("position", entry.position is not None, kind in _LISTED),
            ("key", entry.key is not None, kind in _DOMAIN),
        ):
            if present != wanted:
                need = "needs" if wanted else "takes no"
                raise _refuse(f"an entry of a {kind} value {need} {what}", where)
        if kind not in _DOMAIN and not entry.value:
            raise _refuse(f"an entry of a {kind} value needs its value", where)
    if kind is not None and kind not in _LISTED:
        per_locale = [e.locale for e in value.entries]
        if len(per_locale) != len(set(per_locale)):
            raise _refuse(f"a {kind} value takes one entry (per locale)", label)


def _check_item(item: Product | Article | Variant, label: str, children: Sequence[object]) -> None:
    for j, value in enumerate(item.values):
        check_value(value, f"{label}.values[{j}]")
    changes = item.name is not None or item.values or getattr(item, "node", None)
    if not changes and not children:
        raise _refuse("nothing to save: give a name, node, values, articles or variants", label)


def check_product_trees(products: Sequence[Product]) -> None:
    _nonempty(products, "products")
    for i, product in enumerate(products):
        label = f"products[{i}]"
        _check_item(product, label, product.articles)
        for j, article in enumerate(product.articles):
            _check_item(article, f"{label}.articles[{j}]", article.variants)
            for k, variant in enumerate(article.variants):
                _check_item(variant, f"{label}.articles[{j}].variants[{k}]", ())


def _check_keys(keys: Sequence[ItemKey], what: str, allowed: Iterable[str]) -> None:
    _nonempty(keys, what)
    allowed = tuple(allowed)
    for i, key in enumerate(keys):
        given = [name for name in ("tid", "id", "path") if getattr(key, name) not in (None, "")]
        if len(given) != 1 or given[0] not in allowed:
            raise _refuse(f"name each item by exactly one of {', '.join(allowed)}", f"{what}[{i}]")


# --- expected answers ------------------------------------------------------------------------


def _expect_item(
    group: int, label: str, data_type: str, item: Product | Article | Variant, children: bool
) -> Expected:
    changes = item.name is not None or bool(item.values) or bool(getattr(item, "node", None))
    silent = children and not changes and (item.tid is not None or item.pim_id is not None)
    return Expected(group, label, data_type, _hints(tid=item.tid), silent=silent)


def _expect_products(products: Sequence[Product]) -> list[Expected]:
    expected: list[Expected] = []
    for i, product in enumerate(products):
        label = f"products[{i}]"
        expected.append(_expect_item(i, label, "product", product, bool(product.articles)))
        for j, article in enumerate(product.articles):
            alabel = f"{label}.articles[{j}]"
            expected.append(_expect_item(i, alabel, "article", article, bool(article.variants)))
            for k, variant in enumerate(article.variants):
                vlabel = f"{alabel}.variants[{k}]"
                expected.append(_expect_item(i, vlabel, "variant", variant, False))
    return expected


def _expect_keys(keys: Sequence[ItemKey], what: str, data_type: str) -> list[Expected]:
    return [
        Expected(i, f"{what}[{i}]", data_type, _hints(tid=k.tid, id=k.id, path=k.path))
        for i, k in enumerate(keys)
    ]


def _labels(what: str, count: int) -> list[str]:
    return [f"{what}[{i}]" for i in range(count)]


class PimWriter:
    """Every documented PIM write, item by item (see the module docstring)."""

    def __init__(self, pim: PimClient, cache: SharedCache[Any, Any]) -> None:
        self.pim = pim
        self.cache = cache

    async def _write(
        self,
        labels: Sequence[str],
        data_type: str | None,
        action: str,
        expected: Sequence[Expected],
        call: Callable[[], Awaitable[list[PimItemResponse]]],
    ) -> tuple[list[ItemResult], list[PimItemResponse]]:
        try:
            responses = await call()
        except UpstreamOutcomeUnknown as exc:
            return _unknown(labels, action, exc), []
        return _results(labels, data_type, expected, responses), responses

    # --- products ----------------------------------------------------------------------------

    async def save_products(self, products: Sequence[Product]) -> list[ItemResult]:
        """Create or rename products, articles, variants and set values (only those sent)."""
        check_product_trees(products)
        labels = _labels("products", len(products))
        try:
            results, _ = await self._write(
                labels,
                "product",
                "",
                _expect_products(products),
                lambda: self.pim.persist_products(products),
            )
        finally:
            # Evicted even when the call raised: a failed write may have saved some items.
            tids = {p.tid for p in products if p.tid}
            ids = {p.pim_id for p in products if p.pim_id is not None}
            self._evict_products(tids, ids, complete=False)
        # A created product's tid may have been read (as missing) before it existed.
        created = {
            tid
            for r in results
            for a in r.answers
            if a.outcome.data_type == "product" and (tid := a.outcome.ids.get("tid"))
        }
        self.cache.evict(UPSTREAM, "product_by_tid", created)
        return results

    async def delete_products(self, keys: Sequence[ItemKey]) -> list[ItemResult]:
        _check_keys(keys, "products", ("tid", "id"))
        actions = [Action.delete(PimDataType.PRODUCT, tid=k.tid, id=k.id) for k in keys]
        return await self._product_action(keys, actions, "delete")

    async def copy_product(
        self,
        key: ItemKey,
        *,
        new_name: str | None = None,
        new_tid: str | None = None,
    ) -> ItemResult:
        """Copy one product tree; the new product's id is the result's ``productId``."""
        _check_keys([key], "product", ("tid", "id"))
        action = Action.copy_product(tid=key.tid, id=key.id, new_name=new_name, new_tid=new_tid)
        (result,) = await self._product_action([key], [action], "copy")
        new_id = result.outcome.ids.get("productId")
        # The copy's keys may have been read (as missing) before it existed.
        self._evict_products(
            {new_tid} if new_tid else set(), {int(new_id)} if new_id else set(), complete=True
        )
        return result

    async def _product_action(
        self, keys: Sequence[ItemKey], actions: Sequence[Action], action: str
    ) -> list[ItemResult]:
        labels = _labels("products", len(keys))
        try:
            results, _ = await self._write(
                labels,
                "product",
                action,
                _expect_keys(keys, "products", "product"),
                lambda: self.pim.perform_products(actions),
            )
        finally:
            tids = {k.tid for k in keys if k.tid}
            self._evict_products(tids, {k.id for k in keys if k.id is not None}, complete=False)
        return results

    async def link_products(self, links: Sequence[ProductLink]) -> list[ItemResult]:
        """Link products to target products; one result per link group."""
        return await self._links(links, "link", self.pim.persist_links)

    async def unlink_products(self, links: Sequence[ProductLink]) -> list[ItemResult]:
        """Unlink one product from one target product per link."""
        return await self._links(links, "unlink", self.pim.perform_links)

    async def _links(
        self,
        links: Sequence[ProductLink],
        action: str,
        call: Callable[[Sequence[ProductLink]], Awaitable[list[PimItemResponse]]],
    ) -> list[ItemResult]:
        labels = _labels("links", len(links))
        expected = [Expected(i, label, PimDataType.PRODUCT_LINK) for i, label in enumerate(labels)]
        try:
            results, _ = await self._write(
                labels, PimDataType.PRODUCT_LINK, action, expected, lambda: call(links)
            )
        finally:
            tids = {t for link in links for t in (*link.product_tids, *link.target_product_tids)}
            ids = {i for link in links for i in (*link.product_ids, *link.target_product_ids)}
            self._evict_products(tids, ids, complete=False)
        return results

    def _evict_products(self, tids: set[str], ids: set[PimId], *, complete: bool) -> None:
        """Forget products by tid and id; without ``complete``, a product named by one key
        only may sit cached under its other one, so that whole resource goes."""
        cache = self.cache
        cache.evict(UPSTREAM, "product_by_tid", tids)
        cache.evict(UPSTREAM, "product_by_id", ids)
        if not complete:
            if ids:
                cache.evict_resource(UPSTREAM, "product_by_tid")
            if tids:
                cache.evict_resource(UPSTREAM, "product_by_id")
        cache.evict(
            UPSTREAM, "attributes_by_product", [(t, b) for t in tids for b in (False, True)]
        )
        if ids:
            cache.evict_resource(UPSTREAM, "attributes_by_product")
        cache.evict_resource(UPSTREAM, "product_search")

    # --- classifications, nodes, definitions, attributes ---------------------------------------

    def _evict(self, *resources: str) -> None:
        for resource in resources:
            self.cache.evict_resource(UPSTREAM, resource)

    async def save_classifications(self, classes: Sequence[Classification]) -> list[ItemResult]:
        """Create or update classifications with their nodes (root first, in order): one
        answer per classification (node problems come back as its WARNING)."""
        _nonempty(classes, "classifications")
        for i, cls in enumerate(classes):
            if cls.nodes and not cls.tid:
                # The PIM ties nodes to their classification by its tid (``class=``).
                raise _refuse("a classification with nodes needs its tid", f"classifications[{i}]")
        labels = _labels("classifications", len(classes))
        expected = [
            Expected(i, labels[i], PimDataType.CLASSIFICATION, _hints(tid=c.tid))
            for i, c in enumerate(classes)
        ]
        try:
            results, _ = await self._write(
                labels,
                PimDataType.CLASSIFICATION,
                "",
                expected,
                lambda: self.pim.persist_classifications(classes),
            )
        finally:
            self._evict(*_CLASS_RESOURCES, *_NODE_RESOURCES, *_ATTRIBUTE_RESOURCES)
        return results

    async def delete_classifications(self, keys: Sequence[ItemKey]) -> list[ItemResult]:
        _check_keys(keys, "classifications", ("tid", "id"))
        actions = [Action.delete(PimDataType.CLASSIFICATION, tid=k.tid, id=k.id) for k in keys]
        expected = _expect_keys(keys, "classifications", PimDataType.CLASSIFICATION)
        try:
            results, _ = await self._write(
                _labels("classifications", len(keys)),
                PimDataType.CLASSIFICATION,
                "delete",
                expected,
                lambda: self.pim.perform_classifications(actions),
            )
        finally:
            self._evict(*_CLASS_RESOURCES, *_NODE_RESOURCES, *_ATTRIBUTE_RESOURCES)
        return results

    async def save_nodes(self, nodes: Sequence[ClassificationNode]) -> list[ItemResult]:
        """Create (under a parent id or path; a root by classification tid) or update (by id
        or path), strictly in order."""
        _nonempty(nodes, "nodes")
        labels = _labels("nodes", len(nodes))
        expected = [
            Expected(
                i,
                labels[i],
                PimDataType.CLASS_NODE,
                _hints(id=n.id, path=n.path) if n.id is not None or n.path else _hints(tid=n.tid),
            )
            for i, n in enumerate(nodes)
        ]
        try:
            results, _ = await self._write(
                labels,
                PimDataType.CLASS_NODE,
                "",
                expected,
                lambda: self.pim.persist_nodes(nodes),
            )
        finally:
            self._evict(*_NODE_RESOURCES, *_ATTRIBUTE_RESOURCES)
        return results

    async def delete_nodes(self, keys: Sequence[ItemKey]) -> list[ItemResult]:
        _check_keys(keys, "nodes", ("id", "path"))
        actions = [Action.delete(PimDataType.CLASS_NODE, id=k.id, path=k.path) for k in keys]
        try:
            results, _ = await self._write(
                _labels("nodes", len(keys)),
                PimDataType.CLASS_NODE,
                "delete",
                _expect_keys(keys, "nodes", PimDataType.CLASS_NODE),
                lambda: self.pim.perform_nodes(actions),
            )
        finally:
            self._evict(*_NODE_RESOURCES, *_ATTRIBUTE_RESOURCES)
        return results

    async def save_attribute_definitions(
        self, definitions: Sequence[AttributeDefinition]
    ) -> list[ItemResult]:
        _nonempty(definitions, "attributeDefinitions")
        labels = _labels("attributeDefinitions", len(definitions))
        expected = [
            Expected(i, labels[i], PimDataType.ATTRIBUTE_DEFINITION, _hints(tid=d.tid, id=d.id))
            for i, d in enumerate(definitions)
        ]
        try:
            results, _ = await self._write(
                labels,
                PimDataType.ATTRIBUTE_DEFINITION,
                "",
                expected,
                lambda: self.pim.persist_attribute_definitions(definitions),
            )
        finally:
            self._evict(*_DEFINITION_RESOURCES, *_ATTRIBUTE_RESOURCES)
        return results

    async def delete_attribute_definitions(self, keys: Sequence[ItemKey]) -> list[ItemResult]:
        _check_keys(keys, "attributeDefinitions", ("tid", "id"))
        data_type = PimDataType.ATTRIBUTE_DEFINITION
        actions = [Action.delete(data_type, tid=k.tid, id=k.id) for k in keys]
        try:
            results, _ = await self._write(
                _labels("attributeDefinitions", len(keys)),
                data_type,
                "delete",
                _expect_keys(keys, "attributeDefinitions", data_type),
                lambda: self.pim.perform_attribute_definitions(actions),
            )
        finally:
            self._evict(*_DEFINITION_RESOURCES, *_ATTRIBUTE_RESOURCES)
        return results

    async def save_attributes(self, attributes: Sequence[Attribute]) -> list[ItemResult]:
        """Create on a node (id or path); update by id, or node and key."""
        _nonempty(attributes, "attributes")
        labels = _labels("attributes", len(attributes))
        expected = [
            Expected(
                i,
                labels[i],
                PimDataType.ATTRIBUTE,
                _hints(id=a.id, key=a.key, nodeId=a.node_id, nodePath=a.node_path),
            )
            for i, a in enumerate(attributes)
        ]
        try:
            results, _ = await self._write(
                labels,
                PimDataType.ATTRIBUTE,
                "",
                expected,
                lambda: self.pim.persist_attributes(attributes),
            )
        finally:
            self._evict(*_ATTRIBUTE_RESOURCES)
        return results

    async def delete_attributes(self, ids: Sequence[PimId]) -> list[ItemResult]:
        keys = [ItemKey(id=i) for i in ids]
        _check_keys(keys, "attributes", ("id",))
        actions = [Action.delete(PimDataType.ATTRIBUTE, id=k.id) for k in keys]
        try:
            results, _ = await self._write(
                _labels("attributes", len(keys)),
                PimDataType.ATTRIBUTE,
                "delete",
                _expect_keys(keys, "attributes", PimDataType.ATTRIBUTE),
                lambda: self.pim.perform_attributes(actions),
            )
        finally:
            self._evict(*_ATTRIBUTE_RESOURCES)
        return results
