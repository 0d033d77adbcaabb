"""Which media type to answer in (``Accept``) and whether a body is JSON (``Content-Type``).

| ``Accept`` | answer |
| --- | --- |
| ``application/graphql-response+json`` (alone or preferred) | ``GRAPHQL_RESPONSE_JSON`` |
| ``application/json``, ``application/*``, ``*/*``, missing or empty | ``JSON`` |
| both, same quality | ``GRAPHQL_RESPONSE_JSON`` (the spec's preference) |
| ``text/html`` alone, ``application/xml`` | ``None``: the caller answers 406 |

``prefers_event_stream`` picks GraphQL over SSE (``sse``) before any of that: ``Accept`` must
name ``text/event-stream`` itself (``*/*`` does not) with a quality no lower than JSON's.

| ``Accept`` | event stream |
| --- | --- |
| ``text/event-stream`` | yes |
| ``text/event-stream, application/json`` | yes |
| ``application/json, text/event-stream;q=0.5`` | no |
| ``*/*``, ``text/*``, missing | no |
"""

from __future__ import annotations

from functools import lru_cache

__all__ = [
    "EVENT_STREAM",
    "GRAPHQL_RESPONSE_JSON",
    "JSON",
    "accepts_html",
    "is_json_content_type",
    "negotiate",
    "prefers_event_stream",
]

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
EVENT_STREAM = "text/event-stream"

# A hostile header with thousands of ranges costs no more than a long but honest one.
_MAX_RANGES = 32


def _ranges(accept: str) -> dict[str, float]:
    """``{media range: quality}``; a range listed twice keeps its highest quality."""
    ranges: dict[str, float] = {}
    for part in accept.split(",")[:_MAX_RANGES]:
        media, *params = part.split(";")
        media = media.strip().lower()
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 0.0  # an unreadable weight is no consent
        ranges[media] = max(quality, ranges.get(media, 0.0))
    return ranges


def _quality(ranges: dict[str, float], media: str) -> float:
    """The quality of ``media`` under its most specific matching range (RFC 9110 12.5.1)."""
    kind = media.split("/", 1)[0]
    for candidate in (media, f"{kind}/*", "*/*"):
        if candidate in ranges:
            return ranges[candidate]
    return 0.0


# The same few Accept headers come from the same few clients: negotiate each once.
@lru_cache(maxsize=256)
def negotiate(accept: str | None) -> str | None:
    """The media type to answer a GraphQL request in, or ``None`` when none is acceptable."""
    if accept is None or not accept.strip():
        return JSON
    ranges = _ranges(accept)
    json_q = _quality(ranges, JSON)
    # Only an explicit range picks the new type: */* and application/* mean "old clients too".
    explicit_q = ranges.get(GRAPHQL_RESPONSE_JSON, 0.0)
    if explicit_q > 0 and explicit_q >= json_q:
        return GRAPHQL_RESPONSE_JSON
    if json_q > 0:
        return JSON
    if _quality(ranges, GRAPHQL_RESPONSE_JSON) > 0:
        return GRAPHQL_RESPONSE_JSON
    return None


@lru_cache(maxsize=256)
def prefers_event_stream(accept: str | None) -> bool:
    """Whether to answer as an event stream (see the module docstring)."""
    if not accept or EVENT_STREAM not in accept.lower():
        return False
    ranges = _ranges(accept)
    wanted = ranges.get(EVENT_STREAM, 0.0)
    json_q = max(_quality(ranges, JSON), ranges.get(GRAPHQL_RESPONSE_JSON, 0.0))
    return wanted > 0 and wanted >= json_q


def accepts_html(accept: str | None) -> bool:
    """Whether the client names ``text/html`` (a browser), not merely tolerates it via ``*/*``."""
    if not accept:
        return False
    ranges = _ranges(accept)
    return ranges.get("text/html", 0.0) > 0 or ranges.get("text/*", 0.0) > 0


def is_json_content_type(content_type: str | None) -> bool:
    """``application/json``, optionally with ``charset=utf-8``; any other charset is not."""
    if not content_type:
        return False
    media, *params = content_type.split(";")
    if media.strip().lower() != JSON:
        return False
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return False
    return True
