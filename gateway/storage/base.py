"""The storage interface: a ``Database`` hands out ``Session``s, and every store
(``CommerceReadModel``, ``JobStore``) writes its SQL once against them.

``Database(target)`` opens the implementation ``target`` names, migrated to the current
version (as ``pathlib.Path()`` gives a ``PosixPath``):

| target | implementation |
| --- | --- |
| a file path, or ``:memory:`` | ``SqliteDatabase`` (``gateway/storage/sqlite.py``) |
| ``postgresql://...`` or ``postgres://...`` | ``PostgresDatabase`` (``gateway/storage/postgres.py``) |

Both are synchronous and called directly from the event loop, as the SQLite store always
was: every call is one short transaction, and converting the store to ``async`` would turn
every resolver that reads it (``gateway/graphql/``) into a coroutine for no gain on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from gateway.storage.dialect import Dialect
from gateway.storage.migrations import MIGRATIONS, statements

__all__ = ["Database", "Rows", "Session", "is_postgres_url"]

T = TypeVar("T")


class Rows(Protocol):
    """What ``Session.execute`` returns (a DB-API cursor)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Session:
    """One connection inside a transaction (or, from ``Database.read``, outside one),
    taking SQL with ``?`` placeholders in either dialect."""

    def __init__(self, connection: Any, dialect: Dialect) -> None:
        self.connection = connection
        self.dialect = dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        rows: Rows = self.connection.execute(self.dialect.sql(sql), params)
        return rows

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        cursor = self.connection.cursor()
        try:
            cursor.executemany(self.dialect.sql(sql), rows)
        finally:
            cursor.close()


def is_postgres_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


class Database:
    """The gateway's own store: the OMNICOMMERCE read model and the write jobs, in one
    database so that a job and the read-model rows describing it commit together (a
    transactional outbox)."""

    dialect: Dialect
    applied: tuple[int, ...] = ()
    """The migrations this object ran when it opened (empty when none were missing)."""

    def __new__(cls, target: str | Path) -> Database:
        if cls is Database:
            from gateway.storage.postgres import PostgresDatabase
            from gateway.storage.sqlite import SqliteDatabase

            cls = PostgresDatabase if is_postgres_url(str(target)) else SqliteDatabase
        return super().__new__(cls)

    def transaction(self) -> AbstractContextManager[Session]:
        """A write transaction: committed on exit, rolled back on an error."""
        raise NotImplementedError

    def read(self, query: Callable[[Session], T]) -> T:
        """Run ``query(session)`` outside a write transaction."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        """Where the store is, safe to print (no password)."""
        raise NotImplementedError

    @property
    def version(self) -> int:
        return self.read(self._version)

    def migrate(self) -> tuple[int, ...]:
        """Run the migrations the store lacks, in one transaction, once however many
        processes start together; the versions run."""
        applied: list[int] = []
        with self.transaction() as db:
            current = self._lock_version(db)
            for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in statements(script):
                    db.execute(statement)
                self._set_version(db, version)
                applied.append(version)
        return tuple(applied)

    # --- where each backend keeps its version ------------------------------------------------

    def _version(self, db: Session) -> int:
        raise NotImplementedError

    def _lock_version(self, db: Session) -> int:
        """The version, with the lock that keeps other processes from migrating too."""
        raise NotImplementedError

    def _set_version(self, db: Session, version: int) -> None:
        raise NotImplementedError
