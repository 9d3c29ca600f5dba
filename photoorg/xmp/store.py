"""What the XMP capability keeps in the library.

- ``xmp_photos``: per photo, what was read last (the sidecar and its mtime,
  the file's size and mtime), so a re-index reads again only what changed;
  the label and regions read (shown by ``show``, matched again when faces
  change); and ``applied``: the values the last import put into photoorg.
  A value that still equals what was imported is the other tool's and may be
  replaced by a newer one; a value the user has changed since is theirs and
  is kept.
- ``xmp_pending``: photos whose user decisions changed while write-back was
  on, filled by triggers in the same transaction as the change. Every path that
  changes a rating, a favourite, a caption, a user tag or a person (CLI, app,
  bulk) queues the photo without knowing about XMP; the queue is written out
  by :mod:`photoorg.xmp.sync` off the GUI thread, after CLI commands and after
  index runs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, delete, insert, select
from sqlalchemy.orm import Session

from photoorg.store.types import FsPath, JsonText
from photoorg.xmp.settings import EMBEDDED, SIDECAR, WRITE_BACK_SETTING

_meta = MetaData()

xmp_photos = Table(
    "xmp_photos",
    _meta,
    Column("photo_id", Integer, primary_key=True),
    Column("sidecar", FsPath, nullable=True),
    Column("sidecar_mtime_ns", Integer, nullable=True),
    Column("file_size", Integer, nullable=False),
    Column("file_mtime_ns", Integer, nullable=False),
    Column("faces", Integer, nullable=False, default=0),
    Column("label", String(100), nullable=True),
    Column("applied", JsonText, nullable=True),
    Column("regions", JsonText, nullable=True),
    Column("error", Text, nullable=True),
    Column("read_at", DateTime, nullable=False),
)

xmp_pending = Table("xmp_pending", _meta, Column("photo_id", Integer, primary_key=True))

# Triggers fire only while write-back is on: with it off (the default) a
# rating costs one settings lookup more, and nothing queues.
_WRITE_BACK_ON = (
    f"(SELECT value FROM settings WHERE key = '{WRITE_BACK_SETTING}') IN ('\"{SIDECAR}\"', '\"{EMBEDDED}\"')"
)


def _queue(select_ids: str) -> str:
    return f"INSERT OR IGNORE INTO xmp_pending (photo_id) {select_ids};"


_STATEMENTS = (
    """
    CREATE TABLE IF NOT EXISTS xmp_photos (
        photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
        sidecar TEXT, sidecar_mtime_ns INTEGER,
        file_size INTEGER NOT NULL, file_mtime_ns INTEGER NOT NULL,
        faces INTEGER NOT NULL DEFAULT 0,
        label TEXT, applied TEXT, regions TEXT, error TEXT,
        read_at DATETIME NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS ix_xmp_photos_label ON xmp_photos(label)",
    """
    CREATE TABLE IF NOT EXISTS xmp_pending (
        photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE
    )
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS xmp_queue_marks AFTER UPDATE OF rating, favorite, caption ON photos
    WHEN (OLD.rating IS NOT NEW.rating OR OLD.favorite IS NOT NEW.favorite OR OLD.caption IS NOT NEW.caption)
        AND {_WRITE_BACK_ON}
    BEGIN {_queue("VALUES (NEW.id)")} END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS xmp_queue_tag_added AFTER INSERT ON photo_tags
    WHEN NEW.source = 'user' AND {_WRITE_BACK_ON}
    BEGIN {_queue("VALUES (NEW.photo_id)")} END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS xmp_queue_tag_changed AFTER UPDATE ON photo_tags
    WHEN NEW.source = 'user' AND OLD.state IS NOT NEW.state AND {_WRITE_BACK_ON}
    BEGIN {_queue("VALUES (NEW.photo_id)")} END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS xmp_queue_tag_removed AFTER DELETE ON photo_tags
    WHEN OLD.source = 'user' AND {_WRITE_BACK_ON}
    BEGIN {_queue("SELECT OLD.photo_id WHERE EXISTS (SELECT 1 FROM photos WHERE id = OLD.photo_id)")} END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS xmp_queue_tag_renamed AFTER UPDATE OF name, parent_id ON tags
    WHEN (OLD.name IS NOT NEW.name OR OLD.parent_id IS NOT NEW.parent_id) AND {_WRITE_BACK_ON}
    BEGIN {_queue("SELECT photo_id FROM photo_tags WHERE tag_id = NEW.id AND source = 'user'")} END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS xmp_queue_face_moved AFTER UPDATE OF person_id ON faces
    WHEN OLD.person_id IS NOT NEW.person_id AND {_WRITE_BACK_ON}
    BEGIN {_queue("VALUES (NEW.photo_id)")} END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS xmp_queue_person_named AFTER UPDATE OF name ON people
    WHEN OLD.name IS NOT NEW.name AND {_WRITE_BACK_ON}
    BEGIN {_queue("SELECT DISTINCT photo_id FROM faces WHERE person_id = NEW.id")} END
    """,
)


def create_tables(con: sqlite3.Connection) -> None:
    """Migration 1 of the xmp capability."""
    # One statement at a time (executescript would commit the migration's
    # transaction halfway); trigger bodies hold semicolons, so no splitting.
    for statement in _STATEMENTS:
        con.execute(statement)


@dataclass
class PhotoState:
    """A photo's ``xmp_photos`` row."""

    photo_id: int
    sidecar: str | None
    sidecar_mtime_ns: int | None
    file_size: int
    file_mtime_ns: int
    faces: int = 0
    label: str | None = None
    applied: dict = field(default_factory=dict)
    regions: list = field(default_factory=list)
    error: str | None = None


def load_states(session: Session, photo_ids: Iterable[int] | None = None) -> dict[int, PhotoState]:
    query = select(xmp_photos)
    if photo_ids is not None:
        query = query.where(xmp_photos.c.photo_id.in_(list(photo_ids)))
    states = {}
    for row in session.execute(query).mappings():
        states[row["photo_id"]] = PhotoState(
            photo_id=row["photo_id"],
            sidecar=row["sidecar"],
            sidecar_mtime_ns=row["sidecar_mtime_ns"],
            file_size=row["file_size"],
            file_mtime_ns=row["file_mtime_ns"],
            faces=row["faces"],
            label=row["label"],
            applied=row["applied"] or {},
            regions=row["regions"] or [],
            error=row["error"],
        )
    return states


def save_state(session: Session, state: PhotoState) -> None:
    session.execute(delete(xmp_photos).where(xmp_photos.c.photo_id == state.photo_id))
    session.execute(
        insert(xmp_photos).values(
            photo_id=state.photo_id,
            sidecar=state.sidecar,
            sidecar_mtime_ns=state.sidecar_mtime_ns,
            file_size=state.file_size,
            file_mtime_ns=state.file_mtime_ns,
            faces=state.faces,
            label=state.label,
            applied=state.applied or None,
            regions=state.regions or None,
            error=state.error,
            read_at=datetime.now(),
        )
    )


def pending_ids(session: Session) -> list[int]:
    return list(session.scalars(select(xmp_pending.c.photo_id).order_by(xmp_pending.c.photo_id)))


def unqueue(session: Session, photo_ids: Iterable[int]) -> None:
    session.execute(delete(xmp_pending).where(xmp_pending.c.photo_id.in_(list(photo_ids))))
