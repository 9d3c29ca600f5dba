"""Connections to the index: SQLite in WAL mode behind SQLAlchemy sessions.

Each operation opens its own short-lived session. Connections are not pooled
(``NullPool``), so a connection never crosses threads. Writers start with
``BEGIN IMMEDIATE``: they take the write lock up front and wait for it under the
busy timeout, instead of failing when a read transaction tries to upgrade.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

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


def _on_connect_read_only(dbapi_connection: sqlite3.Connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def cannot_write(path: Path) -> bool:
    """True when the database file, or the folder its WAL files go in, can't
    be written (a read-only share or medium, or someone else's library)."""
    folder = path.parent
    if path.exists():
        return not (os.access(path, os.W_OK) and os.access(folder, os.W_OK))
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return not os.access(folder, os.W_OK)


def _read_only_uri(path: Path) -> str:
    """A URI that opens the database without writing anything, not even the
    WAL's shared-memory file. ``mode=ro`` is tried first: it still sees what a
    writer elsewhere commits. Where SQLite can't set up WAL reading without
    writing (no -shm file, and none can be made), the file is opened
    ``immutable``: a read-only medium does not change under us."""
    base = f"file:{quote(str(path))}?mode=ro"
    try:
        con = sqlite3.connect(base, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            con.close()
        return base
    except sqlite3.OperationalError:
        return base + "&immutable=1"


class Database:
    """The index of one library: migrated on open, then sessions on demand.

    ``schemas`` are the capabilities' own migration chains, brought up to date
    after the core chain (``Library`` passes the registered ones).

    A library that can't be written is opened read-only (``read_only``):
    reading works, and :meth:`transaction` raises
    :class:`~photoorg.errors.ReadOnlyLibraryError` instead of failing midway.
    """

    def __init__(
        self,
        path: Path,
        backups_dir: Path,
        schemas: Sequence[SchemaChain] = (),
        *,
        read_only: bool | None = None,
    ) -> None:
        self.path = Path(path)
        self.read_only = cannot_write(self.path) if read_only is None else read_only
        if self.read_only:
            migrations.check_current(self.path, schemas)
            uri = _read_only_uri(self.path)
            self.engine: Engine = create_engine(
                "sqlite://",
                poolclass=NullPool,
                creator=lambda: sqlite3.connect(
                    uri, uri=True, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
                ),
            )
            event.listen(self.engine, "connect", _on_connect_read_only)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            migrations.migrate(self.path, backups_dir, schemas=schemas)
            self.engine = create_engine(
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
        if self.read_only:
            from photoorg.doctor import read_only_error

            raise read_only_error(self.path.parent)
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
