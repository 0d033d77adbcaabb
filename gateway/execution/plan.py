"""Plans: an operation compiled once into what the executor does per level.

A plan is the operation's selection, collected as the spec's CollectFields does (graphql-core's
own ``collect_fields``/``collect_subfields``: fragments expanded, type conditions kept, fields
merged by response key, ``@skip``/``@include`` applied), with each field's implementation,
return shape and, where they hold no variable, its arguments already converted.

| operation | plan |
| --- | --- |
| query of supported fields | an ``OperationPlan`` |
| mutation, subscription | ``None`` (normal path) |
| ``__schema`` / ``__type``, an unknown field, a field ``fields.implementation`` refuses | ``None`` |
| a directive other than ``@skip``/``@include``, fragment variables, ``@defer`` | ``None`` |
| nested lists (``[[T]]``) | ``None`` (the schema has none) |

Plans are cached by document identity (the document cache hands the same object for the same
text), operation and the values of the variables ``@skip``/``@include`` read.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    Visitor,
    get_named_type,
    is_leaf_type,
    is_object_type,
    visit,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.types.arguments import convert_arguments

from gateway.execution.fields import TYPENAME, Implementation, Kind, implementation

__all__ = ["FieldPlan", "ObjectPlan", "OperationPlan", "Planner"]

_NO_VARIABLES = VariableValues({}, {})
# Leaves whose Python value of exactly this type is its own serialization (graphql-core's
# String, ID and Boolean coercions return such values unchanged).
_IDENTITY_LEAVES: dict[str, type] = {
    GraphQLString.name: str,
    GraphQLID.name: str,
    GraphQLBoolean.name: bool,
}


@dataclass(slots=True, eq=False)
class ObjectPlan:
    """The fields to produce for objects of one concrete type, in response order."""

    type_name: str
    fields: list[FieldPlan]
    graphql_type: GraphQLObjectType


@dataclass(slots=True, eq=False)
class FieldPlan:
    key: str  # the response key (alias or name)
    name: str
    nodes: list[FieldNode]  # for error locations, as graphql-core gives them
    impl: Implementation
    parent_type: str
    field_def: GraphQLField | None = None
    static_kwargs: dict[str, Any] | None = None  # converted once when no variable is used
    nullable: bool = True
    is_list: bool = False
    items_nullable: bool = True
    leaf: GraphQLLeafType | None = None
    identity_type: type | None = None
    # A strawberry enum's output names by member (its members live as long as their class,
    # so by id): strawberry serializes a member by a search through the enum's values, for
    # every value of every object.
    enum_class: type | None = None
    enum_names: dict[int, Any] = field(default_factory=dict)
    children: dict[str, ObjectPlan] = field(default_factory=dict)  # by concrete type name
    abstract: bool = False
    # Filled while running: the plan for each Python class met here.
    by_class: dict[type, ObjectPlan] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OperationPlan:
    root: ObjectPlan


class Unsupported(Exception):
    """Planning met something only the normal path handles."""


@dataclass(slots=True)
class _DocumentEntry:
    document: DocumentNode  # held so that its id() stays unique while cached
    directive_variables: tuple[str, ...] | None  # None: the document is unsupported
    plans: dict[tuple[Any, ...], OperationPlan | None] = field(default_factory=dict)


class Planner:
    """``planner.plan(document, operation, fragments, variables)``: a cached plan, or ``None``."""

    def __init__(self, schema: strawberry.Schema, *, cache_size: int = 256) -> None:
        self._schema = schema
        self._graphql = schema._schema
        self._size = cache_size
        self._documents: OrderedDict[int, _DocumentEntry] = OrderedDict()

    def plan(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDetails],
        variables: VariableValues,
    ) -> OperationPlan | None:
        entry = self._entry(document)
        if entry.directive_variables is None or operation.operation is not OperationType.QUERY:
            return None
        coerced = variables.coerced
        key = (id(operation), *(coerced.get(name) for name in entry.directive_variables))
        try:
            return entry.plans[key]
        except KeyError:
            pass
        try:
            plan: OperationPlan | None = _Build(
                self._schema, fragments, variables, operation
            ).build()
        except Unsupported:
            plan = None
        entry.plans[key] = plan
        return plan

    def _entry(self, document: DocumentNode) -> _DocumentEntry:
        entry = self._documents.get(id(document))
        if entry is not None and entry.document is document:
            self._documents.move_to_end(id(document))
            return entry
        entry = _DocumentEntry(document, _directive_variables(document))
        self._documents[id(document)] = entry
        while len(self._documents) > self._size:
            self._documents.popitem(last=False)
        return entry


class _Build:
    """One plan's construction (``Unsupported`` when a part can't be planned)."""

    def __init__(
        self,
        schema: strawberry.Schema,
        fragments: dict[str, FragmentDetails],
        variables: VariableValues,
        operation: OperationDefinitionNode,
    ) -> None:
        self.schema = schema
        self.graphql = schema._schema
        self.fragments = fragments
        self.variables = variables
        self.operation = operation

    def build(self) -> OperationPlan:
        root = self.graphql.query_type
        if root is None:
            raise Unsupported
        collected = collect_fields(
            self.graphql, self.fragments, self.variables, root, self.operation
        )
        if collected.new_defer_usages:
            raise Unsupported
        return OperationPlan(self._object(root, collected.grouped_field_set))

    def _object(
        self, type_: GraphQLObjectType, grouped: Mapping[str, Sequence[FieldDetails]]
    ) -> ObjectPlan:
        fields = [self._field(type_, key, details) for key, details in grouped.items()]
        return ObjectPlan(type_.name, fields, type_)

    def _field(
        self, parent: GraphQLObjectType, key: str, details: Sequence[FieldDetails]
    ) -> FieldPlan:
        if any(d.defer_usage is not None or d.fragment_variable_values for d in details):
            raise Unsupported
        nodes = [d.node for d in details]
        name = nodes[0].name.value
        if name == "__typename":
            return FieldPlan(key, name, nodes, TYPENAME, parent.name, nullable=False)
        field_def = parent.fields.get(name)
        impl = implementation(self.schema, field_def) if field_def is not None else None
        if field_def is None or impl is None or name.startswith("__"):
            raise Unsupported
        plan = FieldPlan(key, name, nodes, impl, parent.name, field_def)
        plan.static_kwargs = self._static_kwargs(impl, field_def, nodes[0])
        self._shape(plan, field_def.type)
        named = get_named_type(field_def.type)
        if is_leaf_type(named):
            plan.leaf = named
            plan.identity_type = _IDENTITY_LEAVES.get(named.name)
            if isinstance(named, GraphQLEnumType):
                plan.enum_class = getattr(named, "wrapped_cls", None)
            return plan
        concrete = [named] if is_object_type(named) else self.graphql.get_possible_types(named)
        plan.abstract = not is_object_type(named)
        for type_ in concrete:
            sub = collect_subfields(
                self.graphql, self.fragments, self.variables, self.operation, type_, list(details)
            )
            if sub.new_defer_usages:
                raise Unsupported
            plan.children[type_.name] = self._object(type_, sub.grouped_field_set)
        return plan

    @staticmethod
    def _shape(plan: FieldPlan, type_: GraphQLOutputType) -> None:
        if isinstance(type_, GraphQLNonNull):
            plan.nullable = False
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            plan.is_list = True
            item = type_.of_type
            if isinstance(item, GraphQLNonNull):
                plan.items_nullable = False
                item = item.of_type
            if isinstance(item, GraphQLList):
                raise Unsupported

    def _static_kwargs(
        self, impl: Implementation, field_def: GraphQLField, node: FieldNode
    ) -> dict[str, Any] | None:
        """Arguments converted once, when they depend on no variable and no input object
        (whose converted dataclasses a resolver could change)."""
        if impl.kind in (Kind.ATTRIBUTE, Kind.TYPENAME) or not impl.arguments:
            return {}
        if _uses_variables(node) or any(
            isinstance(get_named_type(a.type), GraphQLInputObjectType)
            for a in field_def.args.values()
        ):
            return None
        try:
            raw = get_argument_values(field_def, node, _NO_VARIABLES)
            return convert_arguments(
                raw,
                list(impl.arguments),
                scalar_registry=self.schema.schema_converter.scalar_registry,
                config=self.schema.config,
            )
        except Exception:
            return None  # converted per request, where a failure becomes the normal path's


def _uses_variables(node: FieldNode) -> bool:
    found: list[VariableNode] = []

    class _Find(Visitor):
        def enter_variable(self, variable: VariableNode, *_: Any) -> None:
            found.append(variable)

    for argument in node.arguments or ():
        visit(argument, _Find())
    return bool(found)


def _directive_variables(document: DocumentNode) -> tuple[str, ...] | None:
    """Variables read by ``@skip``/``@include``; ``None`` when another directive or a
    fragment variable appears (the normal path handles those)."""
    names: list[str] = []
    unsupported: list[str] = []

    class _Scan(Visitor):
        def enter_directive(self, directive: DirectiveNode, *_: Any) -> None:
            if directive.name.value not in ("skip", "include"):
                unsupported.append(directive.name.value)
                return
            for argument in directive.arguments or ():
                value = argument.value
                if isinstance(value, VariableNode):
                    names.append(value.name.value)
                elif not isinstance(value, BooleanValueNode):
                    unsupported.append(directive.name.value)

        def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
            if node.variable_definitions:
                unsupported.append(node.name.value)

    visit(document, _Scan())
    return None if unsupported else tuple(dict.fromkeys(names))
