"""Checks on a query document that the endpoint adds to the schema's own validation.

| check | why |
| --- | --- |
| several operations and no ``operationName`` | a request error by the GraphQL spec; strawberry would run the first one |
| ``__schema`` / ``__type`` with introspection off | graphql-core's ``NoSchemaIntrospectionCustomRule``; ``__typename`` stays allowed |

Each distinct query text is parsed once: the verdict (not the document) is kept in an LRU
cache, so a client repeating its operations pays one dictionary lookup. The parse is the
schema's own (``gateway.security.parsing``, within the lexical limits ``parse_limits``, kept
per text), so a hostile text is refused by a cheap scan before graphql-core lexes it, and a
text is parsed once for both. Texts that do not parse, or break a limit, are left to the
schema, which reports why itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, validate
from graphql.validation import NoSchemaIntrospectionCustomRule

from gateway.security.parsing import ParseLimits, parse_cached

__all__ = ["DocumentChecks"]

# "__type" must not match "__typename": a name ends where a word character stops.
_INTROSPECTION_NAME = re.compile(r"__(?:schema|type)\b")


@dataclass(frozen=True, slots=True)
class _Verdict:
    operations: int
    introspection: tuple[GraphQLError, ...]


class DocumentChecks:
    """``checks.errors(query, operation_name)`` lists the request errors (empty: go on)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        introspection: bool,
        cache_size: int = 1024,
        parse_limits: ParseLimits | None = None,
    ) -> None:
        self._schema = schema
        self._introspection = introspection
        self.parse_limits = (parse_limits or ParseLimits()).for_schema(schema)
        self._verdict = lru_cache(maxsize=cache_size)(self._inspect)

    def errors(self, query: str, operation_name: str | None) -> list[GraphQLError]:
        refuse_introspection = not self._introspection and _INTROSPECTION_NAME.search(query)
        if operation_name is not None and not refuse_introspection:
            return []
        verdict = self._verdict(query)
        if verdict is None:
            return []
        if refuse_introspection and verdict.introspection:
            # Fresh errors per request: later steps (error extensions, masking) mutate them.
            return [
                GraphQLError(e.message, e.nodes, extensions={"code": "INTROSPECTION_DISABLED"})
                for e in verdict.introspection
            ]
        if operation_name is None and verdict.operations > 1:
            return [
                GraphQLError("Must provide operation name if query contains multiple operations.")
            ]
        return []

    def _inspect(self, query: str) -> _Verdict | None:
        try:
            document = parse_cached(query, self.parse_limits)
        except GraphQLError:
            return None
        operations = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
        introspection: tuple[GraphQLError, ...] = ()
        if not self._introspection and _INTROSPECTION_NAME.search(query):
            introspection = tuple(
                validate(self._schema, document, [NoSchemaIntrospectionCustomRule])
            )
        return _Verdict(operations, introspection)
