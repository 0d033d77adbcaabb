"""The store on PostgreSQL: any number of gateway processes, on any hosts, share it.

psycopg 3's synchronous API over a ``psycopg_pool.ConnectionPool``, called the way the
SQLite store always was (directly, from the event loop; see ``gateway/storage/base.py``).
Connections are autocommit: a read is one statement, a write is an explicit transaction
(READ COMMITTED). Where SQLite serializes every write transaction, here the rows that must
not change under a transaction are locked by it (``Dialect.lock``), always in the order
chunk, then job, then read-model rows by id, so two transactions never wait on each other
in a circle. A connection is checked before it is handed out, so a restarted server costs
the next call a reconnection, not an error.

Migrations run in one transaction under ``pg_advisory_xact_lock``: processes starting
together wait for the first, then find nothing left to do. The version is the one row of
``schema_version``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool

from gateway.storage.base import Database, Session
from gateway.storage.dialect import POSTGRES

__all__ = ["PostgresDatabase"]

T = TypeVar("T")

# Any constant shared by every gateway process; "catalog-gateway" as eight bytes.
_MIGRATION_LOCK = 0x636174616C6F6777


class PostgresDatabase(Database):
    dialect = POSTGRES

    def __init__(self, url: str, *, max_connections: int = 8) -> None:
        self.url = url
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True},
            check=ConnectionPool.check_connection,
            # A caller waits this long for a connection while the server is away, then
            # fails: the event loop may be the one waiting (see ``gateway/storage/base.py``).
            timeout=5.0,
            open=False,
            name="gateway-store",
        )
        self._pool.open(wait=True, timeout=30.0)
        try:
            self.applied = self.migrate()
        except BaseException:
            self._pool.close()
            raise

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._pool.connection() as conn, conn.transaction():
            yield Session(conn, POSTGRES)

    def read(self, query: Callable[[Session], T]) -> T:
        with self._pool.connection() as conn:
            return query(Session(conn, POSTGRES))

    def close(self) -> None:
        self._pool.close()

    def describe(self) -> str:
        params = conninfo_to_dict(self.url)
        where = f"{params.get('host', 'localhost')}:{params.get('port', 5432)}"
        return f"PostgreSQL {params.get('user', '')}@{where}/{params.get('dbname', '')}"

    def _version(self, db: Session) -> int:
        exists = db.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()[0]
        if not exists:
            return 0
        row = db.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    def _lock_version(self, db: Session) -> int:
        db.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        return self._version(db)

    def _set_version(self, db: Session, version: int) -> None:
        if db.execute("UPDATE schema_version SET version=?", (version,)).rowcount == 0:
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
