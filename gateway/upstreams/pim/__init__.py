"""OMN PIM client: one async method per documented operation, typed records in and out.

| method | request | answer |
| --- | --- | --- |
| ``list_classifications()`` | ``GET /pim/classes`` | ``list[Classification]`` |
| ``retrieve_classifications(tids=|ids=, with_nodes=, flat_nodes=)`` | ``POST /pim/classes/retrieve`` ``{tids|ids, withNodes, flatNodes}`` | records; neither key: all |
| ``classifications_by_tid(tids)``, ``classifications_by_id(ids)`` | the same (by id: one call per id) | one slot per key |
| ``list_attribute_definitions()`` | ``GET /pim/attribute-definitions`` | ``list[AttributeDefinition]`` |
| ``query_attribute_definitions(types)`` | ``POST .../query`` ``{types}`` | ``list[PimId]`` |
| ``retrieve_attribute_definitions(tids=|ids=)`` | ``POST .../retrieve`` ``{tids|ids}``; neither: ``{all: true}`` | records |
| ``attribute_definitions_by_tid(tids)``, ``..._by_id(ids)`` | the same | one slot per key |
| ``query_attributes(product_ids=|product_tids=|node_ids=|node_paths=, include_parent_attributes=)`` | ``POST /pim/attributes/query`` | ``list[PimId]`` |
| ``retrieve_attributes(ids=|product_ids=|..., include_parent_attributes=, with_domain_values=, with_default_values=)`` | ``POST /pim/attributes/retrieve`` | ``list[Attribute]`` |
| ``query_nodes(product_id=|product_tid=|attribute_id=|attribute_definition_id=|_tid=)`` | ``POST /pim/nodes/query`` | ``PimIdList`` (ids, level) |
| ``retrieve_root_node(classification_tid=|classification_id=)`` | ``POST /pim/nodes/retrieve`` | node or ``None`` |
| ``retrieve_child_nodes(path, level=1)`` | ``POST /pim/nodes/retrieve`` ``{path, level}`` | ``list[ClassificationNode]`` |
| ``retrieve_nodes(ids)``, ``nodes_by_id(ids)`` | ``POST /pim/nodes/retrieve`` ``{ids}`` | records / one slot per key |
| ``retrieve_products(tids=|ids=)``, ``products_by_tid``, ``products_by_id`` | ``POST /pim/products/retrieve`` | records / one slot per key |
| ``query_products(modified_from=, modified_until=, node_paths=, search_strategy=)`` | ``POST /pim/products/query`` | ``list[str]`` (tids) |

| write (each ``-> list[PimItemResponse]``, in answer order) | request (XML) |
| --- | --- |
| ``persist_classifications(classes)`` / ``perform_classifications(actions)`` | ``POST /pim/classes/persist`` / ``.../perform`` (delete by tid or id) |
| ``persist_attribute_definitions(defs)`` / ``perform_attribute_definitions(actions)`` | ``POST /pim/attribute-definitions/persist`` / ``.../perform`` |
| ``persist_attributes(attrs)`` / ``perform_attributes(actions)`` | ``POST /pim/attributes/persist`` / ``.../perform`` (delete by id) |
| ``persist_nodes(nodes)`` / ``perform_nodes(actions)`` | ``POST /pim/nodes/persist`` / ``.../perform`` (delete by id or path) |
| ``persist_products(products)`` / ``perform_products(actions)`` | ``POST /pim/products/persist`` / ``.../perform`` (delete, copy) |
| ``copy_product(tid=|id=, new_name=, new_tid=)`` -> ``PimItemResponse`` | ``POST /pim/products/perform``; ``details["productId"]`` is the copy |
| ``persist_links(links)`` / ``perform_links(links)`` (unlink) | ``POST /pim/products/links/persist`` / ``.../links/perform`` |

Writes are checked before any call (``BadUserInput`` naming the item, see
``_write_checks``), sent once as ``application/xml; charset=UTF-8`` and never retried
blindly. A failed item is an ``ERROR`` response, not an exception. A write whose outcome
cannot be known (timeout, reset, 5xx, unreadable answer) raises ``UpstreamOutcomeUnknown``:
the PIM saves item by item, so some items may have been saved.

Reads by lists of keys drop duplicates, go out in calls of at most ``batch_size`` keys,
concurrently (``max_concurrency``), and are marked idempotent so the transport retries them.
Record lists hold what the PIM answered (a missing key is simply absent); slot lists line
up with the keys. If any call of a read fails, the read raises.

Errors: a ``<response><issues>`` answer becomes ``UpstreamRejected`` with the PIM's
``upstream_code`` (1001 invalid input; 1010 endpoint forbidden for a non-admin user) or, for
a 5xx, ``UpstreamUnavailable`` (see ``_errors``); an unreadable answer ``UpstreamBadResponse``.
"""

from __future__ import annotations

from ._base import DEFAULT_BATCH_SIZE
from ._client import PimClient
from ._errors import FORBIDDEN, INVALID_INPUT, error_for_issue, read_pim_error

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "FORBIDDEN",
    "INVALID_INPUT",
    "PimClient",
    "error_for_issue",
    "read_pim_error",
]
