"""The gateway's own store (read model and write jobs) on SQLite or PostgreSQL.

| module | holds |
| --- | --- |
| ``base`` | ``Database`` (opens the backend its target names), ``Session``, the migration runner |
| ``dialect`` | the few SQL fragments the two dialects spell differently |
| ``migrations`` | the versioned schema, shared by both |
| ``sqlite`` | ``SqliteDatabase``: one file, one host |
| ``postgres`` | ``PostgresDatabase``: psycopg 3 and a connection pool, any number of hosts |
"""

from __future__ import annotations

from gateway.storage.base import Database, Rows, Session, is_postgres_url
from gateway.storage.dialect import Dialect
from gateway.storage.migrations import MIGRATIONS

__all__ = ["MIGRATIONS", "Database", "Dialect", "Rows", "Session", "is_postgres_url"]
