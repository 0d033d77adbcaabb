"""``gateway.errors.upstream_said``: an upstream's text as a client may see it (issue 14)."""

from __future__ import annotations

import pytest

from gateway.errors import UPSTREAM_TEXT_CHARS, upstream_said
from gateway.upstreams.pim._errors import error_for_issue
from gateway.upstreams.records import PimIssue


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("the id is taken", "the upstream said: the id is taken"),
        ("bad\x1b[31m id\n\x00", "the upstream said: bad [31m id"),
        ("evil\u202etxt.exe\u200b", "the upstream said: evil txt.exe"),
        ("a\t\tb\r\nc", "the upstream said: a b c"),
        ("\x00\x07 \n", ""),
    ],
)
def test_control_and_format_characters_are_gone(text: str, shown: str) -> None:
    assert upstream_said(text) == shown


def test_a_long_text_is_trimmed_and_says_so() -> None:
    shown = upstream_said("x" * 5000)
    assert shown == "the upstream said: " + "x" * UPSTREAM_TEXT_CHARS + "…"


def test_a_pim_issue_is_quoted_as_the_upstreams_words() -> None:
    issue = PimIssue(
        code="1001",
        description="bad\x0b value " + "y" * 400,
        response_details={"supportId": "3de1"},
    )
    error = error_for_issue(issue, 400)
    assert error.message.startswith("the PIM refused the request; the upstream said: bad value ")
    assert "\x0b" not in error.message
    assert "…" in error.message
    assert error.message.endswith("(support id 3de1)")
    assert len(error.message) < 300
