"""Channel mappings: how a PIM product becomes an OMNICOMMERCE product and a CitrusAd product.

A mapping is a plain function ``(product, context) -> record | None``: ``product`` is the
loaded PIM ``Product`` record (values, articles with their variants, links), ``context`` a
``MappingContext`` (settings, the product's classification node when it could be loaded,
preferred locales). It returns a ``CommerceProduct`` (channel ``omnicommerce``) or a
``CatalogProduct`` (channel ``citrusad``), ``None`` to leave the product out of that channel,
or raises (``MappingError`` for a reason meant to be read) to fail that product alone. It may
be ``async`` when it needs to look something up.

Replace the defaults from an extension (see ``gateway.extensions``)::

    def my_detection(product, context):
        mapped = default_commerce_mapping(product, context)
        return dataclasses.replace(mapped, detection="TOP") if mapped else None

    def register(registry):
        registry.set_mapping("omnicommerce", my_detection)

The default mappings, field by field (attribute keys are module constants):

| field | OMNICOMMERCE (``default_commerce_mapping``) | CitrusAd (``default_catalog_mapping``) |
| --- | --- | --- |
| key | ``id``: the product's tid | ``gtin``: the ``gtin_attribute`` value; none is an error |
| name | ``metadata.productName``: ``product_title`` in the preferred locale, else the product's name, else its tid | tag ``name:<name>`` |
| image | ``url``: the first asset link (``GATEWAY_IMAGE_BASE_URL`` + its path, or as is when absolute), else ``GATEWAY_IMAGE_PLACEHOLDER_URL`` with ``{tid}``; neither is an error | tag ``imageurl:<url>`` when there is an asset |
| page | ``salesUrl``: ``GATEWAY_SHOP_BASE_URL/<tid>``; the setting unset is an error | |
| node | ``detection``: by the deepest path segment with a rule (``DETECTION_RULES``), else ``DEFAULT_DETECTION`` | a ``category:<segment>`` filter per segment below the classification |
| price | ``metadata.originPrice`` (a JSON number, as the document's example sends it) and ``currency`` when the product has ``price`` / ``currency`` values | ``price``: the ``price`` value, else ``DEFAULT_PRICE`` (0.00) |
| stock | | ``inventory``: the ``inventory`` value, else ``DEFAULT_INVENTORY`` (0: listed, not advertised) |
| more | ``metadata``: ``pimTid``, ``gtin``, ``brand``, ``material``, ``colors`` (of the articles) when present | filter ``Brand:<brand>`` when present |

The PIM knows neither where a product is sold nor where its images are served from, so the
OMNICOMMERCE mapping needs ``GATEWAY_SHOP_BASE_URL`` and ``GATEWAY_IMAGE_BASE_URL``; without
them each product is refused with the reason (a dry run shows it). Against the built-in
emulator they default to the demo's ``https://shop.example.com/products``,
``https://images.example.com`` and its placeholder images.

Detection on the demo data:

| node path | detection |
| --- | --- |
| ``/Standard/Bekleidung/Herren/Oberteile`` | ``TOP`` |
| ``/Standard/Bekleidung/Herren/Unterteile/Jeans`` | ``PANTS`` |
| ``/Standard/Bekleidung/Damen`` | ``WHOLEBODY`` |
| ``/Standard/Test`` | ``ACCESSORY`` (no rule matches) |
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from gateway.settings import Settings
from gateway.upstreams.records import (
    Article,
    CatalogProduct,
    ClassificationNode,
    CommerceProduct,
    Product,
    Variant,
)

__all__ = [
    "BRAND_ATTRIBUTE",
    "CHANNELS",
    "COLOR_ATTRIBUTE",
    "CURRENCY_ATTRIBUTE",
    "DEFAULT_DETECTION",
    "DEFAULT_INVENTORY",
    "DEFAULT_MAPPINGS",
    "DEFAULT_PRICE",
    "DETECTION_RULES",
    "INVENTORY_ATTRIBUTE",
    "MATERIAL_ATTRIBUTE",
    "PRICE_ATTRIBUTE",
    "TITLE_ATTRIBUTE",
    "ChannelMapping",
    "MappingContext",
    "MappingError",
    "asset_paths",
    "commerce_id",
    "default_catalog_mapping",
    "default_commerce_mapping",
    "detection_for",
    "image_url",
    "node_segments",
    "product_name",
    "text_of",
    "texts_of",
]

CHANNELS = ("omnicommerce", "citrusad")

TITLE_ATTRIBUTE = "product_title"
PRICE_ATTRIBUTE = "price"
CURRENCY_ATTRIBUTE = "currency"
INVENTORY_ATTRIBUTE = "inventory"
BRAND_ATTRIBUTE = "brand"
MATERIAL_ATTRIBUTE = "material"
COLOR_ATTRIBUTE = "color"


# A PIM holds no stock or shelf price: a product it alone describes is listed, at 0, out of
# stock, so that it is never advertised before the shop says it can be sold.
DEFAULT_PRICE = Decimal("0.00")
DEFAULT_INVENTORY = 0

# Path segment (lower case) -> Detection Field value; the deepest segment with a rule wins,
# so /Herren/Unterteile/Jeans is PANTS by Jeans before Herren could say anything.
DETECTION_RULES: dict[str, str] = {
    "oberteile": "TOP",
    "tops": "TOP",
    "shirts": "TOP",
    "jeans": "PANTS",
    "unterteile": "PANTS",
    "hosen": "PANTS",
    "pants": "PANTS",
    "jacken": "OUTER",
    "outerwear": "OUTER",
    "kleider": "DRESS",
    "dresses": "DRESS",
    "röcke": "SKIRT",
    "skirts": "SKIRT",
    "schuhe": "SHOES",
    "shoes": "SHOES",
    "taschen": "BAG",
    "bags": "BAG",
    "hüte": "HAT",
    "hats": "HAT",
    "damen": "WHOLEBODY",
    "women": "WHOLEBODY",
}
# The least specific value of the Detection Field list, for products no rule places.
DEFAULT_DETECTION = "ACCESSORY"


class MappingError(ValueError):
    """Raise in a mapping to fail one product on one channel; the message says why."""


@dataclass(frozen=True, slots=True)
class MappingContext:
    """What a mapping may use besides the product itself."""

    settings: Settings
    node: ClassificationNode | None = None
    locales: tuple[str, ...] = ()

    @classmethod
    def for_settings(
        cls, settings: Settings, node: ClassificationNode | None = None
    ) -> MappingContext:
        """The default locale, then its language: ``en_GB`` gives ``("en_GB", "en")``."""
        locale = settings.default_locale
        return cls(settings, node, tuple(dict.fromkeys((locale, locale.split("_")[0]))))


ChannelMapping = Callable[[Product, MappingContext], Any | Awaitable[Any]]
"""``(product, context) -> CommerceProduct | CatalogProduct | None``, or an awaitable of it."""


# --- helpers for mappings -----------------------------------------------------------------

Item = Product | Article | Variant


def texts_of(item: Item, attr: str) -> list[str]:
    """Every entry of a value in list order; a domain entry without text gives its key.

    | value | result |
    | --- | --- |
    | ``gtin`` simple ``4000000000044`` | ``["4000000000044"]`` |
    | ``material`` domain, key ``wool``, no text | ``["wool"]`` |
    | no such value | ``[]`` |
    """
    for value in item.values:
        if value.attr == attr:
            entries = sorted(value.entries, key=lambda e: e.position or 0)
            return [text for e in entries if (text := e.value or e.key or "")]
    return []


def text_of(item: Item, attr: str, locales: Iterable[str] = ()) -> str | None:
    """One text of a value: the first preferred locale present, else unlocalized, else any."""
    for value in item.values:
        if value.attr != attr:
            continue
        by_locale: dict[str | None, str] = {}
        for entry in sorted(value.entries, key=lambda e: e.position or 0):
            if text := entry.value or entry.key or "":
                by_locale.setdefault(entry.locale, text)
        for locale in (*locales, None):
            if locale in by_locale:
                return by_locale[locale]
        return next(iter(by_locale.values()), None)
    return None


def product_name(product: Product, locales: Iterable[str] = ()) -> str:
    """``product_title`` in a preferred locale, else the product's own name, else its tid."""
    wanted = tuple(locales)
    title = text_of(product, TITLE_ATTRIBUTE, wanted)
    own = product.name.first(*wanted) if product.name else None
    return title or own or product.tid or ""


def asset_paths(product: Product) -> list[str]:
    """The paths (or URLs) of the product's asset links, in the order the PIM gives them."""
    paths: list[str] = []
    for group in product.links or ():
        if group.type == "assets":
            paths += [link.value for link in group.links if link.value]
            paths += [link.value for lst in group.lists for link in lst.links if link.value]
    return paths


def image_url(product: Product, base_url: str | None) -> str | None:
    """The first asset as a URL, or None when there is none that can be made a URL.

    | asset link | ``base_url`` | URL |
    | --- | --- | --- |
    | ``/100192517000_97f.jpg`` | ``https://images.example.com`` | ``https://images.example.com/100192517000_97f.jpg`` |
    | ``/100192517000_97f.jpg`` | none | none |
    | ``https://cdn.example.org/a.jpg`` | any | as is |
    | none | any | none |
    """
    for path in asset_paths(product):
        if path.startswith(("http://", "https://")):
            return path
        if base_url is None:
            return None
        return f"{base_url.rstrip('/')}/{quote(path.lstrip('/'))}"
    return None


def node_segments(path: str | None) -> tuple[str, ...]:
    """The segments of a node path below its classification.

    | path | segments |
    | --- | --- |
    | ``/Standard/Bekleidung/Herren/Oberteile`` | ``("Bekleidung", "Herren", "Oberteile")`` |
    | ``/Standard`` or none | ``()`` |
    """
    return tuple(part for part in (path or "").split("/") if part)[1:]


def detection_for(path: str | None, default: str = DEFAULT_DETECTION) -> str:
    """The Detection Field value of a node path, by ``DETECTION_RULES`` (see the table above)."""
    for segment in reversed(node_segments(path)):
        if (found := DETECTION_RULES.get(segment.lower())) is not None:
            return found
    return default


def _decimal(product: Product, attr: str) -> Decimal | None:
    text = text_of(product, attr)
    if text is None:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise MappingError(f"{attr} value {text!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise MappingError(f"{attr} value {text!r} is not a price")
    return number


def _placeholder(product: Product, settings: Settings) -> str | None:
    template = settings.image_placeholder_url
    return template.replace("{tid}", quote(product.tid or "", safe="")) if template else None


def _json_number(value: Decimal) -> int | float:
    """A price as a JSON number (the document's example sends ``"originPrice": 10000``)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _inventory(product: Product) -> int:
    number = _decimal(product, INVENTORY_ATTRIBUTE)
    if number is None:
        return DEFAULT_INVENTORY
    if number != number.to_integral_value():
        raise MappingError(f"{INVENTORY_ATTRIBUTE} value {number} is not a whole number")
    return int(number)


def _colors(product: Product, locales: tuple[str, ...]) -> list[str]:
    items: list[Item] = [product, *product.articles]
    found = (text_of(item, COLOR_ATTRIBUTE, locales) for item in items)
    return list(dict.fromkeys(color for color in found if color))


# --- the defaults -------------------------------------------------------------------------


def commerce_id(product: Product) -> str:
    """The OMNICOMMERCE product id the default mapping writes ``product`` under: its tid."""
    return product.tid or ""


def default_commerce_mapping(product: Product, context: MappingContext) -> CommerceProduct:
    """The OMNICOMMERCE product of ``product`` (see the module's table)."""
    tid = commerce_id(product)
    locales = context.locales
    metadata: dict[str, Any] = {"productName": product_name(product, locales), "pimTid": tid}
    optional = {
        "gtin": text_of(product, context.settings.gtin_attribute),
        "brand": text_of(product, BRAND_ATTRIBUTE, locales),
        "material": text_of(product, MATERIAL_ATTRIBUTE, locales),
        "currency": text_of(product, CURRENCY_ATTRIBUTE, locales),
    }
    metadata.update({key: value for key, value in optional.items() if value})
    if (price := _decimal(product, PRICE_ATTRIBUTE)) is not None:
        metadata["originPrice"] = _json_number(price)
    if colors := _colors(product, locales):
        metadata["colors"] = colors
    if segments := node_segments(product.node):
        metadata["category"] = " > ".join(segments)
    settings = context.settings
    if not settings.shop_base_url:
        raise MappingError(
            "no sales page: set GATEWAY_SHOP_BASE_URL (the product's page is <base>/<tid>)"
        )
    url = image_url(product, settings.image_base_url) or _placeholder(product, settings)
    if url is None:
        raise MappingError(
            "no image URL: the product has no absolute asset link"
            + ("" if settings.image_base_url else ", and GATEWAY_IMAGE_BASE_URL is not set")
            + " (GATEWAY_IMAGE_PLACEHOLDER_URL would stand in for a missing image)"
        )
    return CommerceProduct(
        id=tid,
        url=url,
        detection=detection_for(product.node),
        sales_url=f"{settings.shop_base_url.rstrip('/')}/{quote(tid, safe='')}",
        metadata=metadata,
    )


def default_catalog_mapping(product: Product, context: MappingContext) -> CatalogProduct:
    """The CitrusAd catalog product of ``product``; no GTIN value is a ``MappingError``."""
    attribute = context.settings.gtin_attribute
    gtin = text_of(product, attribute)
    if not gtin:
        raise MappingError(f"no GTIN: the product has no {attribute!r} value")
    price = _decimal(product, PRICE_ATTRIBUTE)
    image = image_url(product, context.settings.image_base_url)
    tags = [f"imageurl:{image}"] if image else []
    tags.append(f"name:{product_name(product, context.locales)}")
    filters = [f"category:{segment}" for segment in node_segments(product.node)]
    if brand := text_of(product, BRAND_ATTRIBUTE, context.locales):
        filters.append(f"Brand:{brand}")
    return CatalogProduct(
        catalog_id=context.settings.citrusad_catalog_id,
        gtin=gtin,
        inventory=_inventory(product),
        price=DEFAULT_PRICE if price is None else price,
        tags=tuple(dict.fromkeys(tags)),
        filters=tuple(dict.fromkeys(filters)),
    )


DEFAULT_MAPPINGS: Mapping[str, ChannelMapping] = MappingProxyType(
    {"omnicommerce": default_commerce_mapping, "citrusad": default_catalog_mapping}
)
"""The mapping of each channel unless an extension sets another one (read-only)."""
