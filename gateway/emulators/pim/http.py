"""How every PIM endpoint is served: bearer check, body decoding, the documented error answers.

| situation | answer |
| --- | --- |
| no or wrong ``Authorization: Bearer`` | 401, ``<response><issues>`` code 1002 "Not authorized" (code not documented) |
| nodes endpoint while admin-only is on | 403, code 1010 "Access to the requested resource endpoint is forbidden" |
| malformed XML or JSON, DTD, wrong root | 400, code 1001 "Invalid input provided" |
| anything else going wrong | 500, code 1000 "An unknown internal error occurred" (code not documented) |
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from lxml import etree
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.emulators.pim.store import Store
from gateway.emulators.pim.xml import InvalidInput, issues_document, to_bytes

__all__ = [
    "Handler",
    "endpoint",
    "issues_response",
    "json_list",
    "json_response",
    "read_json",
    "xml_response",
]

XML_TYPE = "application/xml"
Handler = Callable[[bytes, Store], Response]
_log = logging.getLogger(__name__)


def xml_response(root: etree._Element, status: int = 200) -> Response:
    return Response(to_bytes(root), status_code=status, media_type=XML_TYPE)


def json_response(data: dict[str, Any]) -> Response:
    return JSONResponse(data)


def issues_response(status: int, code: str, description: str, message: str) -> Response:
    return xml_response(issues_document(code, description, message), status)


def read_json(body: bytes) -> dict[str, Any]:
    """A JSON object body; an empty body reads as ``{}`` (the classes sample posts ``{}``)."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise InvalidInput(f"Malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object")
    return data


def json_list(data: dict[str, Any], key: str, kind: type = str) -> list[Any]:
    """``data[key]`` as a list of ``kind`` (str or int); a lone value counts as a list of one."""
    raw = data.get(key)
    if raw is None:
        return []
    values = raw if isinstance(raw, list) else [raw]
    try:
        return [_coerce(v, kind) for v in values]
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"'{key}' must hold {kind.__name__} values") from exc


def _coerce(value: Any, kind: type) -> Any:
    # The samples send ids as numbers or quoted, and tids/paths as numbers at times
    # ("productTid": [150185]); both read as what they name. Booleans are never ids.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(value)
    return int(value) if kind is int else str(value)


def endpoint(
    store: Store, token: str, handler: Handler, *, restricted: str | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler`` with auth, the nodes restriction (``restricted`` names the API) and errors."""

    async def run(request: Request) -> Response:
        if request.headers.get("authorization", "") != f"Bearer {token}":
            return issues_response(401, "1002", "Not authorized", "Missing or invalid bearer token")
        if restricted and store.nodes_admin_only:
            return issues_response(
                403,
                "1010",
                "Access to the requested resource endpoint is forbidden",
                f"Nodes {restricted} API is restricted for users",
            )
        body = await request.body()
        try:
            with store.lock:
                return handler(body, store)
        except InvalidInput as exc:
            return issues_response(400, "1001", "Invalid input provided", str(exc))
        except Exception as exc:  # the PIM answers its documented 500 shape, never a traceback
            _log.exception("PIM emulator failed on %s", request.url.path)
            return issues_response(500, "1000", "An unknown internal error occurred", repr(exc))

    return run
