"""Per-item checks of ``/management/products`` bodies, and the error strings they answer.

Each check returns the text of one ``failureList[].errors`` entry, or ``None`` when the item is
valid. Several problems with one item are joined with ``"; "``.

| item | errors |
| --- | --- |
| not a JSON object | ``bad reqeust`` (the document's wording, typo kept: clients may match it) |
| no ``id`` | ``id is required`` |
| ``id`` not 1..50 of ``0-9 a-z A-Z - . _ ~`` | ``invalid id: ...`` |
| ``url`` / ``detection`` / ``salesUrl`` missing on POST | ``url is required`` ... |
| ``url`` on a host under ``.invalid`` | ``fail to prove image from url.`` (the document's wording) |
| a URL that is not absolute http(s) | ``invalid url: ...``, ``invalid salesUrl: ...`` |
| ``detection`` not a Detection Field value | ``invalid detection: ...`` |
| ``metadata`` not an object | ``invalid metadata: must be an object`` |
| a field the document does not list | ``unknown field: <name>`` |
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "BAD_REQUEST",
    "BLOCKED",
    "DETECTIONS",
    "IMAGE_FAILED",
    "NOT_FOUND",
    "check_id",
    "check_product",
    "item_id",
]

BAD_REQUEST = "bad reqeust"  # sic: verbatim from the document's examples
BLOCKED = "Block duplicate products."
IMAGE_FAILED = "fail to prove image from url."
NOT_FOUND = "product not found"

# The document names TOP, WHOLEBODY and PANTS in its examples and refers to a "Detection Field"
# list it does not reproduce; the rest is a plausible fashion list (a decision, see the note).
DETECTIONS = (
    "TOP",
    "WHOLEBODY",
    "PANTS",
    "OUTER",
    "SKIRT",
    "DRESS",
    "SHOES",
    "BAG",
    "HAT",
    "ACCESSORY",
)

_ID = re.compile(r"[0-9A-Za-z._~-]{1,50}")
_FIELDS = frozenset({"id", "url", "detection", "salesUrl", "mobileSalesUrl", "metadata"})
# The document's PUT body lists only these: the image and detection change by registering again.
_UPDATE_FIELDS = frozenset({"id", "salesUrl", "mobileSalesUrl", "metadata"})
_REQUIRED_ON_CREATE = ("url", "detection", "salesUrl")
_URL_FIELDS = ("url", "salesUrl", "mobileSalesUrl")


def item_id(item: Any) -> str | None:
    """The id to name ``item`` by in ``failureList`` (``None`` when it has no string id)."""
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return str(item["id"])
    return None


def check_id(value: Any) -> str | None:
    if isinstance(value, str) and _ID.fullmatch(value):
        return None
    return "invalid id: must be 1 to 50 characters of 0-9 a-z A-Z - . _ ~"


def check_product(item: Any, *, create: bool) -> str | None:
    """Why ``item`` cannot be registered (``create``) or updated; ``None`` if it can."""
    if not isinstance(item, dict):
        return BAD_REQUEST
    known = _FIELDS if create else _UPDATE_FIELDS
    problems = [f"unknown field: {name}" for name in item if name not in known]
    if "id" not in item:
        problems.append("id is required")
    elif (reason := check_id(item["id"])) is not None:
        problems.append(reason)
    if create:
        problems += [f"{name} is required" for name in _REQUIRED_ON_CREATE if name not in item]
    problems += _check_values(item)
    return "; ".join(problems) or None


def _check_values(item: dict[str, Any]) -> list[str]:
    problems = []
    for name in _URL_FIELDS:
        if name in item and not _is_http_url(item[name]):
            problems.append(f"invalid {name}: must be an absolute http(s) URL")
    if _is_http_url(item.get("url")) and _host(item["url"]).endswith(".invalid"):
        # No image is fetched; a reserved .invalid host (RFC 2606) stands in for one that fails.
        problems.append(IMAGE_FAILED)
    if "detection" in item and item["detection"] not in DETECTIONS:
        problems.append(f"invalid detection: must be one of {', '.join(DETECTIONS)}")
    if "metadata" in item and not isinstance(item["metadata"], dict):
        problems.append("invalid metadata: must be an object")
    return problems


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
