"""Texts the process has not seen are parsed and validated on one worker thread.

A known text costs a dictionary lookup; a new one costs graphql-core's parse and validation,
up to 15-20 ms for the dearest document the lexical limits let through. Done on the event
loop, four clients sending new documents in a loop take turns with every other request and
multiply a cached lookup's latency tens of times. On one worker thread, new texts queue
behind each other there while the loop goes on serving the known ones: the interpreter hands
the loop the GIL every switch interval (``gateway serve`` sets it short).

``await documents.prepare(query, operation_name)`` fills the caches the request's own steps
read next (``parsing``'s documents, the schema's ``ValidationCache``), so those steps find
them; a refusal or an unreadable text is kept the same way (the parse cache keeps refusals)
or left for the request to meet. Nothing here answers a request: the request's own steps
still decide, in the same order, with the same errors.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from graphql import GraphQLError, GraphQLSchema

from gateway.security.parsing import ParseLimits, is_parsed, parse_cached
from gateway.security.validation_cache import ValidationCache

__all__ = ["NewDocuments"]


class NewDocuments:
    """``NewDocuments(schema, limits, validations)``; ``prepare`` before a request's checks."""

    def __init__(
        self,
        schema: GraphQLSchema,
        limits: ParseLimits,
        validations: ValidationCache | None,
    ) -> None:
        self._schema = schema
        self._limits = limits
        self._validations = validations
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-documents")

    async def prepare(self, query: str, operation_name: str | None) -> None:
        if not query or is_parsed(query, self._limits):
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._prepare, query, operation_name)

    def _prepare(self, query: str, operation_name: str | None) -> None:
        try:
            document = parse_cached(query, self._limits)
        except GraphQLError:
            return  # refused or unreadable: kept by the parse cache, met again by the request
        if self._validations is not None:
            self._validations.prepare(self._schema, document, query, operation_name)

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)
