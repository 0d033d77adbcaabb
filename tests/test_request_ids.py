"""A request without a usable ``X-Request-Id`` gets a random UUID 4, as 32 hex digits."""

from __future__ import annotations

import uuid

from gateway.app import _new_request_id


def test_new_request_ids_are_uuid4_hex_and_distinct() -> None:
    ids = [_new_request_id() for _ in range(1000)]
    assert len(set(ids)) == len(ids)
    for made in ids:
        parsed = uuid.UUID(hex=made)
        assert (parsed.version, parsed.variant, parsed.hex) == (4, uuid.RFC_4122, made)
