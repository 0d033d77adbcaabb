"""Run the gateway inside a script or a service: no HTTP server, the same schema and loaders.

```python
from gateway import Gateway

async with Gateway() as gw:                  # settings from GATEWAY_* (emulators if unset)
    result = await gw.execute('{ product(tid: "DEMO-0001") { name gtin } }')
    print(result.data, result.errors)
```

Upstreams without a URL are served by the built-in emulators, in process (over
``httpx.ASGITransport``: no port is opened). The gateway owns its HTTP pools and closes them
when the ``async with`` block ends. ``principal=`` runs an operation with a caller's scopes
(e.g. a ``gateway.security.Principal`` holding only ``read``); without one, the script is
trusted with every scope, as the code that embeds the gateway already holds the credentials.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType, TracebackType
from typing import Any

import httpx
import strawberry

from gateway.context import GatewayContext
from gateway.emulators.serving import Emulators, build_emulators
from gateway.extensions import ExtensionRegistry, load_extensions
from gateway.runtime import Runtime
from gateway.settings import Settings, load_settings, with_embedded_upstreams
from gateway.upstreams.transport import UpstreamConfig

__all__ = ["ExecutionResult", "Gateway"]

_EMULATOR_ROOTS = {name: f"http://{name}.emulator" for name in ("pim", "omnicommerce", "citrusad")}


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    """``data`` as JSON-ready values; ``errors`` as the GraphQL response would show them."""

    data: dict[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class Gateway:
    """The gateway as a Python object. Use it as an async context manager."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        extensions: Sequence[str | ModuleType] = (),
        runtime: Runtime | None = None,
    ) -> None:
        base = settings or load_settings(os.environ)
        names = [*base.extensions, *(e for e in extensions if isinstance(e, str))]
        modules = [e for e in extensions if isinstance(e, ModuleType)]
        self.registry: ExtensionRegistry = load_extensions(names, modules)
        self.emulators: Emulators | None = None
        self._emulated = base.emulated_upstreams if runtime is None else ()
        if self._emulated:
            self.emulators = build_emulators()
            base = with_embedded_upstreams(base, _EMULATOR_ROOTS)
        self.settings = base
        from gateway.graphql import build_schema

        self.schema: strawberry.Schema = build_schema(self.settings, registry=self.registry)
        self._runtime = runtime
        self._owns_runtime = runtime is None

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            raise RuntimeError("use the gateway inside 'async with Gateway(...) as gw'")
        return self._runtime

    async def __aenter__(self) -> Gateway:
        if self._runtime is None:
            runtime = Runtime.build(
                self.settings, http_client=self._emulator_client, extensions=self.registry
            )
            self._runtime = await runtime.__aenter__()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._owns_runtime and self._runtime is not None:
            await self._runtime.aclose()
            self._runtime = None

    def _emulator_client(self, config: UpstreamConfig) -> httpx.AsyncClient | None:
        if self.emulators is None or config.name not in self._emulated:
            return None
        app = getattr(self.emulators, config.name)
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=config.base_url,
            headers=dict(config.headers),
            timeout=config.timeout,
        )

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        principal: Any = None,
        locale: str | None = None,
    ) -> ExecutionResult:
        """Run one operation; field errors come back in ``errors``, never raised."""
        context = GatewayContext.build(self.runtime, accept_language=locale, principal=principal)
        for hook in self.registry.request_hooks:
            await hook(context)
        result = await self.schema.execute(
            query,
            variable_values=dict(variables or {}),
            context_value=context,
            operation_name=operation_name,
        )
        errors = [dict(error.formatted) for error in result.errors or ()]
        return ExecutionResult(data=_jsonable(result.data), errors=errors)

    async def publish(
        self,
        tids: Sequence[str],
        channels: Sequence[str] = ("omnicommerce", "citrusad"),
        *,
        dry_run: bool = False,
    ) -> Any:
        """Map PIM products onto the channels and write them (see ``gateway.writes.publishing``)."""
        from gateway.writes.publishing import publish

        return await publish(self.runtime, tids, channels, dry_run=dry_run)


def _jsonable(data: Any) -> Any:
    """Scalars as the HTTP answer shows them (Decimal and datetime as strings)."""
    if isinstance(data, dict):
        return {key: _jsonable(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_jsonable(value) for value in data]
    if data is None or isinstance(data, str | int | float | bool):
        return data
    return str(data)
