"""An extension that adds a computed, batched field and a root field.

Load it with ``GATEWAY_EXTENSIONS=examples.computed_field`` or
``Gateway(extensions=["examples.computed_field"])``.

* ``Product.nodeName(locale)``: the name (else the tid) of the product's node. It loads the
  node through the request's loader, so 100 products still cost one nodes call.
* ``Query.productTitles(tids)``: product names by tid, in one batched retrieve.
"""

from __future__ import annotations

import strawberry

from gateway.extensions import ExtensionRegistry
from gateway.graphql.info import Info
from gateway.graphql.localized import pick_text
from gateway.graphql.types.products import Product


async def node_name(root: Product, info: Info, locale: str | None = None) -> str | None:
    path = root.record.node
    if not path:
        return None
    node = await info.context.loaders.node_by_path.load(path)
    if node is None:
        return None
    return pick_text(node.name, info.context.pick_locales(locale)) or node.tid


@strawberry.type
class TitleQuery:
    @strawberry.field(description="Product names by tid (example extension).")
    async def product_titles(self, info: Info, tids: list[str]) -> list[str | None]:
        records = await info.context.loaders.product_by_tid.load_many(tids)
        locales = info.context.pick_locales(None)
        return [pick_text(r.name, locales) if r else None for r in records]


def register(registry: ExtensionRegistry) -> None:
    registry.add_field(
        "Product", "node_name", node_name, description="The classification node's name."
    )
    registry.add_query(TitleQuery)
