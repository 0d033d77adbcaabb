"""Persisted operations: automatic persisted queries (Apollo's protocol) and trusted documents.

A request names an operation by the SHA-256 of its text, in ``extensions.persistedQuery``
(``{"version": 1, "sha256Hash": "<hex>"}``, POST body or GET query string) or as ``documentId``
(GraphQL-over-HTTP persisted documents, Hive; ``sha256:`` prefix allowed). ``resolve`` turns it
into the text to run, before anything parses it, or refuses the request:

| request | answer | status | ``extensions.code`` |
| --- | --- | --- | --- |
| hash alone, known (manifest or registered) | runs it | | |
| hash alone, unknown | ``PersistedQueryNotFound`` (the client resends with the text) | 200 | ``PERSISTED_QUERY_NOT_FOUND`` |
| hash and text, matching | runs it; registered once it ran | | |
| hash and text, not matching | ``provided sha does not match query`` | 400 | ``PERSISTED_QUERY_HASH_MISMATCH`` |
| ``version`` other than 1 | ``Unsupported persisted query version`` | 400 | ``BAD_REQUEST`` |

Messages and statuses are Apollo Server's (not-found answers 200 with ``Cache-Control:
private, no-cache, must-revalidate``, so no client error handling or cache hides it); the
mismatch code is Apollo Router's. Registration waits until the operation passed validation
and ran, as Apollo Server 4 does, so the store keeps only operations that run.

Trusted documents (``trusted_documents_only`` with a ``trusted_documents_manifest``): only
the manifest's operations run, named by hash or sent as their exact text; nothing is
registered. Refusals come before parsing, so a refused request costs no upstream call; the
codes are Apollo Router's safelisting codes:

| request | status | ``extensions.code`` |
| --- | --- | --- |
| a hash (or ``documentId``) not in the manifest | 404 | ``PERSISTED_QUERY_NOT_IN_LIST`` |
| a text that is no manifest body | 403 | ``QUERY_NOT_IN_SAFELIST`` |

A manifest without ``trusted_documents_only`` preloads its operations: they run by hash from
the first request on, and any other operation is served as usual.

The store of registered operations (``QueryStore``) is this process's memory (LRU, bounded by
bytes) or, with ``GATEWAY_REDIS_URL``, Redis under the deployment's key prefix, kept 30 days
from last use, with the memory store in front (an id always names the same text). A Redis
that does not answer costs a ``PersistedQueryNotFound``: the client resends the text, which
runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Protocol

from cachetools import LRUCache

from gateway.http.params import GraphQLParams
from gateway.http.refusals import Refusal
from gateway.operations_manifest import Manifest, ManifestError, load_manifest, sha256_hex
from gateway.settings import Settings, SettingsError
from gateway.shared.connection import UNREACHABLE, SharedRedis

__all__ = [
    "APQ_MAX_BYTES",
    "APQ_TTL_SECONDS",
    "MemoryQueryStore",
    "PersistedOperations",
    "QueryStore",
    "RedisQueryStore",
    "Resolved",
    "persisted_operations",
]

log = logging.getLogger("gateway.http.persisted")

APQ_MAX_BYTES = 16 * 1024 * 1024
APQ_TTL_SECONDS = 30 * 24 * 3600
_UNCACHED = {"Cache-Control": "private, no-cache, must-revalidate"}
_HEX = frozenset("0123456789abcdef")


class QueryStore(Protocol):
    async def get(self, operation_id: str) -> str | None: ...

    async def put(self, operation_id: str, query: str) -> None: ...


def _size(query: str) -> int:
    return len(query.encode("utf-8"))


class MemoryQueryStore:
    """Registered operations in this process: least recently used go first past ``max_bytes``."""

    def __init__(self, max_bytes: int = APQ_MAX_BYTES) -> None:
        self._entries: LRUCache[str, str] = LRUCache(maxsize=max_bytes, getsizeof=_size)

    async def get(self, operation_id: str) -> str | None:
        return self._entries.get(operation_id)

    async def put(self, operation_id: str, query: str) -> None:
        if _size(query) <= self._entries.maxsize:
            self._entries[operation_id] = query

    def __len__(self) -> int:
        return len(self._entries)


class RedisQueryStore:
    """Registered operations in Redis, shared by every process with the same key prefix."""

    def __init__(
        self,
        shared: SharedRedis,
        *,
        local: MemoryQueryStore | None = None,
        ttl_seconds: int = APQ_TTL_SECONDS,
    ) -> None:
        self.shared = shared
        self.local = local or MemoryQueryStore()
        self.ttl_seconds = ttl_seconds

    def _key(self, operation_id: str) -> str:
        return self.shared.key("apq", operation_id)

    async def get(self, operation_id: str) -> str | None:
        if (found := await self.local.get(operation_id)) is not None:
            return found
        try:
            # GETEX: each use keeps it another TTL, so operations in use never expire.
            raw = await self.shared.client.getex(self._key(operation_id), ex=self.ttl_seconds)
        except UNREACHABLE as exc:
            self.shared.health.failed(exc)
            log.warning("persisted operations: Redis did not answer; treated as not found")
            return None
        self.shared.health.ok()
        if raw is None:
            return None
        query = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        await self.local.put(operation_id, query)
        return query

    async def put(self, operation_id: str, query: str) -> None:
        await self.local.put(operation_id, query)
        try:
            await self.shared.client.set(self._key(operation_id), query, ex=self.ttl_seconds)
        except UNREACHABLE as exc:
            self.shared.health.failed(exc)
            log.warning("persisted operations: Redis did not answer; registered here only")
            return
        self.shared.health.ok()


@dataclass(frozen=True, slots=True)
class Resolved:
    """The request with its text; ``register`` is the id to store it under once it ran."""

    params: GraphQLParams
    register: str | None = None


def _refuse(status: int, message: str, code: str, *, uncached: bool = False) -> Refusal:
    return Refusal(
        status, message, extensions={"code": code}, headers=_UNCACHED if uncached else None
    )


def _bad(message: str) -> Refusal:
    return _refuse(400, message, "BAD_REQUEST")


def _is_hash(text: str) -> bool:
    return len(text) == 64 and set(text) <= _HEX


class PersistedOperations:
    """``PersistedOperations(manifest=..., only_manifest=...)``; ``resolve`` each request."""

    def __init__(
        self,
        *,
        store: QueryStore | None = None,
        manifest: Manifest | None = None,
        only_manifest: bool = False,
    ) -> None:
        if only_manifest and manifest is None:
            raise ValueError("only_manifest needs a manifest")
        self.store: QueryStore = store if store is not None else MemoryQueryStore()
        self.manifest = manifest
        self.only_manifest = only_manifest

    def share(self, shared: SharedRedis) -> None:
        """Keep registered operations in Redis from now on (the memory store stays in front)."""
        local = self.store if isinstance(self.store, MemoryQueryStore) else None
        self.store = RedisQueryStore(shared, local=local)

    async def resolve(self, params: GraphQLParams) -> Resolved:
        """The request with the text it names, or a ``Refusal`` (see the module's tables)."""
        operation_id = _requested_id(params)
        text = params.query or None
        if operation_id is None:
            if self.only_manifest and not self._listed_text(text):
                raise _refuse(
                    403,
                    "The operation body was not found in the persisted query safelist",
                    "QUERY_NOT_IN_SAFELIST",
                )
            return Resolved(params)
        if text is not None:
            return self._with_text(params, operation_id, text)
        query = self.manifest.body(operation_id) if self.manifest is not None else None
        if query is None and self.only_manifest:
            raise self._not_in_list(operation_id)
        if query is None:
            query = await self.store.get(operation_id)
        if query is None:
            raise _refuse(200, "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", uncached=True)
        return Resolved(replace(params, query=query))

    async def register(self, resolved: Resolved) -> None:
        """Store a registration's text once its operation ran."""
        if resolved.register is not None:
            await self.store.put(resolved.register, resolved.params.query)

    def _with_text(self, params: GraphQLParams, operation_id: str, text: str) -> Resolved:
        if sha256_hex(text) != operation_id:
            raise _refuse(400, "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH")
        listed = self.manifest is not None and self.manifest.body(operation_id) is not None
        if self.only_manifest and not listed:
            raise self._not_in_list(operation_id)
        return Resolved(params, register=None if listed else operation_id)

    def _listed_text(self, text: str | None) -> bool:
        return text is not None and self.manifest is not None and self.manifest.has_body(text)

    @staticmethod
    def _not_in_list(operation_id: str) -> Refusal:
        return _refuse(
            404,
            f"Persisted query '{operation_id[:80]}' not found in the persisted query list",
            "PERSISTED_QUERY_NOT_IN_LIST",
            uncached=True,
        )


def _requested_id(params: GraphQLParams) -> str | None:
    """The SHA-256 (lowercase hex) the request names, if it names one."""
    persisted = (params.extensions or {}).get("persistedQuery")
    if persisted is not None:
        if not isinstance(persisted, dict):
            raise _bad("The 'persistedQuery' extension must be an object.")
        if persisted.get("version") != 1:
            raise _bad("Unsupported persisted query version")
        given = persisted.get("sha256Hash")
        if not isinstance(given, str) or not _is_hash(given.lower()):
            raise _bad("The 'persistedQuery' extension needs a 'sha256Hash' of 64 hex digits.")
        return given.lower()
    if params.document_id is None:
        return None
    given = params.document_id.removeprefix("sha256:").lower()
    if not _is_hash(given):
        raise _bad(
            "The 'documentId' parameter must be a SHA-256 (64 hex digits, 'sha256:' allowed)."
        )
    return given


def persisted_operations(settings: Settings) -> PersistedOperations:
    """The gateway's persisted operations as ``settings`` ask; a manifest that cannot be read
    stops the start with one line naming the setting (``SettingsError``)."""
    path = settings.trusted_documents_manifest
    if settings.trusted_documents_only and not path:
        raise SettingsError(
            "trusted_documents_only: set trusted_documents_manifest to the manifest to accept "
            "(written by `gateway operations`)"
        )
    try:
        manifest = load_manifest(path) if path else None
    except ManifestError as exc:
        raise SettingsError(f"trusted_documents_manifest: {exc}") from None
    return PersistedOperations(manifest=manifest, only_manifest=settings.trusted_documents_only)
