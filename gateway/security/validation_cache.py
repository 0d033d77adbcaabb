"""Validation results kept per document text, so a repeated document is validated once.

``ValidationCache.validate(schema, document, query, operation_name, rules)`` returns what
``graphql.validate`` with ``rules`` (plus strawberry's two) would, split in two:

| rules | depend on | run |
| --- | --- | --- |
| graphql-core's specified rules, strawberry's ``MaybeNull`` and ``OneOf`` | the document alone | once per (schema, text, operationName); later requests get copies of the errors |
| any other (the operation limits: cost reads the variables) | the request | every request; if they refuse, the document's rules are not run |

Nothing from the request but its text and operation name is part of the key, and no
per-request rule's errors are kept. Errors are handed out as fresh copies: later steps
(error codes, hidden suggestions) change errors in place. Texts over ``max_text`` characters
are not kept (a cached error holds its document), and at most ``size`` texts are.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    TypeInfo,
    ValidationContext,
    ValidationRule,
    Visitor,
    specified_rules,
    validate,
)
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from gateway.security.parsing import copy_error

__all__ = ["ValidationCache", "run_rules"]

# strawberry adds these two to every validation (``validate_document``).
_STRAWBERRY_RULES: tuple[type[ASTValidationRule], ...] = (
    MaybeNullValidationRule,
    OneOfInputValidationRule,
)
_DOCUMENT_RULES = frozenset((*specified_rules, *_STRAWBERRY_RULES))
_RULE_BASES = frozenset({ValidationRule, ASTValidationRule, Visitor, object})

_Key = tuple[GraphQLSchema, str, str | None]


class ValidationCache:
    """An LRU of the document-only validation errors, keyed by (schema, text, operationName)."""

    def __init__(
        self,
        *,
        size: int = 512,
        max_text: int = 100_000,
        hide_suggestions: bool = False,
        max_errors: int | None = None,
    ) -> None:
        self.size = size
        self.max_text = max_text
        # Production strips "Did you mean" anyway: not computing it spares a search over the
        # type's fields per unknown field. ``max_errors``: graphql-core's default (100) if None.
        self.hide_suggestions = hide_suggestions
        self.max_errors = max_errors
        self._errors: OrderedDict[_Key, tuple[GraphQLError, ...]] = OrderedDict()
        self._lock = threading.Lock()  # execute_sync may run in worker threads

    def __len__(self) -> int:
        return len(self._errors)

    def validate(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        query: str,
        operation_name: str | None,
        rules: Sequence[type[ASTValidationRule]],
    ) -> list[GraphQLError]:
        """The request's validation errors: its own rules' if any (a document over a limit is
        refused without the whole validation, the dearer part), else the document's."""
        per_request = [r for r in rules if r not in _DOCUMENT_RULES]
        errors = run_rules(schema, document, per_request) if per_request else []
        if errors:
            return errors
        key: _Key = (schema, query, operation_name)
        with self._lock:
            known = self._errors.get(key)
            if known is not None:
                self._errors.move_to_end(key)
        if known is None:
            known = self._document_errors(schema, document, rules)
            if len(query) <= self.max_text:
                self._keep(key, known)
        return [*errors, *(copy_error(e) for e in known)]

    def prepare(
        self, schema: GraphQLSchema, document: DocumentNode, query: str, operation_name: str | None
    ) -> None:
        """Validate ``document`` by the document rules and keep the errors, unless kept already:
        ``validate`` then has only the request's own rules to run."""
        key: _Key = (schema, query, operation_name)
        with self._lock:
            if key in self._errors or len(query) > self.max_text:
                return
        self._keep(key, self._document_errors(schema, document, specified_rules))

    def _document_errors(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        rules: Sequence[type[ASTValidationRule]],
    ) -> tuple[GraphQLError, ...]:
        document_rules = [r for r in rules if r in _DOCUMENT_RULES]
        return tuple(
            validate(
                schema,
                document,
                [*document_rules, *_STRAWBERRY_RULES],
                max_errors=self.max_errors,
                hide_suggestions=self.hide_suggestions,
            )
        )

    def _keep(self, key: _Key, errors: tuple[GraphQLError, ...]) -> None:
        with self._lock:
            self._errors[key] = errors
            while len(self._errors) > self.size:
                self._errors.popitem(last=False)


def run_rules(
    schema: GraphQLSchema, document: DocumentNode, rules: list[type[ASTValidationRule]]
) -> list[GraphQLError]:
    """``rules``' errors on ``document``: rules without visitor methods (the limits rule, which
    reports everything when built) are only constructed, not walked over the document."""
    if not rules:
        return []  # the usual case once a text is known to pass the limits: no context to build
    if not all(_checks_on_construction(r) for r in rules):
        return validate(schema, document, rules)
    # Rules that report everything when built (the limits rule) need no walk.
    errors: list[GraphQLError] = []
    context = ValidationContext(schema, document, TypeInfo(schema), errors.append)
    for rule in rules:
        rule(context)
    return errors


def _checks_on_construction(rule: type[ASTValidationRule]) -> bool:
    own = (c for c in rule.__mro__ if c not in _RULE_BASES)
    return not any(n.startswith(("enter", "leave")) for c in own for n in vars(c))
