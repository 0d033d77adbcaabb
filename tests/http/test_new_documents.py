"""New texts are parsed and validated on the documents thread, off the event loop; a known
text is not sent there; the request's own steps then find both results kept."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from graphql import parse

from gateway.graphql import build_schema
from gateway.http.new_documents import NewDocuments
from gateway.security.limits import validation_cache_of
from gateway.security.parsing import ParseLimits, is_parsed
from gateway.security.validation_cache import ValidationCache
from gateway.settings import Settings

SCHEMA = build_schema(Settings())
LIMITS = ParseLimits().for_schema(SCHEMA._schema)


def _documents() -> tuple[NewDocuments, ValidationCache]:
    validations = validation_cache_of(SCHEMA.extensions)
    assert validations is not None  # the schema's own: the one its limits extension reads
    return NewDocuments(SCHEMA._schema, LIMITS, validations), validations


async def test_a_new_text_is_parsed_and_validated_for_the_request() -> None:
    documents, validations = _documents()
    query = '{ product(tid: "new-text-1") { tid nope } }'
    assert not is_parsed(query, LIMITS)
    await documents.prepare(query, None)
    assert is_parsed(query, LIMITS)
    # The request's validation reads the kept errors: graphql-core is not run again.
    errors = validations.validate(SCHEMA._schema, parse(query), query, None, [])
    assert [e.message for e in errors] == ["Cannot query field 'nope' on type 'Product'."]
    documents.close()


async def test_the_work_runs_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    documents, _ = _documents()
    threads: list[str] = []
    original = ValidationCache.prepare

    def slow_prepare(self: ValidationCache, *args: object) -> None:
        threads.append(threading.current_thread().name)
        time.sleep(1.0)  # a dear validation
        original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ValidationCache, "prepare", slow_prepare)
    query = '{ product(tid: "new-text-2") { tid } }'
    preparing = asyncio.ensure_future(documents.prepare(query, None))
    started = time.monotonic()
    await asyncio.sleep(0.05)  # the loop is free meanwhile
    assert time.monotonic() - started < 0.9 and not preparing.done()
    await preparing
    assert threads and threads[0].startswith("gateway-documents")
    # Known now: the next request of the same text is not sent to the thread.
    await documents.prepare(query, None)
    assert len(threads) == 1
    documents.close()


async def test_a_refused_text_is_left_for_the_request() -> None:
    documents, _ = _documents()
    query = '{ product(tid: "new-text-3") { ' + "tid " * 30 + "} }"  # 30 repeats: refused
    await documents.prepare(query, None)
    assert is_parsed(query, LIMITS)  # the refusal is kept as the parse's outcome
    documents.close()
