"""What the user adds to a photo without touching its file: a caption, and a
rotation the app shows it with (the original is never rewritten)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import update

from photoorg.errors import PhotoorgError
from photoorg.roots import PHOTOS_GENERATION
from photoorg.store.db import Database, bump_generation
from photoorg.store.schema import Photo

MAX_CAPTION = 2000


def set_caption(db: Database, photo_id: int, caption: str | None) -> str | None:
    """Store the caption (blank clears it); returns what was stored."""
    text = (caption or "").strip() or None
    if text is not None and len(text) > MAX_CAPTION:
        raise PhotoorgError(f"A caption is at most {MAX_CAPTION} characters (this one has {len(text)}).")
    with db.transaction() as s:
        found = s.execute(update(Photo).where(Photo.id == photo_id).values(caption=text)).rowcount
        if not found:
            raise PhotoorgError(f"No photo with id {photo_id}.")
        bump_generation(s, PHOTOS_GENERATION)
    return text


def rotate(db: Database, photo_ids: Iterable[int], quarter_turns: int) -> None:
    """Turn photos by quarter turns (1: 90° clockwise, -1: anticlockwise) for display."""
    ids = sorted(set(photo_ids))
    if not ids:
        return
    degrees = (quarter_turns % 4) * 90  # Python's % : -1 turn is 270°, so the sum stays positive
    with db.transaction() as s:
        s.execute(update(Photo).where(Photo.id.in_(ids)).values(rotation=(Photo.rotation + degrees) % 360))
        bump_generation(s, PHOTOS_GENERATION)
