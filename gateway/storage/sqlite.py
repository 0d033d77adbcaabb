"""The store in one SQLite file: one process, or several on one host.

One connection, shared by the process's threads under a lock (calls are short; the event
loop never waits on another process for longer than ``busy_timeout``). Writes are
``BEGIN IMMEDIATE`` transactions: across processes SQLite serializes them, and each one is
all or nothing (WAL journal). The schema version is SQLite's ``user_version``; a process
opening the file runs the migrations it lacks in one ``BEGIN IMMEDIATE`` transaction, so two
processes starting together migrate it once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import stamina

from gateway.storage.base import Database, Session
from gateway.storage.dialect import SQLITE

__all__ = ["SqliteDatabase"]

T = TypeVar("T")


class SqliteDatabase(Database):
    dialect = SQLITE

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._use_wal()
        # NORMAL is durable against a killed process (the WAL survives); only an OS crash
        # could lose the last transactions, never corrupt them.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._lock = threading.RLock()
        self._session = Session(self._db, SQLITE)
        self.applied = self.migrate()

    def _use_wal(self) -> None:
        # Turning a new file to WAL answers "database is locked" at once, without waiting
        # on the busy handler, when another process opens the same new file at that moment;
        # WAL is kept in the file, so a second try finds it set or sets it.
        for attempt in stamina.retry_context(
            on=_is_locked, attempts=None, timeout=10.0, wait_initial=0.01, wait_max=0.2
        ):
            with attempt:
                self._db.execute("PRAGMA journal_mode=WAL")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._session
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def read(self, query: Callable[[Session], T]) -> T:
        with self._lock:
            return query(self._session)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def describe(self) -> str:
        return f"SQLite file {self.path}"

    def _version(self, db: Session) -> int:
        return int(db.execute("PRAGMA user_version").fetchone()[0])

    def _lock_version(self, db: Session) -> int:
        return self._version(db)  # BEGIN IMMEDIATE already holds the file's write lock

    def _set_version(self, db: Session, version: int) -> None:
        db.execute(f"PRAGMA user_version = {int(version)}")


def _is_locked(error: Exception) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)
