"""The schema's subscription root type, when it has one.

``build_schema`` passes ``SUBSCRIPTION`` as the schema's ``subscription=`` when it is not
``None``: today ``writeJobProgress(id)`` (``gateway/graphql/subscription_jobs.py``). Subscriptions are
served by ``gateway.http`` over SSE and graphql-transport-ws, with the same authentication,
scopes (``read``, plus whatever a field's permission classes ask) and operation limits as
queries.
"""

from __future__ import annotations

from strawberry.tools import merge_types

from gateway.graphql.subscription_jobs import JobSubscription

__all__ = ["SUBSCRIPTION"]

SUBSCRIPTION: type | None = merge_types("Subscription", (JobSubscription,))
