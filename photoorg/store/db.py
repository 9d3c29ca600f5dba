"""Connections to the index: SQLite in WAL mode behind SQLAlchemy sessions.

Each operation opens its own short-lived session. Connections are not pooled
(``NullPool``), so a connection never crosses threads. Writers start with
``BEGIN IMMEDIATE``: they take the write lock up front and wait for it under the
busy timeout, instead of failing when a read transaction tries to upgrade.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from photoorg.errors import LibraryError
from photoorg.extensions.schemas import SchemaChain
from photoorg.store import migrations
from photoorg.store.schema import Counter, Setting

BUSY_TIMEOUT_MS = 30_000


def _on_connect(dbapi_connection: sqlite3.Connection, _record) -> None:
    # Let SQLAlchemy's "begin" event decide how transactions start.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _on_begin(connection) -> None:
    if connection.get_execution_options().get("photoorg_write"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


class Database:
    """The index of one library: migrated on open, then sessions on demand.

    ``schemas`` are the capabilities' own migration chains, brought up to date
    after the core chain (``Library`` passes the registered ones)."""

    def __init__(self, path: Path, backups_dir: Path, schemas: Sequence[SchemaChain] = ()) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        migrations.migrate(self.path, backups_dir, schemas=schemas)
        self.engine: Engine = create_engine(
            f"sqlite:///{self.path}",
            poolclass=NullPool,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(self.engine, "connect", _on_connect)
        event.listen(self.engine, "begin", _on_begin)
        self._write_engine = self.engine.execution_options(photoorg_write=True)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self._write_engine, expire_on_commit=False)
        try:
            with self.session() as s:
                s.execute(select(1))
        except OperationalError as exc:
            raise LibraryError(f"Can't open the library database {self.path}: {exc.orig}") from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session. Closing it ends (rolls back) its transaction; the
        objects it loaded stay readable, detached."""
        with self._reader() as s:
            yield s

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session that commits on success and rolls back on error."""
        with self._writer() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()

    # -- small shared helpers -------------------------------------------------

    def get_setting(self, key: str, default=None):
        with self.session() as s:
            row = s.get(Setting, key)
            return default if row is None else row.value

    def get_settings(self, *keys: str) -> dict:
        """Several settings in one read; absent keys are left out."""
        with self.session() as s:
            return dict(s.execute(select(Setting.key, Setting.value).where(Setting.key.in_(keys))).all())

    def set_setting(self, key: str, value) -> None:
        with self.transaction() as s:
            s.merge(Setting(key=key, value=value))

    def generation(self, name: str) -> int:
        return self.generations(name)[name]

    def generations(self, *names: str) -> dict[str, int]:
        with self.session() as s:
            found = dict(s.execute(select(Counter.name, Counter.value).where(Counter.name.in_(names))).all())
        return {name: found.get(name, 0) for name in names}


def bump_generation(session: Session, name: str) -> None:
    """Mark a cached view of the data as stale (call inside the writing transaction)."""
    result = session.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1))
    if result.rowcount == 0:
        session.add(Counter(name=name, value=1))
