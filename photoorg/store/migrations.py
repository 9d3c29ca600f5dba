"""The schema's linear migration chain.

The version lives in ``PRAGMA user_version``. A new database runs the whole
chain from 0, so the chain is the one definition of the schema (``schema.py``
mirrors it; a test checks they agree). Before an existing database is migrated
it is copied to ``backups/``. A database written by a newer photoorg is refused
rather than guessed at.

To change the schema: append a function to ``MIGRATIONS``, mirror the change in
``schema.py``, and add a fixture of the previous version under
``tests/fixtures/``. Never edit a migration that has shipped.

A capability keeps its own tables in a chain of its own
(:mod:`photoorg.extensions.schemas`), run after this one with the same backup
and refusal rules; its version is the setting ``schema.<name>``. The tags and
people tables predate that and stay in this chain (v3, v4), so libraries
written before it open unchanged.

Longer than most modules: it holds every step since version 1, and a step
is never edited once shipped.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from photoorg.errors import LibraryError, NewerDatabaseError
from photoorg.extensions.schemas import SchemaChain

# "PhOr" as a big-endian int: marks the file as a photoorg library.
APPLICATION_ID = 0x50684F72


def _run(con: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it commits first, and a migration must be one transaction.
    for statement in script.split(";"):
        if statement.strip():
            con.execute(statement)


def _v1_core(con: sqlite3.Connection) -> None:
    _run(
        con,
        """
        CREATE TABLE roots (
            id INTEGER NOT NULL PRIMARY KEY,
            path VARCHAR NOT NULL UNIQUE,
            added_at DATETIME NOT NULL,
            last_scan_at DATETIME
        );
        CREATE TABLE photos (
            id INTEGER NOT NULL PRIMARY KEY,
            root_id INTEGER REFERENCES roots (id) ON DELETE SET NULL,
            path VARCHAR NOT NULL UNIQUE,
            folder VARCHAR NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            content_hash VARCHAR(64),
            format VARCHAR(16),
            width INTEGER,
            height INTEGER,
            orientation INTEGER,
            taken_at DATETIME,
            tz_offset_min INTEGER,
            date DATETIME NOT NULL,
            camera_make VARCHAR(128),
            camera_model VARCHAR(128),
            lens VARCHAR(256),
            gps_lat FLOAT,
            gps_lon FLOAT,
            gps_alt FLOAT,
            state VARCHAR(16) NOT NULL,
            error TEXT,
            missing_since DATETIME,
            added_at DATETIME NOT NULL,
            updated_at DATETIME NOT NULL
        );
        CREATE INDEX ix_photos_content_hash ON photos (content_hash);
        CREATE INDEX ix_photos_folder ON photos (folder);
        CREATE INDEX ix_photos_date ON photos (date);
        CREATE INDEX ix_photos_root_id ON photos (root_id);
        CREATE INDEX ix_photos_camera ON photos (camera_make, camera_model);

        CREATE TABLE photo_stages (
            photo_id INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
            stage VARCHAR(32) NOT NULL,
            version VARCHAR(200) NOT NULL,
            state VARCHAR(16) NOT NULL,
            error TEXT,
            updated_at DATETIME NOT NULL,
            PRIMARY KEY (photo_id, stage)
        );
        CREATE INDEX ix_photo_stages_stage ON photo_stages (stage, version, state);

        CREATE TABLE models (
            id INTEGER NOT NULL PRIMARY KEY,
            key VARCHAR(300) NOT NULL UNIQUE,
            arch VARCHAR(100) NOT NULL,
            pretrained VARCHAR(100),
            weights_sha256 VARCHAR(64),
            dim INTEGER NOT NULL,
            created_at DATETIME NOT NULL
        );
        CREATE TABLE embeddings (
            id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
            photo_id INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
            model_id INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
            vector BLOB NOT NULL,
            CONSTRAINT uq_embeddings_photo_model UNIQUE (photo_id, model_id)
        );
        CREATE INDEX ix_embeddings_model ON embeddings (model_id, id);

        CREATE TABLE settings (
            key VARCHAR(100) NOT NULL PRIMARY KEY,
            value TEXT
        );
        CREATE TABLE counters (
            name VARCHAR(50) NOT NULL PRIMARY KEY,
            value INTEGER NOT NULL
        );
        CREATE TABLE scan_errors (
            id INTEGER NOT NULL PRIMARY KEY,
            root_id INTEGER NOT NULL REFERENCES roots (id) ON DELETE CASCADE,
            path VARCHAR NOT NULL,
            reason TEXT NOT NULL,
            at DATETIME NOT NULL
        );
        """,
    )


def _v2_organise(con: sqlite3.Connection) -> None:
    """Ratings, favourites and albums (the desktop GUI)."""
    _run(
        con,
        """
        ALTER TABLE photos ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE photos ADD COLUMN favorite BOOLEAN NOT NULL DEFAULT 0;
        CREATE TABLE albums (
            id INTEGER NOT NULL PRIMARY KEY,
            name VARCHAR(200) NOT NULL UNIQUE,
            created_at DATETIME NOT NULL
        );
        CREATE TABLE album_photos (
            album_id INTEGER NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
            photo_id INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
            added_at DATETIME NOT NULL,
            PRIMARY KEY (album_id, photo_id)
        );
        CREATE INDEX ix_album_photos_photo ON album_photos (photo_id);
        """,
    )


def _v3_tags(con: sqlite3.Connection) -> None:
    """Tags (vocabulary, custom concepts, user labels), per-photo tags with
    source and confidence, cached concept vectors, and groups (events, visual)."""
    _run(
        con,
        """
        CREATE TABLE tags (
            id INTEGER NOT NULL PRIMARY KEY,
            name VARCHAR(100) NOT NULL UNIQUE,
            parent_id INTEGER REFERENCES tags (id) ON DELETE SET NULL,
            kind VARCHAR(20),
            origin VARCHAR(16) NOT NULL,
            synonyms TEXT,
            prompts TEXT,
            auto BOOLEAN NOT NULL,
            created_at DATETIME NOT NULL
        );
        CREATE INDEX ix_tags_parent ON tags (parent_id);
        CREATE TABLE photo_tags (
            photo_id INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
            source VARCHAR(16) NOT NULL,
            confidence FLOAT NOT NULL,
            state VARCHAR(8) NOT NULL,
            updated_at DATETIME NOT NULL,
            PRIMARY KEY (photo_id, tag_id, source)
        );
        CREATE INDEX ix_photo_tags_tag ON photo_tags (tag_id, state);
        CREATE TABLE tag_vectors (
            tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
            model_id INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
            prompts_hash VARCHAR(64) NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (tag_id, model_id)
        );
        CREATE TABLE photo_groups (
            id INTEGER NOT NULL PRIMARY KEY,
            kind VARCHAR(16) NOT NULL,
            title VARCHAR(200) NOT NULL,
            cover_photo_id INTEGER REFERENCES photos (id) ON DELETE SET NULL,
            start DATETIME,
            end DATETIME,
            lat FLOAT,
            lon FLOAT,
            created_at DATETIME NOT NULL
        );
        CREATE INDEX ix_photo_groups_kind ON photo_groups (kind, start);
        CREATE TABLE photo_group_members (
            group_id INTEGER NOT NULL REFERENCES photo_groups (id) ON DELETE CASCADE,
            photo_id INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
            PRIMARY KEY (group_id, photo_id)
        );
        CREATE INDEX ix_photo_group_members_photo ON photo_group_members (photo_id);
        """,
    )


def _v4_people(con: sqlite3.Connection) -> None:
    """Faces with descriptors and boxes, people, and the user's "not this
    person" decisions."""
    _run(
        con,
        """
        CREATE TABLE people (
            id INTEGER NOT NULL PRIMARY KEY,
            name VARCHAR(200),
            hidden BOOLEAN NOT NULL,
            cover_face_id INTEGER,
            created_at DATETIME NOT NULL,
            updated_at DATETIME NOT NULL
        );
        CREATE TABLE faces (
            id INTEGER NOT NULL PRIMARY KEY,
            photo_id INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
            x INTEGER NOT NULL,
            y INTEGER NOT NULL,
            w INTEGER NOT NULL,
            h INTEGER NOT NULL,
            descriptor BLOB NOT NULL,
            landmarks TEXT,
            quality FLOAT NOT NULL,
            detector VARCHAR(16) NOT NULL,
            person_id INTEGER REFERENCES people (id) ON DELETE SET NULL,
            assigned_by VARCHAR(8),
            created_at DATETIME NOT NULL
        );
        CREATE INDEX ix_faces_photo ON faces (photo_id);
        CREATE INDEX ix_faces_person ON faces (person_id);
        CREATE TABLE face_rejections (
            face_id INTEGER NOT NULL REFERENCES faces (id) ON DELETE CASCADE,
            person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
            created_at DATETIME NOT NULL,
            PRIMARY KEY (face_id, person_id)
        );
        """,
    )


def _v5_metadata_source(con: sqlite3.Connection) -> None:
    """Where each photo's date came from (EXIF, XMP, IPTC, or the file's time),
    and the version of the metadata reader that read it, so that a rescan can
    re-read the headers of photos read by an older reader. Existing rows were
    read by version 1; the only source known for them is the file's time,
    where they had no date at all."""
    _run(
        con,
        """
        ALTER TABLE photos ADD COLUMN date_source VARCHAR(8);
        ALTER TABLE photos ADD COLUMN metadata_version INTEGER NOT NULL DEFAULT 1;
        UPDATE photos SET date_source = 'file' WHERE taken_at IS NULL
        """,
    )


def _v6_captions_and_rotation(con: sqlite3.Connection) -> None:
    """A caption the user writes per photo, and the quarter turns the viewer
    shows it with (the original file is never rewritten)."""
    _run(
        con,
        """
        ALTER TABLE photos ADD COLUMN caption TEXT;
        ALTER TABLE photos ADD COLUMN rotation INTEGER NOT NULL DEFAULT 0;
        """,
    )


def _v7_absent_photos_index(con: sqlite3.Connection) -> None:
    """An index of only the photos a search must not rank (missing or
    unreadable): the first search after opening a library reads their ids,
    and without it that is a scan of every photo (0.5 s at a million). A
    partial index holds just those rows, so it stays tiny, and SQLite uses it
    for a query whose WHERE is this one (schema.ABSENT_PHOTOS)."""
    _run(
        con,
        "CREATE INDEX IF NOT EXISTS ix_photos_absent ON photos (id) "
        "WHERE state != 'ok' OR missing_since IS NOT NULL",
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1_core,
    _v2_organise,
    _v3_tags,
    _v4_people,
    _v5_metadata_source,
    _v6_captions_and_rotation,
    _v7_absent_photos_index,
]
LATEST_VERSION = len(MIGRATIONS)


def schema_version(con: sqlite3.Connection) -> int:
    return con.execute("PRAGMA user_version").fetchone()[0]


def _backup(
    con: sqlite3.Connection, db_path: Path, backups_dir: Path, version: int, capabilities: str = ""
) -> Path:
    backups_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = backups_dir / f"{db_path.stem}-v{version}{capabilities}-{stamp}.db"
    dest = sqlite3.connect(target)
    try:
        con.backup(dest)  # consistent even while WAL holds uncheckpointed pages
    finally:
        dest.close()
    return target


def _check_identity(con: sqlite3.Connection, db_path: Path) -> int:
    """The schema version of a readable photoorg database; a clear error otherwise."""
    try:
        found = schema_version(con)
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        has_tables = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "locked" not in str(exc):
            raise LibraryError(f"Can't open the library database {db_path}: {exc}") from None
        from photoorg.config import LibraryPaths
        from photoorg.doctor import damaged_error

        raise damaged_error(LibraryPaths(db_path.parent), str(exc)) from None
    if has_tables and app_id != APPLICATION_ID:
        raise LibraryError(f"{db_path} is an SQLite file but not a photoorg library.")
    if found > LATEST_VERSION:
        raise NewerDatabaseError(
            f"The library at {db_path.parent} was written by a newer version of photoorg "
            f"(schema version {found}; this version knows up to {LATEST_VERSION}). "
            "Update photoorg to open it. The library was not changed."
        )
    return found


def check_current(db_path: Path, schemas: Sequence[SchemaChain] = ()) -> int:
    """For a library opened read-only: it must exist and need no migration,
    of the core's tables or of any capability's."""
    if not db_path.is_file():
        raise LibraryError(f"There is no library at {db_path.parent}, and the folder is read-only.")
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise LibraryError(f"Can't open the library database {db_path}: {exc}") from exc
    try:
        found = _check_identity(con, db_path)
        chains = _pending_chains(con, db_path, found, schemas)
    finally:
        con.close()
    if found < LATEST_VERSION or chains:
        raise LibraryError(
            f"The library at {db_path.parent} needs an upgrade to this version of photoorg, "
            "which can't be done while it is read-only. Open it once where it can be written."
        )
    return found


def capability_version(con: sqlite3.Connection, name: str) -> int:
    """The version of a capability's own tables in this database (0: none yet)."""
    row = con.execute("SELECT value FROM settings WHERE key = ?", (_version_key(name),)).fetchone()
    return int(json.loads(row[0])) if row and row[0] is not None else 0


def _version_key(name: str) -> str:
    return f"schema.{name}"


def _pending_chains(
    con: sqlite3.Connection, db_path: Path, found: int, schemas: Sequence[SchemaChain]
) -> list[tuple[SchemaChain, int]]:
    """The chains with steps to run, each with the version it is at."""
    pending = []
    for chain in schemas:
        at = capability_version(con, chain.name) if found > 0 else 0
        if at > chain.latest:
            raise NewerDatabaseError(
                f"The library at {db_path.parent} was written by a newer version of photoorg "
                f"(the {chain.name} tables are at version {at}; this version knows up to {chain.latest}). "
                "Update photoorg to open it. The library was not changed."
            )
        if at < chain.latest:
            pending.append((chain, at))
    return pending


def _step(con: sqlite3.Connection, apply: Callable[[], None]) -> None:
    """One migration step: its own transaction, rolled back whole on any error."""
    con.execute("BEGIN IMMEDIATE")
    try:
        apply()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _core_step(con: sqlite3.Connection, version: int) -> None:
    MIGRATIONS[version - 1](con)
    con.execute(f"PRAGMA user_version = {version}")
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _capability_step(con: sqlite3.Connection, chain: SchemaChain, version: int) -> None:
    chain.migrations[version - 1](con)
    con.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
        (_version_key(chain.name), json.dumps(version)),
    )


def migrate(
    db_path: Path,
    backups_dir: Path,
    *,
    target: int = LATEST_VERSION,
    schemas: Sequence[SchemaChain] = (),
) -> int:
    """Bring the database at ``db_path`` to ``target``, then the capabilities'
    chains in ``schemas`` to their latest (only when ``target`` is the latest:
    their tables may build on the core's). Returns the core version found.

    Raises :class:`NewerDatabaseError` for a database from a newer photoorg and
    :class:`LibraryError` for a file that is not a photoorg library.
    """
    try:
        con = sqlite3.connect(db_path, isolation_level=None)
    except sqlite3.Error as exc:
        raise LibraryError(f"Can't open the library database {db_path}: {exc}") from exc
    try:
        found = _check_identity(con, db_path)
        chains = _pending_chains(con, db_path, found, schemas) if target == LATEST_VERSION else []
        if found >= target and not chains:
            return found
        if found > 0:
            # One copy before anything changes, named after what is about to migrate.
            _backup(con, db_path, backups_dir, found, "".join(f"-{c.name}{at}" for c, at in chains))
        con.execute("PRAGMA foreign_keys=OFF")  # migrations may rebuild tables
        for version in range(found + 1, target + 1):
            _step(con, lambda version=version: _core_step(con, version))
        for chain, at in chains:
            for version in range(at + 1, chain.latest + 1):
                _step(con, lambda chain=chain, version=version: _capability_step(con, chain, version))
        return found
    finally:
        con.close()
