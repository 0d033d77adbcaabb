"""Loaders an extension adds for a REST source of its own, as fast and as safe as the built-in.

An extension declares the upstream and a batch function; a resolver asks the request for the
loader by name:

```python
POSTS_API = ExtensionUpstream("posts_api", "https://posts.example", headers={"X-Api-Key": KEY})

async def users_by_id(ids: list[int], api: UpstreamCalls) -> list[object]:
    rows = await api.get_json("/users", [("id", i) for i in ids])
    return slots_by(rows, ids, "id")  # one slot per key, None where the upstream has none

def register(registry):
    registry.add_loader("users", users_by_id, upstream=POSTS_API)

# in a resolver:  user = await info.context.loader("users").load(self.user_id)
```

What a key costs, from the resolver down:

| layer | what it does for the extension's calls |
| --- | --- |
| the request's ``DataLoader`` (``context.loader(name)``) | keys asked in one tick make one batch, at most ``max_batch_size`` keys |
| the shared cache (``gateway.cache``) | a key another request holds or is loading costs nothing: single flight across requests; answers kept for the cache's default TTL, keyed by upstream, loader, credential scope and key |
| the upstream's ``UpstreamTransport`` (``gateway.upstreams.transport``) | its connection pool, deadlines, retries of reads, circuit breaker, rate limit, metrics and the request log's ``upstream_calls`` |

Credentials: ``headers`` are the upstream's own (a static token: never logged, never in a
cache key, only their fingerprint is); ``forward_headers`` names headers of the caller's
request passed on to the upstream, and their values join the credential scope, so one
caller's answers are never served to another. The whole-response cache keys answers by the
operation, not by those headers, so a request using such a loader is not kept there
(``not_cacheable``). The transport is made the first time a request uses the upstream and
closed with the gateway's other transports.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from weakref import WeakKeyDictionary

from strawberry.dataloader import DataLoader

from gateway.cache import CacheRef, credential_scope
from gateway.observability import tracing
from gateway.observability.request_stats import not_cacheable
from gateway.upstreams.transport import (
    RateLimit,
    UpstreamConfig,
    UpstreamResponse,
    UpstreamTransport,
)

if TYPE_CHECKING:
    from gateway.runtime import Runtime

__all__ = [
    "BUILT_IN_UPSTREAMS",
    "BatchFunction",
    "ExtensionUpstream",
    "LoaderSpec",
    "UpstreamCalls",
    "extension_loader",
    "slots_by",
]

BUILT_IN_UPSTREAMS = frozenset({"pim", "omnicommerce", "citrusad"})
QueryParams = Mapping[str, Any] | Sequence[tuple[str, Any]]


@dataclass(frozen=True, slots=True)
class ExtensionUpstream:
    """A REST upstream an extension reads. ``headers`` hold credentials: never shown in repr.

    ``timeout``, ``deadline``: ``None`` takes the gateway's ``upstream_timeout_seconds`` and
    ``upstream_deadline_seconds``; ``rate`` paces calls per credential, as OMNICOMMERCE's is.
    """

    name: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    forward_headers: tuple[str, ...] = ()
    timeout: float | None = None
    deadline: float | None = None
    rate: RateLimit | None = None
    max_connections: int = 20

    def config(self, timeout: float, deadline: float | None) -> UpstreamConfig:
        return UpstreamConfig(
            name=self.name,
            base_url=self.base_url,
            headers=dict(self.headers),
            timeout=self.timeout if self.timeout is not None else timeout,
            deadline=self.deadline if self.deadline is not None else deadline,
            rate=self.rate,
            max_connections=self.max_connections,
        )


class UpstreamCalls:
    """What a batch function calls its upstream with: the gateway's transport for it, and
    the caller's forwarded headers."""

    __slots__ = ("_headers", "_transport")

    def __init__(self, transport: UpstreamTransport, headers: Mapping[str, str]) -> None:
        self._transport = transport
        self._headers = headers

    async def get_json(self, path: str, params: QueryParams = ()) -> Any:
        """``GET path?params`` as JSON; repeated names (``[("id", 1), ("id", 2)]``) stay
        repeated. Errors are the transport's (``UPSTREAM_TIMEOUT``, ``UPSTREAM_UNAVAILABLE``...)."""
        query = urlencode(params, doseq=True)
        target = f"{path}?{query}" if query else path
        answer = await self.request("GET", target, endpoint=f"GET {path}")
        return answer.json()

    async def request(
        self, method: str, path: str, *, endpoint: str | None = None, **options: Any
    ) -> UpstreamResponse:
        """Any call (``json=``, ``content=``, ``idempotent=``... as ``UpstreamTransport``);
        ``endpoint`` labels its metrics, so keep ids out of it."""
        headers = {**self._headers, **options.pop("headers", {})}
        return await self._transport.request(
            method, path, endpoint=endpoint, headers=headers or None, **options
        )


BatchFunction = Callable[[list[Any], UpstreamCalls], Awaitable[Sequence[Any]]]
Load = Callable[[list[Any]], Awaitable[list[Any]]]
# Batch functions of loaders without forwarded headers, by transport and loader name.
_PREPARED: WeakKeyDictionary[UpstreamTransport, dict[str, Load]] = WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class LoaderSpec:
    """One loader an extension added: its name, upstream, batch function and batch cap."""

    name: str
    upstream: ExtensionUpstream
    batch: BatchFunction
    max_batch_size: int | None = 100
    module: str = "<api>"


def slots_by(rows: Sequence[Mapping[str, Any]], keys: Sequence[Hashable], field: str) -> list[Any]:
    """``rows`` lined up with ``keys`` by ``row[field]``: one slot per key, ``None`` where no
    row has it, as a batch function returns them."""
    found = {row[field]: row for row in rows}
    return [found.get(key) for key in keys]


def extension_loader(runtime: Runtime, name: str, request: Any = None) -> DataLoader[Any, Any]:
    """A new ``DataLoader`` for loader ``name`` for one request (``request``: its HTTP
    connection, whose ``forward_headers`` go along; ``None`` in process)."""
    spec = runtime.extensions.loaders.get(name)
    if spec is None:
        known = ", ".join(sorted(runtime.extensions.loaders)) or "none"
        raise KeyError(f"no extension loader {name!r} (added: {known})")
    transport = _transport(runtime, spec.upstream)
    if spec.upstream.forward_headers:
        not_cacheable()  # the answer depends on headers the response cache does not key by
        forwarded = _forwarded(spec.upstream.forward_headers, request)
        load = _batch_load(runtime, spec, transport, forwarded)
    else:
        # The same for every request: made once per transport (one per runtime).
        prepared = _PREPARED.setdefault(transport, {})
        load = prepared.get(name) or prepared.setdefault(
            name, _batch_load(runtime, spec, transport, {})
        )
    return DataLoader(load_fn=load, max_batch_size=spec.max_batch_size)


def _batch_load(
    runtime: Runtime, spec: LoaderSpec, transport: UpstreamTransport, forwarded: dict[str, str]
) -> Load:
    """The loader's batch function: keys through the shared cache to ``spec.batch``."""
    scope = transport.config.credential_scope
    if forwarded:
        scope = credential_scope(scope + "".join(f"\0{k}\0{v}" for k, v in forwarded.items()))
    ref = CacheRef(spec.upstream.name, spec.name, scope)
    calls = UpstreamCalls(transport, forwarded)
    cache = runtime.cache

    async def fetch(keys: list[Any]) -> Sequence[Any]:
        return await spec.batch(keys, calls)

    async def load(keys: list[Any]) -> list[Any]:
        if not tracing.enabled():
            return await cache.get_many(ref, keys, fetch)
        attributes = {"gateway.resource": spec.name, "gateway.keys": len(keys)}
        with tracing.span("loader.batch", attributes):
            return await cache.get_many(ref, keys, fetch)

    return load


def _transport(runtime: Runtime, upstream: ExtensionUpstream) -> UpstreamTransport:
    # Made on first use: the runtime (and its pool) is built before any request, but knows
    # nothing of extension upstreams; nothing awaits between the look-up and the add.
    try:
        return runtime.pool[upstream.name]
    except KeyError:
        settings = runtime.settings
        config = upstream.config(
            settings.upstream_timeout_seconds, settings.upstream_deadline_seconds
        )
        return runtime.pool.add(config)


def _forwarded(names: tuple[str, ...], request: Any) -> dict[str, str]:
    if not names or request is None:
        return {}
    headers = request.headers
    return {name: headers[name] for name in names if name in headers}
