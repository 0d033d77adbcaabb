"""The OMN PIM XML codec: pure functions from records to request bodies and back.

| endpoint | build the body | read the answer |
| --- | --- | --- |
| ``/pim/classes``, ``/pim/classes/retrieve`` | (JSON) | ``parse_classifications`` |
| ``/pim/classes/persist`` | ``build_classes_persist`` | ``parse_responses`` |
| ``/pim/attribute-definitions``, ``.../retrieve`` | (JSON) | ``parse_attribute_definitions`` |
| ``/pim/attribute-definitions/persist`` | ``build_attribute_definitions_persist`` | ``parse_responses`` |
| ``/pim/attributes/retrieve`` | (JSON) | ``parse_attributes`` |
| ``/pim/attributes/persist`` | ``build_attributes_persist`` | ``parse_responses`` |
| ``/pim/nodes/retrieve`` | (JSON) | ``parse_nodes`` |
| ``/pim/nodes/persist`` | ``build_nodes_persist`` | ``parse_responses`` |
| ``/pim/products/retrieve`` | (JSON) | ``parse_products`` |
| ``/pim/products/persist`` | ``build_products_persist`` | ``parse_responses`` |
| ``/pim/products/links/persist`` | ``build_links_persist`` | ``parse_responses`` |
| every ``.../perform`` | ``build_actions`` | ``parse_responses`` |
| every ``.../query`` | (JSON) | ``parse_id_list`` |
| any 400/403/500 ``<response><issues>`` | | ``parse_issue`` |
| any answer: a login page or a proxy's page? | | ``looks_like_html`` |

Builders return UTF-8 bytes with an XML declaration, in the ``http://www.apollon.de/omn``
namespace under ``<pim schemaVersion="5.6.0">`` (and ``<meta>`` when given). Parsers use
one hardened parser; a malformed or hostile body, a wrong root or namespace, or a missing
required part raises ``UpstreamBadResponse(upstream="pim")``.
"""

from __future__ import annotations

from ._json import parse_id_list
from ._read import (
    parse_attribute_definitions,
    parse_attributes,
    parse_classifications,
    parse_document,
    parse_issue,
    parse_nodes,
    parse_products,
    parse_responses,
)
from ._safe import NS, looks_like_html
from ._write import (
    SCHEMA_VERSION,
    build_actions,
    build_attribute_definitions_persist,
    build_attributes_persist,
    build_classes_persist,
    build_links_persist,
    build_nodes_persist,
    build_products_persist,
    format_date,
)

__all__ = [
    "NS",
    "SCHEMA_VERSION",
    "build_actions",
    "build_attribute_definitions_persist",
    "build_attributes_persist",
    "build_classes_persist",
    "build_links_persist",
    "build_nodes_persist",
    "build_products_persist",
    "format_date",
    "looks_like_html",
    "parse_attribute_definitions",
    "parse_attributes",
    "parse_classifications",
    "parse_document",
    "parse_id_list",
    "parse_issue",
    "parse_nodes",
    "parse_products",
    "parse_responses",
]
