"""The baseline: a plain strawberry + httpx + DataLoader gateway for the bench's deep query.

Written the way a typical team writes one from the strawberry and httpx documentation, so
the ratio the bench prints is against a fair, ordinary implementation, neither tuned nor
sandbagged:

| concern | how |
| --- | --- |
| schema | ``@strawberry.type`` classes; async resolvers for every field that loads something |
| batching | one ``strawberry.dataloader.DataLoader`` per key kind, built per request |
| PIM | httpx POSTs of ``products/retrieve``, ``nodes/retrieve``, ``attribute-definitions/retrieve``, XML parsed with lxml into dicts, chunks of 100 |
| CitrusAd | one httpx GET per GTIN, 16 at a time (the gateway's default cap) |
| cache | none across requests (DataLoader's per-request cache only) |
| server | ``strawberry.asgi.GraphQL`` in Starlette under uvicorn, as the gateway is served |

It shares no code with the gateway (only the emulators' demo credentials), serves the field
names the bench's deep query selects, and answers the same data for it.

``python -m bench.baseline --port P --pim-url URL --citrusad-url URL`` serves it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import strawberry
import uvicorn
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gateway.settings import (
    DEMO_CITRUSAD_API_KEY,
    DEMO_CITRUSAD_CATALOG_ID,
    DEMO_CITRUSAD_TEAM_ID,
    DEMO_PIM_TOKEN,
)

__all__ = ["create_app", "main"]

NS = "{http://www.apollon.de/omn}"
LOCALE = "en_GB"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


# --- upstream calls: XML and JSON into plain dicts ------------------------------------------


def _text(element: Any, tag: str) -> str | None:
    child = element.find(NS + tag)
    return child.text if child is not None else None


def _meta(element: Any) -> dict[str, str]:
    meta = element.find(NS + "meta")
    if meta is None:
        return {}
    return {itm.get("key"): itm.text for itm in meta.findall(NS + "itm")}


def _localized(element: Any) -> str | None:
    if element is None:
        return None
    texts = {itm.get("loc"): itm.text for itm in element.findall(NS + "itm")}
    return texts.get(LOCALE) or next(iter(texts.values()), None)


def _values(element: Any) -> list[dict[str, Any]]:
    vals = element.find(NS + "vals")
    if vals is None:
        return []
    values = []
    for val in vals.findall(NS + "val"):
        entries = [
            {
                "value": itm.text or "",
                "locale": itm.get("loc"),
                "position": int(itm.get("pos")) if itm.get("pos") else None,
                "key": itm.get("key"),
            }
            for itm in val.findall(NS + "itm")
        ]
        values.append(
            {
                "attr": val.get("attr"),
                # The gateway's schema answers both as enums (ValueKind, ValueDataType), as
                # it does a definition's type.
                "kind": (val.get("type") or "").upper() or None,
                "data_type": (val.get("dataType") or "").upper() or None,
                "entries": entries,
            }
        )
    return values


def _item(element: Any) -> dict[str, Any]:
    meta = _meta(element)
    return {
        "tid": element.get("tid"),
        "pim_id": int(meta["id"]) if meta.get("id") else None,
        "name": _text(element, "name"),
        "status": meta.get("status"),
        "modification_date": meta.get("modificationDate"),
        "node_path": _text(element, "node"),
        "values": _values(element),
    }


def _product(element: Any) -> dict[str, Any]:
    product = _item(element)
    product["articles"] = []
    for article_el in element.iterfind(f"{NS}articles/{NS}article"):
        article = _item(article_el)
        article["variants"] = [_item(v) for v in article_el.iterfind(f"{NS}variants/{NS}variant")]
        product["articles"].append(article)
    return product


class Upstreams:
    def __init__(self, http: httpx.AsyncClient, pim_url: str, citrusad_url: str) -> None:
        self.http, self.pim_url, self.citrusad_url = http, pim_url, citrusad_url
        self.citrus_limit = asyncio.Semaphore(16)

    async def pim(self, path: str, body: dict[str, Any]) -> Any:
        answer = await self.http.post(
            f"{self.pim_url}/pim/{path}",
            json=body,
            headers={"Authorization": f"Bearer {DEMO_PIM_TOKEN}"},
        )
        answer.raise_for_status()
        return etree.fromstring(answer.content, PARSER)

    async def products(self, tids: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for at in range(0, len(tids), 100):
            root = await self.pim("products/retrieve", {"tids": list(tids[at : at + 100])})
            for element in root.iterfind(f"{NS}products/{NS}product"):
                found[element.get("tid")] = _product(element)
        return found

    async def nodes(self, paths: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Each classification's subtree in one call, deep enough for every path asked."""
        depth: dict[str, int] = {}
        for path in paths:
            root = "/" + path.strip("/").split("/")[0]
            depth[root] = max(depth.get(root, 1), path.count("/"))
        found: dict[str, dict[str, Any]] = {}
        for root_path, level in depth.items():
            root = await self.pim("nodes/retrieve", {"path": root_path, "level": level})
            for element in root.iterfind(f"{NS}nodes/{NS}node"):
                path = element.get("path")
                found[path] = {
                    "path": path,
                    # As the gateway: a node named in no locale is named by its tid.
                    "name": _localized(element.find(NS + "name")) or element.get("tid"),
                    "level": path.count("/") - 1,
                }
        return found

    async def definitions(self, tids: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for at in range(0, len(tids), 100):
            chunk = list(tids[at : at + 100])
            root = await self.pim("attribute-definitions/retrieve", {"tids": chunk})
            for element in root.iterfind(f"{NS}attrDefs/{NS}attrDef"):
                found[element.get("tid")] = {
                    "tid": element.get("tid"),
                    "type": (element.get("type") or "").upper() or None,
                    "name": _localized(element.find(NS + "name")),
                }
        return found

    async def catalog_product(self, gtin: str) -> dict[str, Any] | None:
        async with self.citrus_limit:
            answer = await self.http.get(
                f"{self.citrusad_url}/v1/catalog-products/{DEMO_CITRUSAD_CATALOG_ID}/{gtin}",
                params={"teamId": DEMO_CITRUSAD_TEAM_ID},
                headers={"Authorization": f"Basic {DEMO_CITRUSAD_API_KEY}"},
            )
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        items = json.loads(answer.content, parse_float=Decimal)["catalogProducts"]
        return items[0] if items else None


# --- GraphQL types --------------------------------------------------------------------------


@strawberry.type
class Entry:
    value: str | None
    locale: str | None
    position: int | None
    key: str | None


@strawberry.type
class AttributeDefinition:
    tid: str | None
    type: str | None
    name: str | None


@strawberry.type
class AttributeValue:
    attr: str
    kind: str | None
    data_type: str | None
    entries: list[Entry]

    @strawberry.field
    async def value(self) -> str | None:
        if not self.entries:
            return None
        if self.kind in ("DOMAIN", "MULTI_DOMAIN"):
            return self.entries[0].key
        by_locale = [e.value for e in self.entries if e.locale == LOCALE]
        return by_locale[0] if by_locale else self.entries[0].value

    @strawberry.field
    async def definition(self, info: Info) -> AttributeDefinition | None:
        found = await info.context["definitions"].load(self.attr)
        return AttributeDefinition(**found) if found else None


@strawberry.type
class ClassificationNode:
    path: str
    name: str | None
    level: int


@strawberry.type
class CatalogProduct:
    gtin: str
    price: Decimal | None
    inventory: int | None
    tags: strawberry.Private[list[str]]
    filters: strawberry.Private[list[str]]

    def _tagged(self, values: list[str], prefix: str) -> list[str]:
        return [v.split(":", 1)[1] for v in values if v.lower().startswith(prefix + ":")]

    @strawberry.field
    async def in_stock(self) -> bool:
        return (self.inventory or 0) > 0

    @strawberry.field
    async def name(self) -> str | None:
        return next(iter(self._tagged(self.tags, "name")), None)

    @strawberry.field
    async def brand(self) -> str | None:
        return next(iter(self._tagged(self.filters, "brand")), None)

    @strawberry.field
    async def categories(self) -> list[str]:
        return self._tagged(self.filters, "category")

    @strawberry.field
    async def hfss(self) -> bool | None:
        flags = self._tagged(self.filters, "hfss")
        return flags[0] == "true" if flags else None


def _attribute_values(values: list[dict[str, Any]]) -> list[AttributeValue]:
    return [
        AttributeValue(
            attr=v["attr"],
            kind=v["kind"],
            data_type=v["data_type"],
            entries=[Entry(**e) for e in v["entries"]],
        )
        for v in values
    ]


@strawberry.type
class Variant:
    tid: str | None
    name: str | None
    raw_values: strawberry.Private[list[dict[str, Any]]]

    @strawberry.field
    async def values(self) -> list[AttributeValue]:
        return _attribute_values(self.raw_values)


@strawberry.type
class Article:
    tid: str | None
    name: str | None
    raw_values: strawberry.Private[list[dict[str, Any]]]
    raw_variants: strawberry.Private[list[dict[str, Any]]]

    @strawberry.field
    async def values(self) -> list[AttributeValue]:
        return _attribute_values(self.raw_values)

    @strawberry.field
    async def variants(self) -> list[Variant]:
        return [
            Variant(tid=v["tid"], name=v["name"], raw_values=v["values"]) for v in self.raw_variants
        ]


@strawberry.type
class Product:
    tid: str | None
    pim_id: int | None
    name: str | None
    status: str | None
    modification_date: datetime | None
    node_path: strawberry.Private[str | None]
    raw: strawberry.Private[dict[str, Any]]

    @strawberry.field
    async def id(self) -> strawberry.ID:
        raw = base64.urlsafe_b64encode(f"Product:{self.tid}".encode()).decode()
        return strawberry.ID(raw.rstrip("="))

    @strawberry.field
    async def values(self) -> list[AttributeValue]:
        return _attribute_values(self.raw["values"])

    @strawberry.field
    async def articles(self) -> list[Article]:
        return [
            Article(
                tid=a["tid"], name=a["name"], raw_values=a["values"], raw_variants=a["variants"]
            )
            for a in self.raw["articles"]
        ]

    @strawberry.field
    async def node(self, info: Info) -> ClassificationNode | None:
        if not self.node_path:
            return None
        found = await info.context["nodes"].load(self.node_path)
        return ClassificationNode(**found) if found else None

    @strawberry.field
    async def catalog_product(self, info: Info) -> CatalogProduct | None:
        gtins = [
            v["entries"][0]["value"]
            for v in self.raw["values"]
            if v["attr"] == "gtin" and v["entries"]
        ]
        if not gtins:
            return None
        found = await info.context["catalog"].load(gtins[0])
        if found is None:
            return None
        return CatalogProduct(
            gtin=found["gtin"],
            price=found.get("price"),
            inventory=found.get("inventory"),
            tags=found.get("tags") or [],
            filters=found.get("filters") or [],
        )

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Product:
        modified = raw["modification_date"]
        return cls(
            tid=raw["tid"],
            pim_id=raw["pim_id"],
            name=raw["name"],
            status=raw["status"],
            modification_date=datetime.fromisoformat(modified) if modified else None,
            node_path=raw["node_path"],
            raw=raw,
        )


@strawberry.type
class Query:
    @strawberry.field
    async def products(self, info: Info, tids: list[str]) -> list[Product | None]:
        found = await info.context["products"].load_many(tids)
        return [Product.from_dict(p) if p else None for p in found]

    @strawberry.field
    async def product(self, info: Info, tid: str) -> Product | None:
        found = await info.context["products"].load(tid)
        return Product.from_dict(found) if found else None


# --- the app --------------------------------------------------------------------------------


def _loaders(upstreams: Upstreams) -> dict[str, DataLoader[str, Any]]:
    def by_key(fetch: Any) -> DataLoader[str, Any]:
        async def load(keys: list[str]) -> list[Any]:
            found = await fetch(keys)
            return [found.get(k) for k in keys]

        return DataLoader(load_fn=load)

    async def catalog(keys: list[str]) -> list[Any]:
        return list(await asyncio.gather(*(upstreams.catalog_product(k) for k in keys)))

    return {
        "products": by_key(upstreams.products),
        "nodes": by_key(upstreams.nodes),
        "definitions": by_key(upstreams.definitions),
        "catalog": DataLoader(load_fn=catalog),
    }


class BaselineGraphQL(GraphQL):  # type: ignore[type-arg]
    def __init__(self, holder: dict[str, Upstreams]) -> None:
        super().__init__(strawberry.Schema(query=Query), graphql_ide=None)
        self.holder = holder

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        return _loaders(self.holder["upstreams"])


def create_app(pim_url: str, citrusad_url: str) -> Starlette:
    """The baseline app; ``pim_url`` up to and including ``/api/core/v1``."""
    holder: dict[str, Upstreams] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=30) as http:
            holder["upstreams"] = Upstreams(http, pim_url, citrusad_url)
            yield

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/graphql", BaselineGraphQL(holder), methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pim-url", required=True)
    parser.add_argument("--citrusad-url", required=True)
    args = parser.parse_args(argv)
    app = create_app(args.pim_url, args.citrusad_url)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
