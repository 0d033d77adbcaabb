"""Security for the gateway: who calls (``auth``), what an operation may cost (``limits``),
what a request may carry (``guards``) and which browser origins may call (``cors``).

Wiring, for the app:

| where | call |
| --- | --- |
| at start | ``auth = Authenticator.from_settings(s)``; log ``development_mode_warning(s)`` if any |
| the schema | ``strawberry.Schema(..., extensions=[*limit_extensions(s, cost_model=...)])`` |
| the app | ``Starlette(..., middleware=security_middleware(s))`` |
| per request | ``principal = await auth.authenticate_async(request.headers)`` |
| per operation | ``require(principal, scope_for_operation(operation_type))`` |
"""

from __future__ import annotations

from gateway.security.auth import (
    ANONYMOUS_READER,
    Authenticator,
    Principal,
    development_mode_warning,
    generate_api_key,
    hash_api_key,
    require,
    scope_for_operation,
)
from gateway.security.cors import cors_middleware, security_middleware
from gateway.security.guards import RequestGuards, request_guards_options
from gateway.security.limits import CODES, CostModel, OperationLimits, limit_extensions

__all__ = [
    "ANONYMOUS_READER",
    "CODES",
    "Authenticator",
    "CostModel",
    "OperationLimits",
    "Principal",
    "RequestGuards",
    "cors_middleware",
    "development_mode_warning",
    "generate_api_key",
    "hash_api_key",
    "limit_extensions",
    "request_guards_options",
    "require",
    "scope_for_operation",
    "security_middleware",
]
