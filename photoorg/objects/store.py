"""Where located objects live: one row of ``photo_objects`` per box.

A box is in the photo's upright full-size pixels, ``(x, y, w, h)``, like the
faces' and the text lines' boxes. ``source`` says which evidence left it:
``tile`` (the offline tagger's crop that saw it), ``detector`` (the COCO
detector), ``small-face`` (a face too small for the faces stage, as a
person). Faces keep their own table; :func:`located_objects` adds them as
``person`` boxes when a photo's objects are read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.orm import Session

from photoorg.store.schema import Face, Photo

SOURCE_TILE = "tile"
SOURCE_DETECTOR = "detector"
SOURCE_FACE = "face"
SOURCE_SMALL_FACE = "small-face"
#: a small face this close to a face of the faces stage is the same face
SAME_FACE_IOU = 0.3
#: share of photos with a detected face that show a person (the everyday dev set:
#: every one of them did; kept under 1 for faces in posters and prints)
FACE_PRECISION = 0.95


@dataclass(frozen=True)
class LocatedObject:
    label: str
    box: tuple[int, int, int, int]  # x, y, w, h in upright full-size pixels
    confidence: float
    source: str

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "box": list(self.box),
            "confidence": round(float(self.confidence), 3),
            "source": self.source,
        }


def create_tables(con: sqlite3.Connection) -> None:
    """Migration 1 of the objects capability."""
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS photo_objects (
            id INTEGER PRIMARY KEY,
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            label TEXT NOT NULL,
            x INTEGER NOT NULL, y INTEGER NOT NULL, w INTEGER NOT NULL, h INTEGER NOT NULL,
            confidence REAL NOT NULL,
            source TEXT NOT NULL
        )
        """
    )
    con.execute("CREATE INDEX IF NOT EXISTS ix_photo_objects_photo ON photo_objects(photo_id)")
    con.execute("CREATE INDEX IF NOT EXISTS ix_photo_objects_label ON photo_objects(label)")


def save_objects(session: Session, photo_id: int, source: str, objects: Sequence[LocatedObject]) -> None:
    """Replace one source's boxes of a photo (a photo analysed again)."""
    forget(session, photo_id, source)
    if objects:
        session.connection().exec_driver_sql(
            "INSERT INTO photo_objects (photo_id, label, x, y, w, h, confidence, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(photo_id, o.label, *o.box, float(o.confidence), source) for o in objects],
        )


def forget(session: Session, photo_id: int, source: str | None = None) -> None:
    if source is None:
        session.connection().exec_driver_sql("DELETE FROM photo_objects WHERE photo_id = ?", (photo_id,))
    else:
        session.connection().exec_driver_sql(
            "DELETE FROM photo_objects WHERE photo_id = ? AND source = ?", (photo_id, source)
        )


def copy_objects(session: Session, source_id: int, target_id: int, source: str) -> None:
    save_objects(
        session, target_id, source, [o for o in stored_objects(session, source_id) if o.source == source]
    )


def stored_objects(session: Session, photo_id: int) -> list[LocatedObject]:
    rows = session.connection().exec_driver_sql(
        "SELECT label, x, y, w, h, confidence, source FROM photo_objects WHERE photo_id = ? "
        "ORDER BY confidence DESC",
        (photo_id,),
    )
    return [
        LocatedObject(label, (x, y, w, h), confidence, source)
        for label, x, y, w, h, confidence, source in rows
    ]


def face_objects(session: Session, photo_id: int) -> list[LocatedObject]:
    """The photo's faces as ``person`` boxes (a face is where a person is)."""
    rows = session.execute(
        select(Face.x, Face.y, Face.w, Face.h, Face.quality).where(
            Face.photo_id == photo_id, Face.detector != "stale"
        )
    ).all()
    return [
        LocatedObject("person", (x, y, w, h), face_confidence(quality), SOURCE_FACE)
        for x, y, w, h, quality in rows
    ]


def face_confidence(quality: float) -> float:
    """A detected face says "a person is here" with the faces' measured
    precision, a little less for poor faces."""
    return FACE_PRECISION * (0.9 + 0.1 * min(1.0, max(0.0, float(quality))))


def located_objects(session: Session, photo_id: int) -> list[LocatedObject]:
    """Every box of a photo, most confident first: stored objects and faces
    (a small face that the faces stage also found is listed once)."""
    faces = face_objects(session, photo_id)
    stored = [
        o
        for o in stored_objects(session, photo_id)
        if o.source != SOURCE_SMALL_FACE or all(iou(o.box, f.box) < SAME_FACE_IOU for f in faces)
    ]
    return sorted(stored + faces, key=lambda o: -o.confidence)


def iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


#: labels under a tag: the tag named (or with this synonym) and every tag below it
_LABELS_UNDER = """
WITH RECURSIVE start(id) AS (
    SELECT id FROM tags WHERE lower(name) = :label
    OR EXISTS (SELECT 1 FROM json_each(tags.synonyms) WHERE lower(value) = :label)
), below(id) AS (
    SELECT id FROM start UNION SELECT tags.id FROM tags JOIN below ON tags.parent_id = below.id
)
SELECT photo_id FROM photo_objects
WHERE lower(label) = :label OR lower(label) IN (SELECT lower(name) FROM tags WHERE id IN below)
"""


def object_clause(label: str) -> ColumnElement[bool]:
    """Photos with a located object of this label or of a kind under it in the
    tag hierarchy ("object:cat" finds a tile's "egyptian mau"); for ``person``,
    photos with a face too."""
    wanted = " ".join(label.lower().split())
    clause = Photo.id.in_(text(_LABELS_UNDER).bindparams(label=wanted))
    if wanted in ("person", "people"):
        clause = clause | Photo.id.in_(select(Face.photo_id).where(Face.detector != "stale"))
    return clause


def object_counts(session: Session) -> dict[str, int]:
    """Label -> how many photos show it (for `photoorg objects`); a photo with
    a face counts for "person" once, however it was found."""
    rows = session.connection().exec_driver_sql(
        "SELECT label, COUNT(DISTINCT photo_id) FROM ("
        "  SELECT label, photo_id FROM photo_objects"
        "  UNION SELECT 'person', photo_id FROM faces WHERE detector != 'stale'"
        ") GROUP BY label ORDER BY 2 DESC, 1"
    )
    return {label: n for label, n in rows}
