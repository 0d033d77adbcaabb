"""What differs between the two SQL dialects the store speaks, and nothing else.

The queries are written once, in SQLite's spelling (``?`` placeholders, ``ON CONFLICT (...)
DO UPDATE ... excluded.x``, which PostgreSQL shares); a ``Dialect`` supplies the few
fragments that cannot be shared:

| fragment | SQLite | PostgreSQL |
| --- | --- | --- |
| placeholders | ``?`` | ``%s`` (translated once per statement text) |
| ``now_epoch``: seconds since 1970 by the database's clock | ``julianday('now')`` arithmetic | ``extract(epoch from clock_timestamp())`` |
| ``lock()``: lock the rows read until commit | nothing (a write transaction holds the whole file) | ``FOR NO KEY UPDATE [OF t] [SKIP LOCKED]`` |

Leases are compared with the database's clock, not each process's, so gateway processes on
hosts whose clocks disagree still agree on when a lease ran out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

__all__ = ["POSTGRES", "SQLITE", "Dialect"]


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    now_epoch: str
    row_locks: bool

    def sql(self, text: str) -> str:
        """``text`` with this dialect's placeholders."""
        return text if not self.row_locks else _pyformat(text)

    def lock(self, of: str | None = None, *, skip_locked: bool = False) -> str:
        """The clause that locks the rows a SELECT returns (of table ``of`` in a join)."""
        if not self.row_locks:
            return ""
        clause = " FOR NO KEY UPDATE"
        if of is not None:
            clause += f" OF {of}"
        return clause + (" SKIP LOCKED" if skip_locked else "")


@lru_cache(maxsize=512)
def _pyformat(text: str) -> str:
    # No statement of ours holds a literal ``?`` or ``%``; ``%`` is escaped all the same so
    # a future ``LIKE 'x%'`` is not read as a placeholder.
    return text.replace("%", "%%").replace("?", "%s")


SQLITE = Dialect(
    name="sqlite", now_epoch="((julianday('now') - 2440587.5) * 86400.0)", row_locks=False
)
POSTGRES = Dialect(
    name="postgresql",
    now_epoch="extract(epoch from clock_timestamp())::double precision",
    row_locks=True,
)
