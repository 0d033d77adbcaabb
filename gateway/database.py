"""The gateway's own database; the store lives in ``gateway/storage/`` (SQLite or
PostgreSQL), re-exported here for the modules that import it from this name."""

from __future__ import annotations

from gateway.storage import MIGRATIONS, Database, Session

__all__ = ["MIGRATIONS", "Database", "Session"]
