"""Classifications, their nodes, attribute definitions and the attributes nodes carry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from gateway.graphql.globalid import encode_global_id
from gateway.graphql.info import Info
from gateway.graphql.localized import pick_text
from gateway.graphql.types.node import Node
from gateway.graphql.types.vocabulary import (
    AttributeDefinitionType,
    AttributeInheritance,
    AttributeLevel,
    read_enum,
)
from gateway.upstreams import records

if TYPE_CHECKING:
    from gateway.graphql.types.connections import ProductConnection

__all__ = [
    "Attribute",
    "AttributeDefinition",
    "Classification",
    "ClassificationNode",
    "DomainValue",
    "node_query_path",
]


# The PIM answers nodes and classifications with an empty <name/> unless someone named them
# (its own samples do); their tid is the text every path shows, so it is the name to read.
_NAMED_BY_TID = (
    "The name in the locale the chain picks (argument, Accept-Language, the default setting, "
    "else any it has); with no name in any locale, its tid (the text its path shows)."
)


def node_query_path(rec: records.ClassificationNode) -> str | None:
    """The path to ask the PIM about a node with: a root answers ``/``, but is ``/<tid>``."""
    if rec.path and rec.path != "/":
        return rec.path
    tid = rec.classification_tid or rec.tid
    return f"/{tid}" if tid else None


@strawberry.type(description="One value of an attribute's domain.")
class DomainValue:
    _rec: strawberry.Private[records.DomainValue]

    @strawberry.field(description="The domain key.")
    def key(self) -> str:
        return self._rec.tid

    @strawberry.field(
        description="The name in the locale the chain picks (argument, Accept-Language, the "
        "default setting, else any it has); with no name at all, its key (the PIM keys domain "
        "values by their text)."
    )
    def name(self, info: Info, locale: str | None = None) -> str | None:
        return pick_text(self._rec.names, info.context.pick_locales(locale)) or self._rec.tid


def _domain(domain: records.DomainValues | None) -> list[DomainValue]:
    return [DomainValue(_rec=v) for v in domain.values] if domain else []


@strawberry.type(description="An attribute definition: what an attribute means and holds.")
class AttributeDefinition(Node):
    _rec: strawberry.Private[records.AttributeDefinition]

    @classmethod
    def from_record(cls, rec: records.AttributeDefinition) -> AttributeDefinition:
        return cls(
            id=strawberry.ID(encode_global_id("AttributeDefinition", rec.tid or rec.id)), _rec=rec
        )

    @strawberry.field
    def pim_id(self) -> int | None:
        return self._rec.id

    @strawberry.field(description="The key attribute values use.")
    def tid(self) -> str | None:
        return self._rec.tid

    @strawberry.field(
        description="The data type; null when the PIM names none or one this schema does not "
        "know (its text is in `typeRaw`)."
    )
    def type(self) -> AttributeDefinitionType | None:
        return read_enum(AttributeDefinitionType, self._rec.type, "AttributeDefinition.type")

    @strawberry.field(description="The PIM's `type=` as sent, e.g. `text`.")
    def type_raw(self) -> str | None:
        return self._rec.type

    @strawberry.field(
        description="The name in the locale the chain picks (argument, Accept-Language, the "
        "default setting, else any it has)."
    )
    def name(self, info: Info, locale: str | None = None) -> str | None:
        return pick_text(self._rec.name, info.context.pick_locales(locale))

    @strawberry.field
    def multi_valued(self) -> bool | None:
        return self._rec.multi_valued

    @strawberry.field
    def domain_values(self) -> list[DomainValue]:
        return _domain(self._rec.domain)


@strawberry.type(description="An attribute definition attached to a classification node.")
class Attribute(Node):
    _rec: strawberry.Private[records.Attribute]

    @classmethod
    def from_record(cls, rec: records.Attribute) -> Attribute:
        return cls(id=strawberry.ID(encode_global_id("Attribute", rec.id)), _rec=rec)

    @strawberry.field
    def pim_id(self) -> int | None:
        return self._rec.id

    @strawberry.field(description="The attribute definition's tid.")
    def key(self) -> str:
        return self._rec.key

    @strawberry.field(
        description="The items of a product tree the attribute applies to; null when the PIM "
        "names none or a level this schema does not know (its text is in `levelRaw`)."
    )
    def level(self) -> AttributeLevel | None:
        return read_enum(AttributeLevel, self._rec.level, "Attribute.level")

    @strawberry.field(description="The PIM's `level=` as sent: p, a or v.")
    def level_raw(self) -> str | None:
        return self._rec.level

    @strawberry.field(
        description="Whether nodes below see the attribute; null when the PIM names none or a "
        "setting this schema does not know (its text is in `inheritanceRaw`)."
    )
    def inheritance(self) -> AttributeInheritance | None:
        return read_enum(AttributeInheritance, self._rec.inheritance, "Attribute.inheritance")

    @strawberry.field(description="The PIM's `inheritance=` as sent, e.g. visible.")
    def inheritance_raw(self) -> str | None:
        return self._rec.inheritance

    @strawberry.field
    def restriction(self) -> str | None:
        return self._rec.restriction

    @strawberry.field
    def localized(self) -> bool | None:
        return self._rec.localized

    @strawberry.field
    def node_path(self) -> str | None:
        return self._rec.node_path

    @strawberry.field
    def default_values(self) -> list[str]:
        return [d.text or d.tid or "" for d in self._rec.default_values]

    @strawberry.field
    def domain_values(self) -> list[DomainValue]:
        return _domain(self._rec.domain)

    @strawberry.field
    async def definition(self, info: Info) -> AttributeDefinition | None:
        rec = await info.context.loaders.definition_by_tid.load(self._rec.key)
        return AttributeDefinition.from_record(rec) if rec else None

    @strawberry.field
    async def node(self, info: Info) -> ClassificationNode | None:
        if self._rec.node_id is not None:
            rec = await info.context.loaders.node_by_id.load(self._rec.node_id)
        elif self._rec.node_path:
            rec = await info.context.loaders.node_by_path.load(self._rec.node_path)
        else:
            return None
        return ClassificationNode.from_record(rec) if rec else None


@strawberry.type(description="A node of a classification tree.")
class ClassificationNode(Node):
    _rec: strawberry.Private[records.ClassificationNode]

    @classmethod
    def from_record(cls, rec: records.ClassificationNode) -> ClassificationNode:
        return cls(id=strawberry.ID(encode_global_id("ClassificationNode", rec.id)), _rec=rec)

    @strawberry.field
    def pim_id(self) -> int | None:
        return self._rec.id

    @strawberry.field
    def tid(self) -> str | None:
        return self._rec.tid

    @strawberry.field(
        description="Full path, e.g. /Standard/Bekleidung; a classification's root node is /<classification>."
    )
    def path(self) -> str | None:
        return node_query_path(self._rec)

    @strawberry.field(description=_NAMED_BY_TID)
    def name(self, info: Info, locale: str | None = None) -> str | None:
        return pick_text(self._rec.name, info.context.pick_locales(locale)) or self._rec.tid

    @strawberry.field(description="0 for a classification's root node.")
    def level(self) -> int:
        path = node_query_path(self._rec) or "/"
        return max(path.count("/") - 1, 0)

    @strawberry.field
    async def parent(self, info: Info) -> ClassificationNode | None:
        if self._rec.parent_id is not None:
            rec = await info.context.loaders.node_by_id.load(self._rec.parent_id)
        elif self._rec.parent_path:
            rec = await info.context.loaders.node_by_path.load(self._rec.parent_path)
        else:
            return None
        return ClassificationNode.from_record(rec) if rec else None

    @strawberry.field
    async def children(self, info: Info) -> list[ClassificationNode]:
        path = node_query_path(self._rec)
        if not path:
            return []
        found = await info.context.loaders.children_by_path.load(path)
        return [ClassificationNode.from_record(n) for n in found]

    @strawberry.field(
        description="Attributes attached to this node; with `includeInherited` also its ancestors'."
    )
    async def attributes(self, info: Info, include_inherited: bool = False) -> list[Attribute]:
        if self._rec.id is None:
            return [Attribute.from_record(a) for a in self._rec.attributes]
        found = await info.context.loaders.attributes_by_node.load(
            (self._rec.id, include_inherited)
        )
        return [Attribute.from_record(a) for a in found]

    @strawberry.field(
        description="Products classified under this node (and below), as a connection."
    )
    async def products(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Annotated[ProductConnection, strawberry.lazy("gateway.graphql.types.connections")]:
        from gateway.graphql.types.connections import search_products

        path = node_query_path(self._rec)
        return await search_products(
            info, node_paths=[path] if path else [], first=first, after=after
        )


@strawberry.type(description="A classification: a tree of nodes under one root.")
class Classification(Node):
    _rec: strawberry.Private[records.Classification]

    @classmethod
    def from_record(cls, rec: records.Classification) -> Classification:
        return cls(
            id=strawberry.ID(encode_global_id("Classification", rec.tid or rec.id)), _rec=rec
        )

    @strawberry.field
    def pim_id(self) -> int | None:
        return self._rec.id

    @strawberry.field
    def tid(self) -> str | None:
        return self._rec.tid

    @strawberry.field(description=_NAMED_BY_TID)
    def name(self, info: Info, locale: str | None = None) -> str | None:
        return pick_text(self._rec.name, info.context.pick_locales(locale)) or self._rec.tid

    @strawberry.field(description="The root node, named as the classification.")
    async def root_node(self, info: Info) -> ClassificationNode | None:
        if not self._rec.tid:
            return None
        rec = await info.context.loaders.root_node.load(self._rec.tid)
        return ClassificationNode.from_record(rec) if rec else None
