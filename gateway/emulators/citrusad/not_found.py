"""How the emulator answers a product code it does not hold: one switch, five variants.

The document says only that not found is an error ("제품 광고를 찾을 수 없음"); it gives
neither status nor body. Each variant below is an answer a real CitrusAd (or a proxy in
front of it) could give, so tests exercise the client against every one of them.

| variant | GET answer | DELETE answer |
| --- | --- | --- |
| ``english`` (default) | 404 ``{"message": "catalog product not found"}`` | the same |
| ``korean`` | 404 ``{"message": "제품 광고를 찾을 수 없음"}`` | the same |
| ``empty`` | 404, empty body | the same |
| ``empty-object`` | 404 ``{}`` | the same |
| ``empty-list`` | 200 ``{"catalogProducts": []}`` | 404 as ``english`` (a 200 would say "deleted") |

Set it in process (``app.state.not_found.variant = "korean"``) or over HTTP
(``POST /__emulator__/not-found`` with ``{"variant": "korean"}``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.emulators.recording import ADMIN_PREFIX

__all__ = ["ENGLISH", "KOREAN", "VARIANTS", "NotFoundAnswer"]

ENGLISH = "catalog product not found"
KOREAN = "제품 광고를 찾을 수 없음"
VARIANTS = ("english", "korean", "empty", "empty-object", "empty-list")
_JSON = "application/json"


@dataclass(slots=True)
class NotFoundAnswer:
    """The switch: which variant the emulator answers for an unknown code."""

    variant: str = "english"

    def set(self, variant: str) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"unknown not-found variant {variant!r}: one of {', '.join(VARIANTS)}")
        self.variant = variant

    def answer(self, method: str) -> Response:
        variant = self.variant
        if variant == "empty-list" and method == "DELETE":
            variant = "english"
        if variant == "empty-list":
            return _json({"catalogProducts": []}, 200)
        if variant == "empty":
            return Response(b"", status_code=404)
        if variant == "empty-object":
            return _json({}, 404)
        return _json({"message": KOREAN if variant == "korean" else ENGLISH}, 404)

    def route(self) -> Route:
        """``POST /__emulator__/not-found`` ``{"variant": ...}``, beside the shared admin routes."""

        async def set_variant(request: Request) -> Response:
            try:
                self.set(str((await request.json())["variant"]))
            except (ValueError, KeyError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return Response(status_code=204)

        return Route(f"{ADMIN_PREFIX}/not-found", set_variant, methods=["POST"])


def _json(data: object, status: int) -> Response:
    # ensure_ascii=False: the Korean message goes out as UTF-8 text, as a Korean API would.
    body = json.dumps(data, ensure_ascii=False).encode()
    return Response(body, status_code=status, media_type=_JSON)
