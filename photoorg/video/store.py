"""The video capability's tables: what a video is (duration, codec, the time
of its poster frame) and the CLIP vectors of its keyframes, each with the
time it shows, for search by scene."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy.orm import Session

from photoorg.video.probe import VideoFacts

#: bumped by the writer when keyframe vectors change: the scene index reloads
FRAMES_GENERATION = "video_frames"
FRAMES_TABLE = "video_frames"


def create_tables(con: sqlite3.Connection) -> None:
    """Migration 1 of the video capability."""
    statements = (
        """CREATE TABLE IF NOT EXISTS video_info (
            photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
            duration_s REAL NOT NULL,
            codec TEXT,
            fps REAL,
            poster_s REAL NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE IF NOT EXISTS video_frames (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
            time_s REAL NOT NULL,
            vector BLOB NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS ix_video_frames_model ON video_frames(model_id, id)",
        "CREATE INDEX IF NOT EXISTS ix_video_frames_photo ON video_frames(photo_id)",
    )
    for statement in statements:  # one at a time: executescript would commit halfway
        con.execute(statement)


def save_info(session: Session, photo_id: int, facts: VideoFacts, poster_s: float) -> None:
    session.connection().exec_driver_sql(
        "INSERT OR REPLACE INTO video_info (photo_id, duration_s, codec, fps, poster_s) "
        "VALUES (?, ?, ?, ?, ?)",
        (photo_id, facts.duration_s, facts.codec, facts.fps, poster_s),
    )


def copy_info(session: Session, source_id: int, target_id: int) -> bool:
    result = session.connection().exec_driver_sql(
        "INSERT OR REPLACE INTO video_info (photo_id, duration_s, codec, fps, poster_s) "
        "SELECT ?, duration_s, codec, fps, poster_s FROM video_info WHERE photo_id = ?",
        (target_id, source_id),
    )
    return result.rowcount > 0


def forget_info(session: Session, photo_id: int) -> None:
    session.connection().exec_driver_sql("DELETE FROM video_info WHERE photo_id = ?", (photo_id,))


def info_of(session: Session, photo_id: int) -> dict | None:
    row = (
        session.connection()
        .exec_driver_sql(
            "SELECT duration_s, codec, fps, poster_s FROM video_info WHERE photo_id = ?", (photo_id,)
        )
        .first()
    )
    if row is None:
        return None
    return {"duration_s": row[0], "codec": row[1], "fps": row[2], "poster_s": row[3]}


def durations(session: Session, photo_ids: Iterable[int]) -> dict[int, float]:
    """photo id -> seconds, for the videos among ``photo_ids``."""
    ids = list(photo_ids)
    found: dict[int, float] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        query = f"SELECT photo_id, duration_s FROM video_info WHERE photo_id IN ({marks})"
        found.update(session.connection().exec_driver_sql(query, tuple(chunk)).all())
    return found


def save_frames(
    session: Session, photo_id: int, model_id: int, frames: Sequence[tuple[float, np.ndarray]]
) -> None:
    """Replace the video's keyframe vectors: new row ids tell the scene index
    what changed (as for the photos' embeddings)."""
    forget_frames(session, photo_id, model_id)
    session.connection().exec_driver_sql(
        "INSERT INTO video_frames (photo_id, model_id, time_s, vector) VALUES (?, ?, ?, ?)",
        [
            (photo_id, model_id, float(seconds), np.asarray(vector, dtype="<f4").tobytes())
            for seconds, vector in frames
        ],
    )


def copy_frames(session: Session, source_id: int, target_id: int, model_id: int) -> bool:
    rows = frames_of(session, source_id, model_id)
    if not rows:
        return False
    save_frames(session, target_id, model_id, rows)
    return True


def forget_frames(session: Session, photo_id: int, model_id: int) -> None:
    session.connection().exec_driver_sql(
        "DELETE FROM video_frames WHERE photo_id = ? AND model_id = ?", (photo_id, model_id)
    )


def frames_of(session: Session, photo_id: int, model_id: int) -> list[tuple[float, np.ndarray]]:
    rows = session.connection().exec_driver_sql(
        "SELECT time_s, vector FROM video_frames WHERE photo_id = ? AND model_id = ? ORDER BY time_s",
        (photo_id, model_id),
    )
    return [(float(t), np.frombuffer(v, dtype="<f4")) for t, v in rows]
