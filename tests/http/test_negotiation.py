from __future__ import annotations

import pytest

from gateway.http.negotiation import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    accepts_html,
    is_json_content_type,
    negotiate,
)


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("APPLICATION/JSON", JSON),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (f"{JSON}, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON};q=0.9, {JSON}", JSON),
        (f"{JSON};q=0, */*", GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON};q=oops, {JSON};q=0.1", JSON),
        ("text/html", None),
        (f"{JSON};q=0", None),
        ("image/png, text/*", None),
    ],
)
def test_negotiate(accept: str | None, media: str | None) -> None:
    assert negotiate(accept) == media


def test_a_flood_of_ranges_is_cut_short() -> None:
    assert negotiate(", ".join(["text/plain"] * 1000 + [JSON])) is None


@pytest.mark.parametrize(
    ("accept", "html"),
    [("text/html,*/*;q=0.8", True), ("text/*", True), ("*/*", False), (None, False)],
)
def test_accepts_html(accept: str | None, html: bool) -> None:
    assert accepts_html(accept) is html


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        ("application/json", True),
        ("Application/JSON; charset=UTF-8", True),
        ('application/json;charset="utf-8"', True),
        ("application/json; charset=iso-8859-1", False),
        ("application/graphql", False),
        ("text/plain;charset=UTF-8", False),
        (None, False),
    ],
)
def test_is_json_content_type(content_type: str | None, ok: bool) -> None:
    assert is_json_content_type(content_type) is ok
