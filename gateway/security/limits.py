"""Operation limits, checked before execution, and field suggestions hidden in production.

``limit_extensions(settings)`` returns the strawberry extensions to add to the schema:

| limit | setting (default) | counted | ``extensions.code`` |
| --- | --- | --- | --- |
| length | ``max_tokens`` * 20 (20,000) | characters of the document, refused before lexing | ``MAX_DOCUMENT_SIZE_LIMIT`` |
| tokens | ``max_tokens`` (1000) | lexical tokens of the document, refused while lexing | ``MAX_TOKENS_LIMIT`` |
| repeated fields | ``max_repeated_fields`` (20) | selections of one response path in one selection set, refused while lexing (see ``lexical``) | ``MAX_REPEATED_FIELDS`` |
| depth | ``max_query_depth`` (15) | deepest field nesting, fragments inlined, introspection (``__schema``...) included | ``MAX_DEPTH_LIMIT`` |
| aliases | ``max_aliases`` (30) | aliased fields, a fragment's counted once per spread | ``MAX_ALIASES_LIMIT`` |
| root fields | ``max_root_fields`` (20) | fields of the operation's top selection, through fragments | ``MAX_ROOT_FIELDS_LIMIT`` |
| ids per argument | ``max_ids_per_argument`` (1000) | items in one list-of-scalars argument (``tids: [...]``), literal or variable, of a query or subscription field (a mutation's list is a write job's items: ``write_max_items``); the error names the argument | ``BAD_USER_INPUT`` |
| cost | ``max_query_cost`` (5000) | estimated upstream calls, list arguments and ``first:`` sizes included, see ``CostModel`` | ``MAX_COST_LIMIT`` |

Variables that do not coerce are ``BAD_USER_INPUT`` too (``variables``). Nothing here calls an
upstream: every refusal comes before execution.

The lexical limits are checked by one regex scan of the text before graphql-core builds the
AST, so a refusal costs the text up to the offending token; each text's parse (document or
refusal) is kept per process (``parsing``, shared with the endpoint's document checks). The
document-only validation errors of each (schema, text, operationName) are kept in an LRU
(``validation_cache``): a repeated document is parsed and validated once, while the limits,
which may read the variables, are checked on every request, except for a (text, operationName)
found within them once without reading any variable (``LimitPasses``): its verdict holds for
any variables.

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
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, cast

from graphql import (
    ArgumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInputType,
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
    is_leaf_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.extensions import SchemaExtension

from gateway.security.parsing import ParseLimits, parse_cached
from gateway.security.validation_cache import ValidationCache
from gateway.security.variables import VariableErrors
from gateway.settings import Settings

__all__ = [
    "CODES",
    "CostModel",
    "ExtensionFactory",
    "HideFieldSuggestions",
    "LimitPasses",
    "OperationLimits",
    "OperationLimitsExtension",
    "limit_extensions",
    "limits_rule",
    "strip_suggestions",
    "validation_cache_of",
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

    ``cost(field) = own * batches + pages + size * cost(its selections)``, summed over the
    operation, where

    * ``own`` is ``field_costs["Type.field"]`` if listed, else ``object_cost`` for a field
      returning an object, interface or union and ``leaf_cost`` for a scalar or enum;
      introspection fields and ``__typename`` cost 0 (answered in process);
    * ``size`` is the field's ``first`` or ``last`` argument if it has one (a list or a
      Relay connection); else 1 for a field that does not return a list, and for the
      ``edges``/``nodes`` of a ``...Connection`` (already sized by ``first``); else the
      length of the longest list argument (``tids: [...]``); else ``default_list_size``.
      Capped at ``max_list_size`` if set (by default lists are not capped: 20,000 tids are
      20,000 items). Variables are read from the request; a value not given counts as
      ``default_list_size``;
    * ``batches`` is ``ceil(size / batch_size)`` for a field sized by a list argument: its
      items are fetched ``batch_size`` keys per upstream call (the PIM's ``pim_batch_size``
      when ``batch_size`` is ``None``), so 20,000 tids are 200 calls; else 1;
    * ``pages`` is ``ceil(size / batch_size) * page_load_cost`` for a field sized by
      ``first``/``last``: the page's items are loaded in batches after the query that
      finds them; else 0.

    | query | cost with the defaults |
    | --- | --- |
    | ``{ product(tid: "a") { name } }`` | 1 |
    | ``{ products(tids: ["a", "b", "c"]) { name } }`` | 1 |
    | ``{ products(tids: [20,000 tids]) { name } }`` | 1 * 200 = 200 |
    | ``{ products(tids: ["a","b","c"]) { variants { name } } }`` | 1 + 3 * 1 = 4 |
    | ``{ searchProducts(first: 50) { edges { node { variants { name } } } } }`` | 1 + 1 + 50 * 3 = 152 |

    The schema engineer tunes ``field_costs`` (e.g. ``{"Product.catalogProduct": 2}``).
    """

    field_costs: Mapping[str, int] = field(default_factory=dict)
    object_cost: int = 1
    leaf_cost: int = 0
    default_list_size: int = 10
    max_list_size: int | None = None
    batch_size: int | None = None
    page_load_cost: int = 1


@dataclass(frozen=True, slots=True)
class OperationLimits:
    """The limits one validation pass enforces; ``None`` turns a limit off."""

    max_depth: int | None = 15
    max_aliases: int | None = 30
    max_root_fields: int | None = 20
    max_cost: int | None = 5000
    max_ids_per_argument: int | None = 1000
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
            max_ids_per_argument=settings.max_ids_per_argument,
            cost_model=_with_batch_size(cost_model or CostModel(), settings.pim_batch_size),
        )


def _with_batch_size(model: CostModel, batch_size: int) -> CostModel:
    return model if model.batch_size is not None else replace(model, batch_size=batch_size)


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
        max_ids: int | None = None,
    ) -> None:
        self._schema = schema
        self._max_ids = max_ids
        self.too_many_ids: list[GraphQLError] = []
        self._fragments = fragments
        self._model = model
        self._variables = variables
        self._cutoff = depth_cutoff
        self._memo: dict[str, _Measure] = {}
        # Whether a measure read a variable: if none did, the verdict is the text's alone.
        self.read_variables = False

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
        if parent is not self._schema.mutation_type:
            # A bulk write's list (deleteCommerceProducts(ids:)) is a write job's items, capped
            # by write_max_items and paced by the job, not fanned out by this request.
            self._count_ids(node, definition)
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
            batches, pages = self._batches(node)
            measure.cost += self._own_cost(parent, name, definition.type) * batches + pages
        return measure

    def _count_ids(self, node: FieldNode, definition: GraphQLField) -> None:
        """More items in one list argument than ``max_ids`` is the caller's error."""
        if self._max_ids is None:
            return
        for argument in node.arguments or ():
            declared = definition.args.get(argument.name.value)
            if declared is None or not _is_scalar_list(declared.type):
                continue
            length = self._length_of(argument.value)
            if length is not None and length > self._max_ids:
                self.too_many_ids.append(_too_many_ids(argument, length, self._max_ids))

    def _batches(self, node: FieldNode) -> tuple[int, int]:
        """``(batches, pages)`` of the cost formula: calls that grow with the keys asked for."""
        arguments = {arg.name.value: arg.value for arg in node.arguments or ()}
        batch = self._model.batch_size or 100
        page = next((arguments[n] for n in ("first", "last") if n in arguments), None)
        if page is not None:
            size = self._clamp(self._int_of(page))
            return 1, -(-size // batch) * self._model.page_load_cost
        lengths = [n for n in map(self._length_of, arguments.values()) if n is not None]
        if not lengths:
            return 1, 0
        return max(1, -(-self._clamp(max(lengths)) // batch)), 0

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
        cap = self._model.max_list_size
        return max(0, chosen if cap is None else min(chosen, cap))

    def _int_of(self, value: ValueNode) -> int | None:
        if isinstance(value, IntValueNode):
            return int(value.value)
        bound = self._bound(value)
        return bound if isinstance(bound, int) and not isinstance(bound, bool) else None

    def _length_of(self, value: ValueNode) -> int | None:
        if isinstance(value, ListValueNode):
            return len(value.values)
        bound = self._bound(value)
        return len(bound) if isinstance(bound, list | tuple) else None

    def _bound(self, value: ValueNode) -> object:
        if not isinstance(value, VariableNode):
            return None
        self.read_variables = True
        return self._variables.get(value.name.value)


def _is_scalar_list(type_: GraphQLInputType) -> bool:
    bare = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    return isinstance(bare, GraphQLList) and is_leaf_type(get_named_type(bare))


def _too_many_ids(argument: ArgumentNode, length: int, limit: int) -> GraphQLError:
    name = argument.name.value
    return GraphQLError(
        f"Argument '{name}' holds {length} items; at most {limit} are allowed in one argument.",
        nodes=[argument],
        extensions={"code": "BAD_USER_INPUT", "argument": name, "limit": limit},
    )


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
    passed: Callable[[], None] | None = None,
) -> type[ValidationRule]:
    """A graphql-core validation rule enforcing ``limits`` (variables sharpen the cost).

    ``passed`` is called when the document is within every limit without a variable's value
    having been read: then any request with the same text and operation name is too.
    """

    class OperationLimitsRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            errors, read_variables = _check_document(
                context, limits, variables or {}, operation_name
            )
            for error in errors:
                context.report_error(error)
            if passed is not None and not errors and not read_variables:
                passed()

    return OperationLimitsRule


def _check_document(
    context: ValidationContext,
    limits: OperationLimits,
    variables: Mapping[str, Any],
    operation_name: str | None,
) -> tuple[list[GraphQLError], bool]:
    """The errors, and whether any measure read a variable's value."""
    definitions = context.document.definitions
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [op for op in operations if op.name and op.name.value == operation_name]
    cutoff = (limits.max_depth or 10_000) + 1
    walker = _Walker(
        context.schema,
        fragments,
        limits.cost_model,
        variables,
        cutoff,
        limits.max_ids_per_argument,
    )
    errors: list[GraphQLError] = []
    for operation in chosen or operations:
        root = context.schema.get_root_type(operation.operation)
        try:
            measure = walker.selection_set(operation.selection_set, root, 1)
        except RecursionError:
            measure = _Measure(depth=cutoff)
        errors.extend(_violations(measure, limits, operation))
    return [*walker.too_many_ids, *errors], walker.read_variables


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


# A document's validation stops after this many errors ("Validation aborted."): each costs its
# locations, and a client fixes the first ones first.
MAX_VALIDATION_ERRORS = 20


# --- strawberry extensions ------------------------------------------------------------------


_PassKey = tuple[GraphQLSchema, str, str | None]


class LimitPasses:
    """The (schema, text, operationName) found within the limits without reading a variable
    (so with any variables): their later requests skip the measure. At most ``size`` are kept,
    the oldest dropped first; texts over ``max_text`` characters are not kept."""

    def __init__(self, *, size: int = 1024, max_text: int = 100_000) -> None:
        self.size = size
        self.max_text = max_text
        self._keys: dict[_PassKey, None] = {}
        self._lock = threading.Lock()  # execute_sync may run in worker threads

    def __contains__(self, key: _PassKey) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: _PassKey) -> None:
        if len(key[1]) > self.max_text:
            return
        with self._lock:
            self._keys[key] = None
            while len(self._keys) > self.size:
                del self._keys[next(iter(self._keys))]


class OperationLimitsExtension(SchemaExtension):
    """Refuses over-limit operations: tokens, nesting and repeated fields while lexing, the
    rest while validating; keeps each text's document-only validation errors."""

    def __init__(
        self,
        limits: OperationLimits,
        *,
        max_tokens: int | None = 1000,
        max_repeated_fields: int | None = 20,
        validations: ValidationCache | None = None,
        passes: LimitPasses | None = None,
    ) -> None:
        self.limits = limits
        self.max_tokens = max_tokens
        self.max_repeated_fields = max_repeated_fields
        self.validations = validations
        self.passes = passes
        self.parse_limits = ParseLimits(max_tokens, limits.max_depth, max_repeated_fields)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if context.graphql_document is None and query:
            # The schema's field names too: the endpoint parses with the same limits, so a
            # text is parsed once for both.
            limits = self.parse_limits.for_schema(context.schema._schema)
            context.graphql_document = parse_cached(query, limits)
        yield

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        operation_name = context.operation_name
        passes, passed = self.passes, None
        if passes is not None and context.query:
            key: _PassKey = (context.schema._schema, context.query, operation_name)
            if key in passes:
                # Within the limits before, without reading a variable: nothing to measure.
                yield
                return
            passed = partial(passes.add, key)
        rule = limits_rule(
            self.limits, variables=context.variables, operation_name=operation_name, passed=passed
        )
        context.validation_rules = (*context.validation_rules, rule)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, query = context.graphql_document, context.query
        if (
            self.validations is not None
            and context.pre_execution_errors is None  # else already validated (cached document)
            and document is not None
            and query
        ):
            context.pre_execution_errors = self.validations.validate(
                context.schema._schema,
                document,
                query,
                context.operation_name,
                context.validation_rules,
            )
        yield


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


def validation_cache_of(extensions: Iterable[object]) -> ValidationCache | None:
    """The ``ValidationCache`` a schema's limits extension keeps (from ``limit_extensions``)."""
    for factory in extensions:
        if isinstance(factory, partial) and factory.func is OperationLimitsExtension:
            found = factory.keywords.get("validations")
            return found if isinstance(found, ValidationCache) else None
    return None


def limit_extensions(
    settings: Settings, *, cost_model: CostModel | None = None
) -> list[ExtensionFactory]:
    """Extension factories for ``strawberry.Schema(..., extensions=[*limit_extensions(s)])``.

    Factories, not instances: strawberry builds a fresh extension per request from each.
    ``cost_model`` carries the schema's per-field costs; the limits come from ``settings``.
    """
    limits = OperationLimits.from_settings(settings, cost_model=cost_model)
    extensions: list[ExtensionFactory] = [
        partial(
            OperationLimitsExtension,
            limits,
            max_tokens=settings.max_tokens,
            max_repeated_fields=settings.max_repeated_fields,
            # One per schema built with these factories.
            validations=ValidationCache(
                hide_suggestions=not settings.development_mode,
                max_errors=MAX_VALIDATION_ERRORS,
            ),
            passes=LimitPasses(),
        ),
        VariableErrors,
    ]
    if not settings.development_mode:
        extensions.append(HideFieldSuggestions)
    return extensions
