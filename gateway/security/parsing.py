"""Documents parsed within the lexical limits, each text once per process.

``parse_cached(query, limits)`` returns the ``DocumentNode`` or raises the coded refusal
(``MAX_DOCUMENT_SIZE_LIMIT``, ``MAX_TOKENS_LIMIT``, ``MAX_REPEATED_FIELDS``, ``MAX_DEPTH_LIMIT``,
or graphql-core's syntax error). The regex scan (``lexical``) runs first, so graphql-core's
character-at-a-time lexer only ever sees a text within every limit.

Both callers of a request share it: the endpoint's document checks (several operations,
introspection) and the schema's limits extension, so a text is parsed once however many look
at it, and a text seen before costs a dictionary lookup. The LRU is keyed by (limits, text);
texts over ``MAX_KEPT_CHARS`` are not kept. Refusals are handed out as fresh copies: later
steps add codes and strip suggestions in place.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import lru_cache

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    parse,
)

from gateway.security.lexical import scan_document

__all__ = [
    "DOCUMENT_CHARS_PER_TOKEN",
    "ParseLimits",
    "copy_error",
    "field_vocabulary",
    "is_parsed",
    "parse_cached",
    "parse_within_limits",
]

# A document may be this many characters per token of ``max_tokens`` long (20,000 with the
# default 1,000): room for long names, strings and indentation, while graphql-core's
# character-at-a-time lexer stays near 5 ms on the longest text.
DOCUMENT_CHARS_PER_TOKEN = 20
MAX_KEPT_CHARS = 100_000
_SIZE = 512


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """The lexical limits (``None``: off); the defaults are the settings' defaults.

    ``known_fields`` (``field_vocabulary(schema)``) lets the scan refuse a long document that
    selects a field no type has, before it is parsed; ``None`` leaves that to validation.
    """

    max_tokens: int | None = 1000
    max_depth: int | None = 15
    max_repeated: int | None = 20
    known_fields: frozenset[str] | None = None

    def for_schema(self, schema: GraphQLSchema) -> ParseLimits:
        """These limits, knowing ``schema``'s field names."""
        return replace(self, known_fields=field_vocabulary(schema))

    @property
    def max_chars(self) -> int | None:
        return None if self.max_tokens is None else self.max_tokens * DOCUMENT_CHARS_PER_TOKEN


_META_FIELDS = frozenset({"__typename", "__schema", "__type"})


@lru_cache(maxsize=16)
def field_vocabulary(schema: GraphQLSchema) -> frozenset[str]:
    """Every field name an object or interface type of ``schema`` defines, introspection's
    types and the meta fields included: a selected name outside it is valid nowhere."""
    names = set(_META_FIELDS)
    for named in schema.type_map.values():
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            names.update(named.fields)
    return frozenset(names)


_parsed: OrderedDict[tuple[ParseLimits, str], DocumentNode | GraphQLError] = OrderedDict()
_lock = threading.Lock()  # execute_sync may run in worker threads


def parse_cached(query: str, limits: ParseLimits) -> DocumentNode:
    """``parse_within_limits``, once per (limits, text)."""
    key = (limits, query)
    with _lock:
        known = _parsed.get(key)
        if known is not None:
            _parsed.move_to_end(key)
    if isinstance(known, GraphQLError):
        raise copy_error(known)
    if known is not None:
        return known
    try:
        document = parse_within_limits(query, limits)
    except GraphQLError as refused:
        _keep(key, copy_error(refused))
        raise
    _keep(key, document)
    return document


def is_parsed(query: str, limits: ParseLimits) -> bool:
    """Whether ``parse_cached(query, limits)`` would answer from what is kept."""
    with _lock:
        return (limits, query) in _parsed


def _keep(key: tuple[ParseLimits, str], outcome: DocumentNode | GraphQLError) -> None:
    if len(key[1]) > MAX_KEPT_CHARS:
        return
    with _lock:
        _parsed[key] = outcome
        while len(_parsed) > _SIZE:
            _parsed.popitem(last=False)


def parse_within_limits(query: str, limits: ParseLimits) -> DocumentNode:
    """One lexical scan refuses what breaks a limit (coded), then graphql-core parses.

    Nesting is not refused by the scan: only the executed operation's depth counts (a
    GraphiQL document may hold a deeper one). Only a failed parse pays for a second scan
    that tells whether the nesting was why.
    """
    refused = scan_document(
        query,
        max_tokens=limits.max_tokens,
        max_depth=None,
        max_repeated=limits.max_repeated,
        max_chars=limits.max_chars,
        known_fields=limits.known_fields,
    )
    if refused is not None:
        raise refused
    try:
        # No token limit of graphql-core's own: the scan has counted them, and graphql-core
        # counts comments as tokens too, so a document of 1,000 tokens and a comment would be
        # a syntax error.
        return parse(query)
    except GraphQLError:
        deep = scan_document(query, max_tokens=None, max_depth=limits.max_depth, max_repeated=None)
        if deep is not None:
            raise deep from None
        raise
    except RecursionError:  # older graphql-core has no nesting guard of its own
        raise too_deep(limits.max_depth) from None


def too_deep(max_depth: int | None) -> GraphQLError:
    return GraphQLError(
        f"The operation is nested deeper than the limit of {max_depth}.",
        extensions={"code": "MAX_DEPTH_LIMIT", "limit": max_depth},
    )


def copy_error(error: GraphQLError) -> GraphQLError:
    """A fresh error with the same fields; its locations are copied, not computed again from
    the source (a scan of the text per error)."""
    copy = GraphQLError(
        error.message,
        extensions=dict(error.extensions) if error.extensions else None,
    )
    copy.nodes, copy.source, copy.positions = error.nodes, error.source, error.positions
    copy.locations, copy.path, copy.original_error = (
        error.locations,
        error.path,
        error.original_error,
    )
    return copy
