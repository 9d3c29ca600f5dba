"""Items made of several files: a RAW+JPEG pair, a Live Photo (a still and its
short video). The capabilities say which file shows as part of which (see
photoorg/extensions/item_marks.py); here the listings apply it, and moving or
trashing an item finds the files that go with it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from photoorg.extensions.item_marks import ItemMark, ItemRef, item_markers
from photoorg.scan.formats import media_formats
from photoorg.search.filters import visible_photos
from photoorg.store.schema import Photo

#: browse.PhotoRow: a named tuple with id, path, format, badge and motion
Row = TypeVar("Row")


def with_marks(session: Session, rows: list[Row]) -> list[Row]:
    """The rows with the capabilities' marks (see extensions/item_marks.py): a
    badge, a video for hover, and the files that show as part of another
    listed item (a RAW beside its JPEG) left out."""
    markers = item_markers()
    if not markers or not rows:
        return rows
    refs = [ItemRef(row.id, row.path, row.format) for row in rows]
    marks: dict[int, ItemMark] = {}
    for marker in markers:
        for photo_id, mark in marker(session, refs).items():
            marks[photo_id] = _combined(marks.get(photo_id), mark)
    if not marks:
        return rows
    listed = {row.id for row in rows}
    shown: list[Row] = []
    for row in rows:
        mark = marks.get(row.id)
        if mark is None:
            shown.append(row)
        elif mark.lead is None or mark.lead not in listed:
            shown.append(row._replace(badge=mark.badge, motion=mark.motion))
    return shown


def _combined(first: ItemMark | None, second: ItemMark) -> ItemMark:
    if first is None:
        return second
    return ItemMark(
        badge=" · ".join(b for b in (first.badge, second.badge) if b) or None,
        lead=first.lead if first.lead is not None else second.lead,
        motion=first.motion or second.motion,
    )


def companions(session: Session, photo_ids: Iterable[int]) -> dict[int, list[int]]:
    """photo id -> the ids of the files that show as part of it (its RAW file,
    its Live Photo video): moving or trashing the photo takes them along."""
    ids = set(photo_ids)
    markers = item_markers()
    if not markers or not ids:
        return {}
    folders = set(session.scalars(select(Photo.folder).where(Photo.id.in_(list(ids)))))
    refs = [
        ItemRef(*row)
        for row in session.execute(
            select(Photo.id, Photo.path, Photo.format).where(
                Photo.folder.in_(list(folders)), visible_photos()
            )
        )
    ]
    found: dict[int, list[int]] = {}
    for marker in markers:
        for photo_id, mark in marker(session, refs).items():
            if mark.lead in ids and photo_id not in ids:
                found.setdefault(mark.lead, []).append(photo_id)
    return found


def hidden_companions(session: Session) -> list[tuple[str, datetime]]:
    """(folder, date) of every visible file that shows inside another item (a
    RAW beside its JPEG): the sidebar's counts leave them out, as the grid does.
    Only folders that hold a file a media reader read can have one."""
    markers = item_markers()
    formats = media_formats()
    if not markers or not formats:
        return []
    with_media = select(Photo.folder).where(Photo.format.in_(sorted(formats)), visible_photos())
    rows = session.execute(
        select(Photo.id, Photo.path, Photo.format, Photo.folder, Photo.date).where(
            visible_photos(), Photo.folder.in_(with_media)
        )
    ).all()
    refs = [ItemRef(r.id, r.path, r.format) for r in rows]
    listed = {r.id for r in rows}
    hidden: set[int] = set()
    for marker in markers:
        for photo_id, mark in marker(session, refs).items():
            if mark.lead in listed:
                hidden.add(photo_id)
    return [(r.folder, r.date) for r in rows if r.id in hidden]
