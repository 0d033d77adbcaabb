"""Operation limits, checked before execution, and field suggestions hidden in production.

``limit_extensions(settings)`` returns the strawberry extensions to add to the schema:

| limit | setting (default) | counted | ``extensions.code`` |
| --- | --- | --- | --- |
| tokens | ``max_tokens`` (5000) | lexical tokens of the document, refused while parsing | ``MAX_TOKENS_LIMIT`` |
| depth | ``max_query_depth`` (15) | deepest field nesting, fragments inlined, introspection (``__schema``...) included | ``MAX_DEPTH_LIMIT`` |
| aliases | ``max_aliases`` (30) | aliased fields, a fragment's counted once per spread | ``MAX_ALIASES_LIMIT`` |
| root fields | ``max_root_fields`` (20) | fields of the operation's top selection, through fragments | ``MAX_ROOT_FIELDS_LIMIT`` |
| cost | ``max_query_cost`` (5000) | estimated upstream work, see ``CostModel`` | ``MAX_COST_LIMIT`` |

Why not strawberry's ``QueryDepthLimiter`` / ``MaxAliasesLimiter`` / ``MaxTokensLimiter``: the
depth limiter skips introspection fields (so ``__schema { types { fields { type { ofType ...``
is never limited) and fails on an unknown fragment; the alias limiter walks a fragment again
at every spread, so nested spreads cost exponential time; none sets ``extensions.code``.
Here one validation rule measures everything in one walk, each fragment measured once.

Only the operation being executed is measured (``operationName``, else every operation), so
GraphiQL documents holding several operations still work. A document that cannot be walked
(nesting beyond Python's recursion) is refused as too deep.

Outside development, ``HideFieldSuggestions`` strips "Did you mean ...?" from errors, as
GraphQL Armor's ``blockFieldSuggestions`` does, so the schema cannot be mapped by typos.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    ValueNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    parse,
)
from graphql.language import Lexer, Source, TokenKind
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.extensions import SchemaExtension

from gateway.settings import Settings

__all__ = [
    "CODES",
    "CostModel",
    "ExtensionFactory",
    "HideFieldSuggestions",
    "OperationLimits",
    "OperationLimitsExtension",
    "limit_extensions",
    "limits_rule",
    "strip_suggestions",
]

ExtensionFactory = Callable[[], SchemaExtension]

CODES = {
    "tokens": "MAX_TOKENS_LIMIT",
    "depth": "MAX_DEPTH_LIMIT",
    "aliases": "MAX_ALIASES_LIMIT",
    "root_fields": "MAX_ROOT_FIELDS_LIMIT",
    "cost": "MAX_COST_LIMIT",
}


@dataclass(frozen=True, slots=True)
class CostModel:
    """Estimated upstream calls of an operation: a cost per field, lists multiply.

    ``cost(field) = own + size * cost(its selections)``, summed over the operation, where

    * ``own`` is ``field_costs["Type.field"]`` if listed, else ``object_cost`` for a field
      returning an object, interface or union and ``leaf_cost`` for a scalar or enum;
      introspection fields and ``__typename`` cost 0 (answered in process);
    * ``size`` is the field's ``first`` or ``last`` argument if it has one (a list or a
      Relay connection); else 1 for a field that does not return a list, and for the
      ``edges``/``nodes`` of a ``...Connection`` (already sized by ``first``); else the
      length of the longest list argument (``tids: [...]``); else ``default_list_size``.
      Capped at ``max_list_size``. Variables are read from the request; a value not given
      counts as ``default_list_size``.

    | query | cost with the defaults |
    | --- | --- |
    | ``{ product(tid: "a") { name } }`` | 1 |
    | ``{ products(tids: ["a", "b", "c"]) { name } }`` | 1 |
    | ``{ products(tids: ["a","b","c"]) { variants { name } } }`` | 1 + 3 * 1 = 4 |
    | ``{ searchProducts(first: 50) { edges { node { variants { name } } } } }`` | 1 + 50 * 3 = 151 |

    The schema engineer tunes ``field_costs`` (e.g. ``{"Product.catalogProduct": 2}``).
    """

    field_costs: Mapping[str, int] = field(default_factory=dict)
    object_cost: int = 1
    leaf_cost: int = 0
    default_list_size: int = 10
    max_list_size: int = 100


@dataclass(frozen=True, slots=True)
class OperationLimits:
    """The limits one validation pass enforces; ``None`` turns a limit off."""

    max_depth: int | None = 15
    max_aliases: int | None = 30
    max_root_fields: int | None = 20
    max_cost: int | None = 5000
    cost_model: CostModel = field(default_factory=CostModel)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, cost_model: CostModel | None = None
    ) -> OperationLimits:
        return cls(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_root_fields=settings.max_root_fields,
            max_cost=settings.max_query_cost,
            cost_model=cost_model or CostModel(),
        )


# --- measuring ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Measure:
    depth: int = 0
    aliases: int = 0
    fields: int = 0  # fields of this selection set itself, through fragments
    cost: int = 0


class _Walker:
    """Measures selection sets, each fragment once (memoized), stopping at a cycle."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        model: CostModel,
        variables: Mapping[str, Any],
        depth_cutoff: int,
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._model = model
        self._variables = variables
        self._cutoff = depth_cutoff
        self._memo: dict[str, _Measure] = {}

    def selection_set(
        self, node: SelectionSetNode, parent: GraphQLNamedType | None, depth: int
    ) -> _Measure:
        total = _Measure()
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                part = self._field(selection, parent, depth)
                part.fields = 1
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self._schema.get_type(condition.name.value) if condition else parent
                part = self.selection_set(selection.selection_set, inner, depth)
            elif isinstance(selection, FragmentSpreadNode):
                part = self._spread(selection.name.value, depth)
            else:  # pragma: no cover - graphql-core has no other selection kind
                continue
            total.depth = max(total.depth, part.depth)
            total.aliases += part.aliases
            total.fields += part.fields
            total.cost += part.cost
        return total

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None, depth: int) -> _Measure:
        name = node.name.value
        definition = _field_definition(parent, name)
        measure = _Measure(depth=1, aliases=1 if node.alias else 0)
        if definition is None:
            return measure  # unknown field: the standard rules report it
        if node.selection_set is not None and depth < self._cutoff:
            inner = self.selection_set(
                node.selection_set, get_named_type(definition.type), depth + 1
            )
            measure.depth += inner.depth
            measure.aliases += inner.aliases
            # Introspection is answered in process: it costs no upstream call.
            measure.cost = (
                0
                if name in _META_FIELDS
                else self._size(node, definition.type, parent) * inner.cost
            )
        elif node.selection_set is not None:
            measure.depth += 1  # already past the limit; no need to look deeper
        if not name.startswith("__"):
            measure.cost += self._own_cost(parent, name, definition.type)
        return measure

    def _spread(self, name: str, depth: int) -> _Measure:
        # Depth is relative, so one measure of a fragment serves every spread of it.
        if name in self._memo:
            return self._memo[name]
        fragment = self._fragments.get(name)
        self._memo[name] = _Measure()  # a cycle (refused by NoFragmentCycles) counts as empty
        if fragment is None:
            return self._memo[name]
        condition = self._schema.get_type(fragment.type_condition.name.value)
        measured = self.selection_set(fragment.selection_set, condition, depth)
        self._memo[name] = measured
        return measured

    def _own_cost(
        self, parent: GraphQLNamedType | None, name: str, type_: GraphQLOutputType
    ) -> int:
        owner = parent.name if parent is not None else "?"
        listed = self._model.field_costs.get(f"{owner}.{name}")
        if listed is not None:
            return listed
        return (
            self._model.object_cost
            if is_composite_type(get_named_type(type_))
            else self._model.leaf_cost
        )

    def _size(
        self, node: FieldNode, type_: GraphQLOutputType, parent: GraphQLNamedType | None
    ) -> int:
        arguments = {arg.name.value: arg.value for arg in node.arguments or ()}
        page = next((arguments[n] for n in ("first", "last") if n in arguments), None)
        if page is not None:
            return self._clamp(self._int_of(page))
        bare = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if not isinstance(bare, GraphQLList) or _is_connection_list(parent, node.name.value):
            return 1
        lengths = (self._length_of(value) for value in arguments.values())
        return self._clamp(max((n for n in lengths if n is not None), default=None))

    def _clamp(self, size: int | None) -> int:
        chosen = self._model.default_list_size if size is None else size
        return max(0, min(chosen, self._model.max_list_size))

    def _int_of(self, value: ValueNode) -> int | None:
        if isinstance(value, IntValueNode):
            return int(value.value)
        bound = self._bound(value)
        return bound if isinstance(bound, int) and not isinstance(bound, bool) else None

    def _length_of(self, value: ValueNode) -> int | None:
        if isinstance(value, ListValueNode):
            return len(value.values)
        bound = self._bound(value)
        return len(bound) if isinstance(bound, list) else None

    def _bound(self, value: ValueNode) -> object:
        return self._variables.get(value.name.value) if isinstance(value, VariableNode) else None


def _is_connection_list(parent: GraphQLNamedType | None, name: str) -> bool:
    return parent is not None and parent.name.endswith("Connection") and name in ("edges", "nodes")


_META_FIELDS: dict[str, GraphQLField] = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}


def _field_definition(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if name in _META_FIELDS:
        return _META_FIELDS[name]
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return cast("GraphQLField | None", parent.fields.get(name))
    return None  # __typename, a union's fields (none) or an unknown type


# --- the validation rule --------------------------------------------------------------------


def limits_rule(
    limits: OperationLimits,
    *,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> type[ValidationRule]:
    """A graphql-core validation rule enforcing ``limits`` (variables sharpen the cost)."""

    class OperationLimitsRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            for error in _check_document(context, limits, variables or {}, operation_name):
                context.report_error(error)

    return OperationLimitsRule


def _check_document(
    context: ValidationContext,
    limits: OperationLimits,
    variables: Mapping[str, Any],
    operation_name: str | None,
) -> list[GraphQLError]:
    definitions = context.document.definitions
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [op for op in operations if op.name and op.name.value == operation_name]
    cutoff = (limits.max_depth or 10_000) + 1
    walker = _Walker(context.schema, fragments, limits.cost_model, variables, cutoff)
    errors: list[GraphQLError] = []
    for operation in chosen or operations:
        root = context.schema.get_root_type(operation.operation)
        try:
            measure = walker.selection_set(operation.selection_set, root, 1)
        except RecursionError:
            measure = _Measure(depth=cutoff)
        errors.extend(_violations(measure, limits, operation))
    return errors


def _violations(
    measure: _Measure, limits: OperationLimits, node: OperationDefinitionNode
) -> Iterator[GraphQLError]:
    checks = (
        ("depth", measure.depth, limits.max_depth, "is nested deeper than the limit of"),
        ("aliases", measure.aliases, limits.max_aliases, "uses more aliases than the limit of"),
        (
            "root_fields",
            measure.fields,
            limits.max_root_fields,
            "has more root fields than the limit of",
        ),
        ("cost", measure.cost, limits.max_cost, "is estimated to cost more than the limit of"),
    )
    name = f"'{node.name.value}'" if node.name else "the operation"
    for kind, found, limit, phrase in checks:
        if limit is not None and found > limit:
            yield GraphQLError(
                f"{name[0].upper()}{name[1:]} {phrase} {limit}.",
                nodes=[node],
                extensions={"code": CODES[kind], "limit": limit},
            )


# --- strawberry extensions ------------------------------------------------------------------


class OperationLimitsExtension(SchemaExtension):
    """Refuses over-limit operations: tokens while parsing, the rest while validating."""

    def __init__(self, limits: OperationLimits, *, max_tokens: int | None = 5000) -> None:
        self.limits = limits
        self.max_tokens = max_tokens

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            context.graphql_document = _parse_within_limits(
                context.query, self.max_tokens, self.limits.max_depth
            )
        yield

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        rule = limits_rule(
            self.limits, variables=context.variables, operation_name=context.operation_name
        )
        context.validation_rules = (*context.validation_rules, rule)
        yield


def _parse_within_limits(query: str, max_tokens: int | None, max_depth: int | None) -> Any:
    """Parse with graphql-core's own token cap; explain a refusal with a coded error.

    Only a failed parse pays for the second, lexical look that tells why it failed.
    """
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLError:
        coded = _lexical_violation(query, max_tokens, max_depth)
        if coded is not None:
            raise coded from None
        raise
    except RecursionError:  # older graphql-core has no nesting guard of its own
        raise _too_deep(max_depth) from None


def _lexical_violation(
    query: str, max_tokens: int | None, max_depth: int | None
) -> GraphQLError | None:
    lexer = Lexer(Source(query))
    tokens = nesting = 0
    opening = {TokenKind.BRACE_L, TokenKind.PAREN_L, TokenKind.BRACKET_L}
    closing = {TokenKind.BRACE_R, TokenKind.PAREN_R, TokenKind.BRACKET_R}
    try:
        while (kind := lexer.advance().kind) is not TokenKind.EOF:
            tokens += 1
            nesting += 1 if kind in opening else -1 if kind in closing else 0
            if max_tokens is not None and tokens > max_tokens:
                return GraphQLError(
                    f"The document has more than {max_tokens} tokens.",
                    extensions={"code": CODES["tokens"], "limit": max_tokens},
                )
            if max_depth is not None and nesting > max_depth:
                return _too_deep(max_depth)
    except GraphQLError:
        return None
    return None


def _too_deep(max_depth: int | None) -> GraphQLError:
    return GraphQLError(
        f"The operation is nested deeper than the limit of {max_depth}.",
        extensions={"code": CODES["depth"], "limit": max_depth},
    )


_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def strip_suggestions(message: str) -> str:
    """``"Cannot query field 'nam' on type 'Query'. Did you mean 'name'?"`` loses its last
    sentence; other messages are unchanged."""
    return _SUGGESTION.sub("", message)


class HideFieldSuggestions(SchemaExtension):
    """Removes "Did you mean ...?" from validation and execution errors."""

    def on_validate(self) -> Iterator[None]:
        yield
        _strip_all(self.execution_context.pre_execution_errors)

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        _strip_all(result.errors if result is not None else None)


def _strip_all(errors: list[GraphQLError] | None) -> None:
    # In place: strawberry has already put these very objects into the response it returns.
    for error in errors or ():
        error.message = strip_suggestions(error.message)


def limit_extensions(
    settings: Settings, *, cost_model: CostModel | None = None
) -> list[ExtensionFactory]:
    """Extension factories for ``strawberry.Schema(..., extensions=[*limit_extensions(s)])``.

    Factories, not instances: strawberry builds a fresh extension per request from each.
    ``cost_model`` carries the schema's per-field costs; the limits come from ``settings``.
    """
    limits = OperationLimits.from_settings(settings, cost_model=cost_model)
    extensions: list[ExtensionFactory] = [
        partial(OperationLimitsExtension, limits, max_tokens=settings.max_tokens)
    ]
    if not settings.development_mode:
        extensions.append(HideFieldSuggestions)
    return extensions
