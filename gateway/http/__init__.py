"""GraphQL over HTTP for the gateway: ``GraphQLEndpoint`` and what it is built from.

| module | holds |
| --- | --- |
| ``graphql_endpoint`` | the ASGI endpoint: request -> operations -> response |
| ``negotiation`` | ``Accept`` and ``Content-Type`` handling |
| ``params`` | the request parameters from a body or a query string |
| ``encoding`` | JSON in and out (orjson) |
| ``documents`` | checks added to validation: the introspection switch, operation names |
| ``refusals`` | requests answered before GraphQL runs, and their statuses |
"""

from __future__ import annotations

from gateway.http.graphql_endpoint import ContextFactory, GraphQLEndpoint, ResultHook
from gateway.http.negotiation import GRAPHQL_RESPONSE_JSON, JSON, negotiate
from gateway.http.params import GraphQLParams
from gateway.http.refusals import Refusal, app_refusal, http_status_of

__all__ = [
    "GRAPHQL_RESPONSE_JSON",
    "JSON",
    "ContextFactory",
    "GraphQLEndpoint",
    "GraphQLParams",
    "Refusal",
    "ResultHook",
    "app_refusal",
    "http_status_of",
    "negotiate",
]
