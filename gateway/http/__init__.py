"""GraphQL over HTTP, SSE and WebSocket for the gateway: the endpoints and what they are built from.

| module | holds |
| --- | --- |
| ``graphql_endpoint`` | the ASGI endpoint: request -> operations -> response (SSE included) |
| ``sse`` | GraphQL over Server-Sent Events (graphql-sse, distinct connections mode) |
| ``websocket`` | ``GraphQLWebSocket``: subscriptions over graphql-transport-ws |
| ``credentials`` | credentials from a ``connection_init`` payload, seen as headers |
| ``streams`` | operations run as streams of results; ``OpenStreams``, ended at shutdown |
| ``outcomes`` | executed or refused: statuses and payloads, the same for every transport |
| ``negotiation`` | ``Accept`` and ``Content-Type`` handling |
| ``params`` | the request parameters from a body or a query string |
| ``encoding`` | JSON in and out (orjson) |
| ``documents`` | checks added to validation: the introspection switch, operation names |
| ``refusals`` | requests answered before GraphQL runs, and their statuses |
| ``persisted`` | automatic persisted queries (Apollo's protocol) and trusted documents (a manifest) |
| ``slow_clients`` | uvicorn protocol classes that close connections sending headers or body too slowly |
"""

from __future__ import annotations

from gateway.http.graphql_endpoint import ContextFactory, GraphQLEndpoint, ResultHook
from gateway.http.negotiation import (
    EVENT_STREAM,
    GRAPHQL_RESPONSE_JSON,
    JSON,
    negotiate,
    prefers_event_stream,
)
from gateway.http.params import GraphQLParams
from gateway.http.refusals import Refusal, app_refusal, http_status_of
from gateway.http.streams import OpenStreams
from gateway.http.websocket import (
    ConnectionContextFactory,
    ConnectionResultHook,
    GraphQLWebSocket,
)

__all__ = [
    "EVENT_STREAM",
    "GRAPHQL_RESPONSE_JSON",
    "JSON",
    "ConnectionContextFactory",
    "ConnectionResultHook",
    "ContextFactory",
    "GraphQLEndpoint",
    "GraphQLParams",
    "GraphQLWebSocket",
    "OpenStreams",
    "Refusal",
    "ResultHook",
    "app_refusal",
    "http_status_of",
    "negotiate",
    "prefers_event_stream",
]
