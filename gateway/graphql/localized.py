"""Pick the text of a localized field for the caller's locales: one chain for every field.

The locales come from ``GatewayContext.pick_locales``: the field's ``locale`` argument, then
the request's ``Accept-Language`` by quality, then the ``GATEWAY_DEFAULT_LOCALE`` setting.
For each of them in turn the exact locale is taken, else one of the same language; when none
has a text, the first text the PIM listed. A field is null only when it has no text in any
locale (empty texts count as none: the PIM answers ``<itm loc="fr_FR"></itm>`` for a
language nobody filled in).

| texts | locales | result |
| --- | --- | --- |
| ``{en_GB: Shirt, de_DE: Hemd}`` | ``de_DE`` | ``Hemd`` |
| ``{en_GB: Shirt, de_DE: Hemd}`` | ``de`` (a bare language) | ``Hemd`` |
| ``{en_EN: Shirt}`` | ``en_GB`` (the PIM's own ``en_EN``) | ``Shirt`` |
| ``{de_DE: "", fr_FR: Chemise}`` | ``de_DE``, ``en_GB`` | ``Chemise`` |
| plain ``Product1`` | any | ``Product1`` |
| ``<name/>`` | any | null |
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from gateway.upstreams.records import LocalizedText

__all__ = ["has_text", "pick_locale", "pick_text"]


def has_text(text: str | None) -> bool:
    """False for none, ``""`` and whitespace: the PIM's way of saying "not filled in"."""
    return text is not None and not (text == "" or text.isspace())


def pick_locale(available: Iterable[str], locales: Sequence[str]) -> str | None:
    """The one of ``available`` to answer in (see the module's table); ``None`` if empty.

    Locales compare without regard to case (``de_de`` is ``de_DE``): the argument is the
    caller's spelling, the keys are the PIM's.
    """
    keys = list(available)
    if not keys:
        return None
    folded = [key.lower() for key in keys]
    for wanted in locales:
        wanted = wanted.lower()
        if wanted in folded:
            return keys[folded.index(wanted)]
        language = wanted.split("_")[0]
        for key, fold in zip(keys, folded, strict=True):
            if fold.split("_")[0] == language:
                return key
    return keys[0]


def pick_text(text: LocalizedText | Mapping[str, str] | None, locales: Sequence[str]) -> str | None:
    """The text of ``text`` in the first of ``locales`` it has, else any (module docstring)."""
    if text is None:
        return None
    if isinstance(text, LocalizedText):
        if has_text(text.plain):
            return text.plain
        texts: Mapping[str, str] = text.texts
    else:
        texts = text
    chosen = pick_locale((key for key, value in texts.items() if has_text(value)), locales)
    return None if chosen is None else texts[chosen]
