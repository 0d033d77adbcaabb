"""``PimClient``: every documented OMN PIM operation, reads and writes, over one transport."""

from __future__ import annotations

from ._reads import PimReads
from ._writes import PimWrites

__all__ = ["PimClient"]


class PimClient(PimReads, PimWrites):
    """``PimClient(transport, batch_size=100, max_concurrency=4)``; see the package docstring.

    The transport is the gateway's PIM transport (``TransportPool.add(pim_config(...))``),
    whose base URL ends in ``/api/core/v1``.
    """
