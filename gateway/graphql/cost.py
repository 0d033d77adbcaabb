"""The schema's cost model: the estimated number of upstream calls an operation makes.

Objects built from data already loaded cost nothing, and fields served by a batched loader
cost nothing either: however many products ask for their node, the batch is one call per
100 keys, which the root field's cost already stands for. What costs is a root field (at
least one call) and a field that calls an upstream once per parent item.

| field | why it costs 1 per item |
| --- | --- |
| ``Product.catalogProduct``, ``Query.catalogProduct`` | CitrusAd answers one code per GET |
| ``ClassificationNode.children``, ``.products``, ``.attributes`` | one nodes/products/attributes call per node |
| ``Product.attributes`` | one attributes call per product |
"""

from __future__ import annotations

from gateway.security import CostModel

__all__ = ["COST_MODEL"]

_ROOT_FIELDS = (
    "node",
    "product",
    "products",
    "searchProducts",
    "classification",
    "classifications",
    "classificationNode",
    "attributeDefinition",
    "attributeDefinitions",
    "attributes",
    "catalogProduct",
    "catalogProducts",
    "commerceProduct",
    "commerceProducts",
)
_PER_ITEM = (
    "Product.catalogProduct",
    "Product.attributes",
    "ClassificationNode.children",
    "ClassificationNode.products",
    "ClassificationNode.attributes",
)

COST_MODEL = CostModel(
    field_costs={**{f"Query.{name}": 1 for name in _ROOT_FIELDS}, **dict.fromkeys(_PER_ITEM, 1)},
    object_cost=0,
    leaf_cost=0,
)
