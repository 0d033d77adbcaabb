"""Emulator of the OMN PIM API (``omn-pim-api.txt``): XML answers, in-memory state, demo seed.

``create_app()`` gives the Starlette app; ``app.state.store`` is its ``Store``.

| module | holds |
| --- | --- |
| ``app`` | routes, auth wrapper, ``/__emulator__/admin-only`` |
| ``http`` | bearer check, body decoding, the request-level error answers |
| ``xml`` | the safe parser and the envelope builders |
| ``store`` / ``values`` / ``render`` | state, ``<vals>`` in and out, rendering |
| ``routes_*`` | one resource each |
| ``seed`` | the document's sample objects (with their ids) and the generated demo products |

Where the document is silent or contradicts itself, the emulator decides as follows:

| question | decision |
| --- | --- |
| 401 body | ``<response><issues>`` with code 1002 "Not authorized" (no code documented) |
| 500 body | code 1000 "An unknown internal error occurred" (no code documented) |
| nodes restriction | query/retrieve/persist: 403 + 1010; perform: 200 with an in-body ERROR (as documented) |
| root node path | ``/<classification>`` everywhere (one nodes sample shows ``/``) |
| seeded node ids | the nodes samples' (15270, 15271, 114740), not the classes samples' (15370, 15371) |
| ``<status>`` vs ``<description>`` order | status first (the document prints both orders) |
| tids | unique per kind: product, article and variant tids are separate namespaces |
| names | unique among siblings (products per node, articles per product, variants per article) |
| values sent | replace that attribute's value; localized kinds keep the locales not sent |
| unregistered value attribute | item saved, WARNING ``...saved successfully|Attribute definition: 'x' cannot be found`` |
| products/query ``nodePaths`` | a node and everything below it; dates without zone are UTC |
| product modification | the latest modification or value-modification date in its P > A > V tree |
| copy without ``newProductName`` | ``<name> - Copy``; fresh ids, and fresh tids below the product |
| links | stored on the source, shown in its ``<links><itms type="products">`` keyed by target tid |
| unlink of a missing link | SUCCESS (idempotent) |
| JSON bodies on persist/perform | 400 / 1001; XML is read whatever the Content-Type says |
| DOCTYPE in a request | refused as invalid input (entities are never expanded) |
"""

from __future__ import annotations

from gateway.emulators.pim.app import BASE_PATH, create_app
from gateway.emulators.pim.store import Store

__all__ = ["BASE_PATH", "Store", "create_app"]
