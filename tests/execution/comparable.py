"""One form of an answer for comparing the fast executor's with graphql-core's."""

from __future__ import annotations

import json
from typing import Any


def comparable(result: Any, *, sort_errors: bool = False) -> str:
    """``result``'s data and errors as JSON, without the per-request ``errorId``; with
    ``sort_errors``, errors in path order (concurrent fields may fail in either order)."""
    errors = json.loads(json.dumps(result.errors))
    for error in errors:
        error.get("extensions", {}).pop("errorId", None)
    if sort_errors:
        errors.sort(key=lambda e: json.dumps(e["path"]))
    return json.dumps({"data": result.data, "errors": errors}, indent=1)
