"""Example operations preloaded in GraphiQL; each runs against the demo data (a test runs all)."""

from __future__ import annotations

from typing import Any

from schema.globalid import encode_global_id

__all__ = ["EXAMPLES"]

EXAMPLES: list[dict[str, Any]] = [
    {
        "title": "One product, deep",
        "query": """# A PIM product with its node, values (with definitions), articles, variants
# and its CitrusAd catalog product, found through its GTIN value.
query OneProduct {
  product(tid: "DEMO-0004") {
    tid
    name(locale: "de_DE")
    status
    modificationDate
    node { path name parent { path } }
    values { attr kind value definition { tid type name } }
    articles { tid name variants { tid name } }
    catalogProduct { gtin price inventory inStock name brand categories locations hfss }
  }
}
""",
    },
    {
        "title": "Many products, batched",
        "query": """# Ten products cost one products/retrieve, one nodes/retrieve and one
# attribute-definitions/retrieve call, whatever the nesting.
query ManyProducts($tids: [String!]!) {
  products(tids: $tids) {
    tid
    name
    node { path }
    values(attrs: ["gtin", "material"]) { attr value definition { name } }
  }
}
""",
        "variables": {"tids": [f"DEMO-{i:04d}" for i in range(1, 11)]},
    },
    {
        "title": "Search and page",
        "query": """query Search($after: String) {
  searchProducts(nodePaths: ["/Standard/Bekleidung/Damen"], first: 5, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { tid name gtin }
  }
}
""",
    },
    {
        "title": "Classification tree",
        "query": """query Tree {
  classifications { tid name }
  classification(tid: "Standard") {
    rootNode {
      path
      children { path name children { path children { path } } }
    }
  }
  classificationNode(path: "/Standard/Bekleidung") {
    attributes(includeInherited: true) { key level restriction definition { name } }
  }
}
""",
    },
    {
        "title": "Attribute definitions",
        "query": """query Definitions {
  attributeDefinitions { tid type name multiValued domainValues { key name } }
  attributeDefinition(tid: "care_note") { tid domainValues { key name(locale: "de_DE") } }
}
""",
    },
    {
        "title": "CitrusAd catalog",
        "query": """query Catalog {
  catalogProduct(gtin: "23556578965543") { gtin price profit name imageUrl brand categories inStock }
  catalogProducts(gtins: ["23556578965738", "4000000000013"]) { gtin name hfss locations }
}
""",
    },
    {
        "title": "Any object by id",
        "query": """query ById($id: ID!) {
  node(id: $id) { id ... on Product { tid name } }
}
""",
        "variables": {"id": encode_global_id("Product", "DEMO-0001")},
    },
    {
        "title": "OMNICOMMERCE: register products",
        "query": """# Recorded as a write job before anything leaves (items QUEUED), then sent in
# chunks of 100 at most 5 a second; add mode: JOB to get the job back at once.
mutation Register($products: [CommerceProductInput!]!) {
  registerCommerceProducts(products: $products) {
    ok accept failure unknown
    failures { id reason }
    results { index status action message }
    products { productId status url metadata updatedAt }
  }
  # An image on a .invalid host fails the way the document shows: per item, as data.
}
""",
        "variables": {
            "products": [
                {
                    "id": "A1000",
                    "url": "https://images.example.com/A1000.jpg",
                    "salesUrl": "https://shop.example.com/A1000",
                    "detection": "TOP",
                    "metadata": {
                        "productName": "Linen shirt",
                        "originPrice": 39,
                        "currency": "EUR",
                    },
                },
                {
                    "id": "A1001",
                    "url": "https://images.example.invalid/A1001.jpg",
                    "salesUrl": "https://shop.example.com/A1001",
                    "detection": "PANTS",
                },
            ]
        },
    },
    {
        "title": "CitrusAd: sync and stock",
        "query": """# An upsert (chunks of 100): the convenience fields become the documented
# key:value tags and filters. The second mutation marks a product out of stock with
# inventory 0, as CitrusAd advises, instead of deleting it.
mutation Sync($products: [CatalogProductInput!]!) {
  syncCatalogProducts(products: $products) {
    ok
    results { index status action message }
    products { gtin price profit tags filters name brand categories locations hfss inStock }
  }
  setCatalogInventory(items: [{gtin: "23556578965738", inventory: 0}]) {
    ok
    products { gtin inventory inStock }
  }
}
""",
        "variables": {
            "products": [
                {
                    "gtin": "23556578965543",
                    "inventory": 40,
                    "price": "18.49",
                    "profit": "1.20",
                    "imageUrl": "https://your.image.host.com/image.jpg",
                    "name": "Covergirl Clean 120 Creamy Natural Liquid Foundation30mL",
                    "brand": "Covergirl",
                    "categories": ["Health&Beauty", "Grocery"],
                    "locations": ["123"],
                    "hfss": False,
                }
            ]
        },
    },
    {
        "title": "PIM: rename a product and set values",
        "query": """# One result per product, in input order, with every PIM answer about it (its
# articles and variants too). The next read sees the new name: the write evicts the cache.
mutation Save($products: [ProductInput!]!) {
  saveProducts(products: $products) {
    ok
    results { index item status action dataType message ids { key value } answers { item status message } }
  }
}
""",
        "variables": {
            "products": [
                {
                    "tid": "DEMO-0001",
                    "name": "Linen shirt",
                    "values": [
                        {
                            "attr": "color",
                            "kind": "LOCALIZED",
                            "entries": [
                                {"value": "Sand", "locale": "en_GB"},
                                {"value": "Sand", "locale": "de_DE"},
                            ],
                        }
                    ],
                }
            ]
        },
    },
]
