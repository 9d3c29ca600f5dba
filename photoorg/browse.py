"""Listing photos for browsing: the grid's rows, the folder tree, the timeline,
albums and the "needs attention" list. Plain data; both front ends use it."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select

from photoorg.companions import hidden_companions, with_marks
from photoorg.display import clock_text
from photoorg.scan.metadata import camera_label
from photoorg.search.filters import SearchFilters, filter_clauses, visible_photos
from photoorg.status import failure_count
from photoorg.store.db import Database
from photoorg.store.schema import Album, AlbumPhoto, Photo, Root

SORT_NEWEST = "newest"
SORT_OLDEST = "oldest"
SORT_NAME = "name"


class PhotoRow(NamedTuple):
    """What the grid needs to draw one photo without another query. A tuple:
    comparing 100,000 of them (did anything change?) runs in C."""

    id: int
    path: str
    content_hash: str | None
    date: datetime
    width: int | None
    height: int | None
    rating: int
    favorite: bool
    date_source: str | None = None  # "file": no date inside the photo, ``date`` is an estimate
    rotation: int = 0  # degrees clockwise the user turned it (the file is untouched)
    format: str | None = None  # "JPEG", "MP4", "CR2"...
    badge: str | None = None  # a capability's words on the tile: "0:42", "RAW+JPEG", "LIVE"
    motion: str | None = None  # a video to play on hover (a Live Photo's)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


_ROW_COLUMNS = (
    Photo.id,
    Photo.path,
    Photo.content_hash,
    Photo.date,
    Photo.width,
    Photo.height,
    Photo.rating,
    Photo.favorite,
    Photo.date_source,
    Photo.rotation,
    Photo.format,
)


def _order(sort: str):
    if sort == SORT_OLDEST:
        return (Photo.date.asc(), Photo.id.asc())
    if sort == SORT_NAME:
        return (Photo.path.asc(),)
    return (Photo.date.desc(), Photo.id.desc())


def list_photos(
    db: Database, filters: SearchFilters | None = None, sort: str = SORT_NEWEST
) -> list[PhotoRow]:
    query = (
        select(*_ROW_COLUMNS)
        .where(visible_photos(), *filter_clauses(filters or SearchFilters()))
        .order_by(*_order(sort))
    )
    with db.session() as s:
        return with_marks(s, [PhotoRow(*row) for row in s.execute(query)])


def rows_for_ids(db: Database, ids: list[int]) -> list[PhotoRow]:
    """Rows for these photo ids, in the order given (search results)."""
    found: dict[int, PhotoRow] = {}
    with db.session() as s:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in s.execute(select(*_ROW_COLUMNS).where(Photo.id.in_(chunk))):
                found[row[0]] = PhotoRow(*row)
        return with_marks(s, [found[i] for i in ids if i in found])


def rows_for_hits(db: Database, hits: list) -> list[PhotoRow]:
    """Rows for search hits, in their order; a hit inside a video (its best
    keyframe, ``SearchHit.at``) says where on the tile's badge ("1:15 · at 0:42")."""
    rows = rows_for_ids(db, [hit.photo_id for hit in hits])
    times = {hit.photo_id: hit.at for hit in hits if getattr(hit, "at", None) is not None}
    if not times:
        return rows
    return [
        row._replace(badge=" · ".join(filter(None, [row.badge, f"at {clock_text(times[row.id])}"])))
        if row.id in times
        else row
        for row in rows
    ]


@dataclass
class FolderNode:
    path: str
    name: str
    count: int  # photos in this folder and below
    children: list[FolderNode]
    online: bool = True


def folder_tree(db: Database) -> list[FolderNode]:
    """One tree per root: every folder that holds photos, with recursive counts."""
    with db.session() as s:
        roots = list(s.execute(select(Root.id, Root.path).order_by(Root.path)))
        per_folder = dict(
            s.execute(select(Photo.folder, func.count()).where(visible_photos()).group_by(Photo.folder)).all()
        )
        for folder, _date in hidden_companions(s):
            per_folder[folder] -= 1
    trees = []
    for _root_id, root_path in roots:
        nodes: dict[str, FolderNode] = {
            root_path: FolderNode(
                root_path, os.path.basename(root_path) or root_path, 0, [], os.path.isdir(root_path)
            )
        }
        for folder, count in sorted(per_folder.items()):
            if folder != root_path and not folder.startswith(root_path.rstrip(os.sep) + os.sep):
                continue
            # Create the chain of folders from the root down to this one.
            current = folder
            chain = []
            while current not in nodes:
                chain.append(current)
                current = os.path.dirname(current)
            for path in reversed(chain):
                node = FolderNode(path, os.path.basename(path), 0, [])
                nodes[os.path.dirname(path)].children.append(node)
                nodes[path] = node
            # Count it in every ancestor up to the root.
            current = folder
            while True:
                nodes[current].count += count
                if current == root_path:
                    break
                current = os.path.dirname(current)
        trees.append(nodes[root_path])
    return trees


@dataclass(frozen=True)
class TimelineMonth:
    year: int
    month: int
    count: int


def timeline(db: Database) -> list[TimelineMonth]:
    """Photo counts per month, newest first."""
    year = func.strftime("%Y", Photo.date)
    month = func.strftime("%m", Photo.date)
    with db.session() as s:
        rows = s.execute(
            select(year, month, func.count())
            .where(visible_photos())
            .group_by(year, month)
            .order_by(year.desc(), month.desc())
        ).all()
        hidden = Counter((f"{date:%Y}", f"{date:%m}") for _folder, date in hidden_companions(s))
    months = [(y, m, c - hidden[(y, m)]) for y, m, c in rows if y and m]
    return [TimelineMonth(int(y), int(m), c) for y, m, c in months if c > 0]


@dataclass(frozen=True)
class AlbumInfo:
    id: int
    name: str
    count: int


def albums(db: Database) -> list[AlbumInfo]:
    with db.session() as s:
        counts = dict(
            s.execute(
                select(AlbumPhoto.album_id, func.count())
                .join(Photo, Photo.id == AlbumPhoto.photo_id)
                .where(visible_photos())
                .group_by(AlbumPhoto.album_id)
            ).all()
        )
        return [
            AlbumInfo(a.id, a.name, counts.get(a.id, 0))
            for a in s.scalars(select(Album).order_by(func.lower(Album.name)))
        ]


def counts(db: Database) -> dict[str, int]:
    """Numbers for the sidebar: all photos, favourites, things needing attention."""
    with db.session() as s:
        total = (s.scalar(select(func.count()).where(visible_photos())) or 0) - len(hidden_companions(s))
        favorites = s.scalar(select(func.count()).where(visible_photos(), Photo.favorite.is_(True))) or 0
    return {"all": total, "favorites": favorites, "attention": failure_count(db)}


def cameras(db: Database) -> list[str]:
    """Camera models present, for the camera filter."""
    with db.session() as s:
        pairs = s.execute(
            select(Photo.camera_make, Photo.camera_model)
            .where(visible_photos(), Photo.camera_model.is_not(None))
            .group_by(Photo.camera_make, Photo.camera_model)
        ).all()
    return sorted({camera_label(make, model) for make, model in pairs if model})
