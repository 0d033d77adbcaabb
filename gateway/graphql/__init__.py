"""The gateway's GraphQL schema."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from gateway.extensions import ExtensionError, ExtensionRegistry
from gateway.graphql import subscriptions
from gateway.graphql.access import OperationScopes
from gateway.graphql.cost import COST_MODEL
from gateway.graphql.errors import GatewayErrorExtensions
from gateway.graphql.mutations import MUTATION_PARTS
from gateway.graphql.observe import RecordOperation, TraceOperation
from gateway.graphql.query import Query
from gateway.graphql.scalars import SCALAR_MAP
from gateway.graphql.types.catalog import CatalogProduct
from gateway.graphql.types.classifications import (
    Attribute,
    AttributeDefinition,
    Classification,
    ClassificationNode,
    DomainValue,
)
from gateway.graphql.types.products import Article, AttributeValue, Product, ValueEntry, Variant
from gateway.security import limit_extensions
from gateway.settings import Settings

__all__ = ["EXTENSIBLE_TYPES", "GatewaySchema", "build_schema"]


class GatewaySchema(strawberry.Schema):
    """Leaves error logging to ``GatewayErrorExtensions``: an upstream that is down is an
    expected answer (logged by the transport), not a traceback per field.

    With the ``fast_execution`` setting (read from the request's ``context.runtime``), query
    documents are parsed and validated once per text and planned queries run on
    ``gateway.execution``'s executor; strawberry's lifecycle and every extension run as ever.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from gateway.execution import DocumentCache, FastExecution

        self.fast_execution = FastExecution(self)
        self.documents = DocumentCache(self._schema)

    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        return None

    def get_extensions(self, sync: bool = False) -> list[SchemaExtension]:
        return [self.documents.extension(), *super().get_extensions(sync)]

    def _get_execute_function(self) -> Any:
        # strawberry's hook for the function that executes a validated document.
        return self.fast_execution.bind(super()._get_execute_function())


# The object types an extension may add fields to, by GraphQL name.
EXTENSIBLE_TYPES: dict[str, type] = {
    t.__name__: t
    for t in (
        Product,
        Article,
        Variant,
        AttributeValue,
        ValueEntry,
        Classification,
        ClassificationNode,
        AttributeDefinition,
        Attribute,
        DomainValue,
        CatalogProduct,
    )
}


def build_schema(
    settings: Settings | None = None,
    extensions: Sequence[Any] = (),
    registry: ExtensionRegistry | None = None,
) -> strawberry.Schema:
    """The schema. With ``settings``, operation limits and scope checks guard every operation;
    without, it is the bare schema (for printing the SDL and for trusted in-process use).
    ``registry`` carries what loaded extensions add (fields, root fields, schema extensions).
    """
    registry = registry or ExtensionRegistry()
    guards: list[Any] = []
    if settings is not None:
        guards = [
            *limit_extensions(settings, cost_model=COST_MODEL),
            RecordOperation,
            TraceOperation,
            OperationScopes,
        ]
    query = merge_types("Query", (Query, *registry.queries)) if registry.queries else Query
    mutation = merge_types("Mutation", (*MUTATION_PARTS, *registry.mutations))
    subscription = subscriptions.SUBSCRIPTION  # read per call: the write-jobs work sets it
    try:
        with registry.fields_applied(EXTENSIBLE_TYPES):
            return GatewaySchema(
                query=query,
                mutation=mutation,
                subscription=subscription,
                types=[Article, Variant],
                extensions=[
                    GatewayErrorExtensions,
                    *guards,
                    *registry.schema_extensions,
                    *extensions,
                ],
                config=StrawberryConfig(scalar_map=SCALAR_MAP),
            )
    except ExtensionError:
        raise
    except Exception as exc:
        if not registry.modules:
            raise
        raise ExtensionError(
            f"the schema cannot be built with extension(s) {', '.join(registry.modules)}: {exc}"
        ) from exc
