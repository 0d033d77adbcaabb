"""The per-request context every resolver receives as ``info.context``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.extension_loaders import extension_loader
from gateway.loaders import Loaders
from gateway.runtime import Runtime

__all__ = ["GatewayContext", "normalize_locale", "preferred_locales"]


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
    extension_loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)

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

    def loader(self, name: str) -> DataLoader[Any, Any]:
        """This request's loader ``name``, added by an extension with ``registry.add_loader``
        (``gateway.extension_loaders``); made on first use."""
        found = self.extension_loaders.get(name)
        if found is None:
            found = extension_loader(self.runtime, name, self.request)
            self.extension_loaders[name] = found
        return found

    def pick_locales(self, explicit: str | None) -> tuple[str, ...]:
        """The locale chain of one localized field (``gateway/graphql/localized.py`` walks it).

        | step | from |
        | --- | --- |
        | 1 | the field's ``locale`` argument, when given |
        | 2 | the request's ``Accept-Language``, by quality |
        | 3 | the ``GATEWAY_DEFAULT_LOCALE`` setting |
        | 4 | (``pick_text``) any locale the value has |
        """
        if not explicit or not (locale := normalize_locale(explicit)):
            return self.locales
        return (locale, *self.locales)


def normalize_locale(tag: str) -> str:
    """A BCP 47 tag or a PIM locale as the PIM spells locales: ``language_REGION``.

    | tag | locale |
    | --- | --- |
    | ``de-de``, ``de_DE`` | ``de_DE`` |
    | ``de`` | ``de`` |
    | ``zh-Hant-TW`` (a script between) | ``zh_TW`` |
    | ``es-419`` | ``es_419`` |
    """
    language, *rest = tag.strip().replace("-", "_").split("_")
    # The PIM keys texts by language and region only: a script or variant subtag is skipped.
    region = next((p for p in rest if (len(p) == 2 and p.isalpha()) or _is_un_m49(p)), None)
    return f"{language.lower()}_{region.upper()}" if region else language.lower()


def _is_un_m49(part: str) -> bool:
    return len(part) == 3 and part.isascii() and part.isdigit()


# Callers send few distinct headers: each request would parse the same one again.
@lru_cache(maxsize=256)
def preferred_locales(accept_language: str | None, default: str) -> tuple[str, ...]:
    """Locales from an ``Accept-Language`` header by quality, then ``default``.

    A language with ``q=0`` is one the caller does not accept (RFC 9110, 12.4.2): left out.

    | header | default | result |
    | --- | --- | --- |
    | ``de-DE,de;q=0.9,en;q=0.5`` | ``en_GB`` | ``de_DE, de, en, en_GB`` |
    | ``fr;q=0,de`` | ``en_GB`` | ``de, en_GB`` |
    | none | ``en_GB`` | ``en_GB`` |
    """
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        if not tag.strip() or tag.strip() == "*":
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if quality > 0 and (locale := normalize_locale(tag)):
            weighted.append((-quality, index, locale))
    ordered = [tag for _, _, tag in sorted(weighted)]
    return tuple(dict.fromkeys([*ordered, normalize_locale(default)]))
