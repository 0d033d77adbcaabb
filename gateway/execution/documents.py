"""Parsed and validated documents, kept per query text so a repeated operation skips both.

``DocumentCache.extension`` is a schema extension placed first in the schema's list:

| step | first time a text is seen | later |
| --- | --- | --- |
| parse | the other extensions parse (the limits extension, with its token cap) | the cached document |
| validate | every rule | only the rules beyond graphql-core's specified ones (the operation limits: they read variables and the operation name) |

Only successes are kept: a text that fails to parse, or a document with validation errors, is
handled in full every time, so its errors are exactly the normal path's. The same document
object comes back for the same text, which is what keys the fast path's plans.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    specified_rules,
)
from strawberry.extensions import SchemaExtension

from gateway.execution.engine import fast_execution_enabled
from gateway.security.validation_cache import run_rules

__all__ = ["DocumentCache"]

_SPECIFIED = frozenset(specified_rules)


@dataclass(slots=True)
class _Entry:
    document: DocumentNode
    valid: bool = False  # every rule but the per-request ones passed once


class DocumentCache:
    """``DocumentCache(graphql_schema)``; ``extension()`` builds the per-request extension."""

    def __init__(self, schema: GraphQLSchema, *, size: int = 1024) -> None:
        self.schema = schema
        self.size = size
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def get(self, query: str) -> _Entry | None:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
        return entry

    def put(self, query: str, document: DocumentNode) -> _Entry:
        entry = self._entries[query] = _Entry(document)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return entry

    def extension(self) -> SchemaExtension:
        return _CachedDocuments(self)


class _CachedDocuments(SchemaExtension):
    def __init__(self, cache: DocumentCache) -> None:
        self.cache = cache
        self.entry: _Entry | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if not query or not fast_execution_enabled(context.context):
            yield
            return
        if context.graphql_document is None:
            self.entry = self.cache.get(query)
            if self.entry is not None:
                context.graphql_document = self.entry.document
        yield
        if self.entry is None and context.graphql_document is not None:
            self.entry = self.cache.put(query, context.graphql_document)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = self.entry
        if entry is None or entry.document is not context.graphql_document:
            yield
            return
        if entry.valid:
            context.pre_execution_errors = self._per_request_errors(context)
            yield
            return
        yield
        if context.pre_execution_errors == []:
            entry.valid = True

    def _per_request_errors(self, context: Any) -> list[GraphQLError]:
        # The limits rule is added per request (it reads variables); strawberry's own two
        # rules and graphql-core's specified ones depend on the document alone.
        rules = [r for r in context.validation_rules if r not in _SPECIFIED]
        return run_rules(self.cache.schema, context.graphql_document, rules)
