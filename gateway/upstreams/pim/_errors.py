"""The PIM's request-level errors (``<response><issues>``) as the gateway's error tree.

| answer | raised | why |
| --- | --- | --- |
| any status, code ``1001`` (invalid input) | ``UpstreamRejected(upstream_code="1001")`` | the request was refused: repeating it cannot help |
| 403, code ``1010`` (endpoint forbidden) | ``UpstreamRejected(status=403, upstream_code="1010")`` | see below |
| other 4xx with issues (e.g. 401 / ``1002``) | ``UpstreamRejected(upstream_code=...)`` | refused |
| 5xx with issues (e.g. 500 / ``1000``) | ``UpstreamUnavailable(status=...)`` | the PIM failed: a read may be retried |
| an HTML page (a login page at 401/403, a proxy's 502) | ``UpstreamRejected`` (4xx) / ``UpstreamUnavailable`` (5xx) saying "HTML, not XML" | the page's markup says nothing useful; what it is does |
| any other body that is not ``<response><issues>`` | ``None``: the transport's default | |

``1010`` is not ``Forbidden``: that code tells a GraphQL caller *they* lack a permission,
and sits outside ``UpstreamError``, so the field would not fail as an upstream failure.
Here the gateway's own PIM user lacks the admin role (nodes endpoints): an upstream
refusal the caller cannot fix, which ``upstream_code="1010"`` lets the schema recognise.
"""

from __future__ import annotations

from gateway.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRejected,
    UpstreamUnavailable,
    upstream_said,
)
from gateway.upstreams.pim_xml import looks_like_html, parse_issue
from gateway.upstreams.records import PimIssue

__all__ = ["FORBIDDEN", "INVALID_INPUT", "error_for_issue", "read_pim_error"]

INVALID_INPUT = "1001"
FORBIDDEN = "1010"
UPSTREAM = "pim"


def read_pim_error(status: int, body: bytes) -> UpstreamError | None:
    """The transport's ``read_error`` hook: the error a non-2xx PIM answer stands for."""
    if looks_like_html(body):
        text = f"the PIM answered {status} with an HTML page, not XML: a login page or proxy?"
        if status >= 500:
            return UpstreamUnavailable(text, upstream=UPSTREAM, status=status)
        return UpstreamRejected(text, upstream=UPSTREAM, status=status)
    try:
        issue = parse_issue(body)
    except UpstreamBadResponse:
        return None
    return error_for_issue(issue, status)


def error_for_issue(issue: PimIssue, status: int) -> UpstreamError:
    text = upstream_said(issue.message) or "the upstream gave no reason"
    if issue.support_id:
        # The PIM's operators find the request by this id; it names nothing secret.
        text = f"{text} (support id {issue.support_id})"
    if issue.code == FORBIDDEN:
        text = f"{text}; the gateway's PIM user lacks the admin role this endpoint needs"
    if issue.code in (INVALID_INPUT, FORBIDDEN) or status < 500:
        return UpstreamRejected(
            f"the PIM refused the request; {text}",
            upstream_code=issue.code,
            upstream=UPSTREAM,
            status=status,
        )
    return UpstreamUnavailable(
        f"the PIM failed (code {issue.code}); {text}", upstream=UPSTREAM, status=status
    )
