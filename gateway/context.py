"""The per-request context every resolver receives as ``info.context``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.loaders import Loaders
from gateway.runtime import Runtime

__all__ = ["GatewayContext", "preferred_locales"]


@dataclass(slots=True)
class GatewayContext:
    """Loaders (new per request), the shared runtime, the caller and their locales."""

    runtime: Runtime
    loaders: Loaders
    locales: tuple[str, ...] = ()
    principal: Any = None
    request: Any = None
    response: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        runtime: Runtime,
        *,
        accept_language: str | None = None,
        principal: Any = None,
        request: Any = None,
        response: Any = None,
    ) -> GatewayContext:
        return cls(
            runtime=runtime,
            loaders=Loaders(runtime),
            locales=preferred_locales(accept_language, runtime.settings.default_locale),
            principal=principal,
            request=request,
            response=response,
        )

    def pick_locales(self, explicit: str | None) -> tuple[str, ...]:
        """An argument's locale first, then the request's, then the default setting."""
        return (normalize_locale(explicit), *self.locales) if explicit else self.locales


def normalize_locale(tag: str) -> str:
    """``de-de`` and ``de_DE`` both become ``de_DE``; a bare language stays ``de``."""
    parts = tag.strip().replace("-", "_").split("_")
    return parts[0].lower() if len(parts) == 1 else f"{parts[0].lower()}_{parts[1].upper()}"


def preferred_locales(accept_language: str | None, default: str) -> tuple[str, ...]:
    """Locales from an ``Accept-Language`` header by quality, then ``default``.

    | header | default | result |
    | --- | --- | --- |
    | ``de-DE,de;q=0.9,en;q=0.5`` | ``en_GB`` | ``de_DE, de, en, en_GB`` |
    | none | ``en_GB`` | ``en_GB`` |
    """
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        if not tag or tag == "*":
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        weighted.append((-quality, index, normalize_locale(tag)))
    ordered = [tag for _, _, tag in sorted(weighted)]
    return tuple(dict.fromkeys([*ordered, normalize_locale(default)]))
