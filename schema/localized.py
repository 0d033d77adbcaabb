"""Pick the text of a localized field for the caller's locales."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gateway.upstreams.records import LocalizedText

__all__ = ["pick_text"]


def pick_text(text: LocalizedText | Mapping[str, str] | None, locales: Sequence[str]) -> str | None:
    """Exact locale first, then the same language (``de`` matches ``de_DE``), then any text.

    | texts | locales | result |
    | --- | --- | --- |
    | ``{en_GB: Shirt, de_DE: Hemd}`` | ``de_DE`` | ``Hemd`` |
    | ``{en_GB: Shirt, de_DE: Hemd}`` | ``de`` | ``Hemd`` |
    | ``{fr_FR: Chemise}`` | ``de``, ``en_GB`` | ``Chemise`` |
    | plain ``Product1`` | any | ``Product1`` |
    """
    if text is None:
        return None
    if isinstance(text, LocalizedText):
        if text.plain is not None:
            return text.plain
        texts = text.texts
    else:
        texts = text
    if not texts:
        return None
    for locale in locales:
        if locale in texts:
            return texts[locale]
        language = locale.split("_")[0]
        for key, value in texts.items():
            if key.split("_")[0].lower() == language:
                return value
    return next(iter(texts.values()))
