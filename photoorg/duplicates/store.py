"""The duplicates capability's tables (its own schema chain) and their reads.

- ``dup_fingerprints``: per photo, the hashes (fingerprint.py) as little-endian
  int64 blobs and the quality record (quality.py).
- ``dup_groups`` / ``dup_members``: the groups found after the last index run,
  with each member's score, the suggested keeper and why, in words.
- ``dup_reviewed``: groups the user decided to keep whole ("keep all"), by
  their members, so the next grouping does not offer them again.
- ``dup_face_eyes``: the eye aspect ratio of a face, measured once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from photoorg.duplicates.fingerprint import Fingerprint
from photoorg.duplicates.quality import Quality

KIND_EXACT, KIND_NEAR, KIND_BURST = "exact", "near", "burst"


def create_tables(con: sqlite3.Connection) -> None:
    """Migration 1 of the duplicates capability."""
    for statement in (
        """CREATE TABLE IF NOT EXISTS dup_fingerprints (
            photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
            phash BLOB NOT NULL, dhash BLOB NOT NULL,
            window_phash BLOB NOT NULL, window_dhash BLOB NOT NULL,
            sharpness REAL NOT NULL, noise REAL NOT NULL,
            highlights REAL NOT NULL, shadows REAL NOT NULL, brightness REAL NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS dup_groups (
            id INTEGER PRIMARY KEY, kind TEXT NOT NULL, signature TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS dup_members (
            group_id INTEGER NOT NULL REFERENCES dup_groups(id) ON DELETE CASCADE,
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            rank INTEGER NOT NULL, score REAL NOT NULL, keep INTEGER NOT NULL, why TEXT NOT NULL,
            PRIMARY KEY (group_id, photo_id))""",
        "CREATE INDEX IF NOT EXISTS ix_dup_members_photo ON dup_members(photo_id)",
        "CREATE TABLE IF NOT EXISTS dup_reviewed (signature TEXT PRIMARY KEY, decided_at TEXT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS dup_face_eyes (
            face_id INTEGER PRIMARY KEY REFERENCES faces(id) ON DELETE CASCADE, ear REAL)""",
    ):
        con.execute(statement)


def pack(values: Sequence[int]) -> bytes:
    return np.asarray(values, dtype="<i8").tobytes()


def unpack(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<i8")


def save_fingerprint(session: Session, photo_id: int, fp: Fingerprint, q: Quality) -> None:
    session.connection().exec_driver_sql(
        "INSERT OR REPLACE INTO dup_fingerprints (photo_id, phash, dhash, window_phash, window_dhash, "
        "sharpness, noise, highlights, shadows, brightness) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            photo_id,
            pack(fp.phash),
            pack(fp.dhash),
            pack(fp.window_phash),
            pack(fp.window_dhash),
            q.sharpness,
            q.noise,
            q.highlights,
            q.shadows,
            q.brightness,
        ),
    )


def copy_fingerprint(session: Session, source_id: int, target_id: int) -> bool:
    result = session.connection().exec_driver_sql(
        "INSERT OR REPLACE INTO dup_fingerprints SELECT ?, phash, dhash, window_phash, window_dhash, "
        "sharpness, noise, highlights, shadows, brightness FROM dup_fingerprints WHERE photo_id = ?",
        (target_id, source_id),
    )
    return result.rowcount > 0


def forget(session: Session, photo_id: int) -> None:
    session.connection().exec_driver_sql("DELETE FROM dup_fingerprints WHERE photo_id = ?", (photo_id,))


def quality_of(session: Session, photo_id: int) -> Quality | None:
    row = (
        session.connection()
        .exec_driver_sql(
            "SELECT sharpness, noise, highlights, shadows, brightness FROM dup_fingerprints "
            "WHERE photo_id = ?",
            (photo_id,),
        )
        .first()
    )
    return Quality(*row) if row else None


@dataclass(frozen=True)
class StoredMember:
    photo_id: int
    score: float
    keep: bool
    why: str


@dataclass(frozen=True)
class StoredGroup:
    id: int
    kind: str
    members: tuple[StoredMember, ...]  # best first

    @property
    def signature(self) -> str:
        return signature(m.photo_id for m in self.members)


def signature(photo_ids: Iterable[int]) -> str:
    return ",".join(str(i) for i in sorted(photo_ids))


def replace_groups(session: Session, groups: Iterable[tuple[str, Sequence[StoredMember]]]) -> int:
    """Write the groups found now in place of the last ones; returns how many."""
    con = session.connection()
    con.exec_driver_sql("DELETE FROM dup_members")
    con.exec_driver_sql("DELETE FROM dup_groups")
    count = 0
    for kind, members in groups:
        cursor = con.exec_driver_sql(
            "INSERT INTO dup_groups (kind, signature) VALUES (?, ?)",
            (kind, signature(m.photo_id for m in members)),
        )
        group_id = cursor.lastrowid
        con.exec_driver_sql(
            "INSERT INTO dup_members (group_id, photo_id, rank, score, keep, why) VALUES (?, ?, ?, ?, ?, ?)",
            [(group_id, m.photo_id, rank, m.score, int(m.keep), m.why) for rank, m in enumerate(members)],
        )
        count += 1
    return count


def load_groups(
    session: Session, kinds: Sequence[str] = (KIND_EXACT, KIND_NEAR, KIND_BURST)
) -> list[StoredGroup]:
    """The groups of photos still in the library (a trashed copy drops out),
    two members at least, in the order found."""
    marks = ",".join("?" * len(kinds))
    rows = session.connection().exec_driver_sql(
        "SELECT g.id, g.kind, m.photo_id, m.score, m.keep, m.why FROM dup_groups g "
        "JOIN dup_members m ON m.group_id = g.id JOIN photos p ON p.id = m.photo_id "
        f"WHERE g.kind IN ({marks}) AND p.missing_since IS NULL ORDER BY g.id, m.rank",
        tuple(kinds),
    )
    groups: dict[int, tuple[str, list[StoredMember]]] = {}
    for group_id, kind, photo_id, score, keep, why in rows:
        groups.setdefault(group_id, (kind, []))[1].append(StoredMember(photo_id, score, bool(keep), why))
    return [
        StoredGroup(gid, kind, tuple(members)) for gid, (kind, members) in groups.items() if len(members) > 1
    ]


def reviewed_signatures(session: Session) -> set[str]:
    return {row[0] for row in session.connection().exec_driver_sql("SELECT signature FROM dup_reviewed")}


def mark_reviewed(session: Session, photo_ids: Iterable[int], when: str) -> None:
    session.connection().exec_driver_sql(
        "INSERT OR REPLACE INTO dup_reviewed (signature, decided_at) VALUES (?, ?)",
        (signature(photo_ids), when),
    )
