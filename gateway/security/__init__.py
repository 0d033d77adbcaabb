"""Security for the gateway: who calls (``auth``), what an operation may cost (``limits``),
what a request may carry (``guards``) and which browser origins may call (``cors``).

The app wires them: ``Authenticator.from_settings`` and ``require`` per request,
``limit_extensions(settings)`` into the schema, ``security_middleware(settings)`` around
the app.
"""

from __future__ import annotations

__all__: list[str] = []
