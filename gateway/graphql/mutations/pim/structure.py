"""PIM structure mutations: classifications, their nodes, attribute definitions, attributes."""

from __future__ import annotations

import strawberry

from gateway.graphql.info import Info
from gateway.graphql.mutations.pim._common import item_keys, writer
from gateway.graphql.mutations.pim.payloads import PimWritePayload
from gateway.graphql.types.pim_inputs import (
    AttributeDefinitionInput,
    AttributeInput,
    ClassificationInput,
    ClassificationNodeInput,
)

__all__ = ["PimStructureMutation"]


@strawberry.type
class PimStructureMutation:
    @strawberry.mutation(
        description="Create or update classifications with their nodes and the nodes' "
        "attributes (root node first, named as the classification; nodes saved in order). "
        "Node problems come back as the classification's WARNING."
    )
    async def save_classifications(
        self, info: Info, classifications: list[ClassificationInput]
    ) -> PimWritePayload:
        records = [c.to_record() for c in classifications]
        return PimWritePayload.from_results(await writer(info).save_classifications(records))

    @strawberry.mutation(description="Delete classifications (with their node trees).")
    async def delete_classifications(
        self, info: Info, tids: list[str] | None = None, pim_ids: list[int] | None = None
    ) -> PimWritePayload:
        keys = item_keys("deleteClassifications", tids=tids, pimIds=pim_ids)
        return PimWritePayload.from_results(await writer(info).delete_classifications(keys))

    @strawberry.mutation(
        description="Create nodes (under a parent pimId or path; a root by classificationTid) "
        "or update them (by pimId or path), strictly in order: a parent may precede its child."
    )
    async def save_classification_nodes(
        self, info: Info, nodes: list[ClassificationNodeInput]
    ) -> PimWritePayload:
        records = [n.to_record() for n in nodes]
        return PimWritePayload.from_results(await writer(info).save_nodes(records))

    @strawberry.mutation(
        description="Delete nodes by path or pimId (refused while products are classified there)."
    )
    async def delete_classification_nodes(
        self, info: Info, paths: list[str] | None = None, pim_ids: list[int] | None = None
    ) -> PimWritePayload:
        keys = item_keys("deleteClassificationNodes", paths=paths, pimIds=pim_ids)
        return PimWritePayload.from_results(await writer(info).delete_nodes(keys))

    @strawberry.mutation(description="Create (tid and type) or update attribute definitions.")
    async def save_attribute_definitions(
        self, info: Info, definitions: list[AttributeDefinitionInput]
    ) -> PimWritePayload:
        records = [d.to_record() for d in definitions]
        return PimWritePayload.from_results(await writer(info).save_attribute_definitions(records))

    @strawberry.mutation(
        description="Delete attribute definitions (refused while attached to a node)."
    )
    async def delete_attribute_definitions(
        self, info: Info, tids: list[str] | None = None, pim_ids: list[int] | None = None
    ) -> PimWritePayload:
        keys = item_keys("deleteAttributeDefinitions", tids=tids, pimIds=pim_ids)
        return PimWritePayload.from_results(await writer(info).delete_attribute_definitions(keys))

    @strawberry.mutation(
        description="Attach definitions to nodes (by nodePimId or nodePath) or update "
        "attributes (by pimId, or node and key)."
    )
    async def save_attributes(
        self, info: Info, attributes: list[AttributeInput]
    ) -> PimWritePayload:
        records = [a.to_record() for a in attributes]
        return PimWritePayload.from_results(await writer(info).save_attributes(records))

    @strawberry.mutation(description="Detach attributes from their nodes, by pimId.")
    async def delete_attributes(self, info: Info, pim_ids: list[int]) -> PimWritePayload:
        return PimWritePayload.from_results(await writer(info).delete_attributes(pim_ids))
