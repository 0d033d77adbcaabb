"""catalog-gateway: one GraphQL endpoint over the OMN PIM, OMNICOMMERCE and CitrusAd.

For scripts and services: ``Gateway`` runs operations in process (see ``gateway.embedded``);
``load_settings`` builds its settings; ``ExtensionRegistry`` is what an extension's
``register`` function receives (see ``gateway.extensions``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.embedded import ExecutionResult, Gateway
    from gateway.extensions import ExtensionError, ExtensionRegistry
    from gateway.settings import Settings, load_settings

__all__ = [
    "ExecutionResult",
    "ExtensionError",
    "ExtensionRegistry",
    "Gateway",
    "Settings",
    "load_settings",
]

_HOMES = {
    "ExecutionResult": "gateway.embedded",
    "Gateway": "gateway.embedded",
    "ExtensionError": "gateway.extensions",
    "ExtensionRegistry": "gateway.extensions",
    "Settings": "gateway.settings",
    "load_settings": "gateway.settings",
}


def __getattr__(name: str) -> Any:
    # Imported on first use, so `python -m gateway` and the emulators stay light to start.
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'gateway' has no attribute {name!r}")
