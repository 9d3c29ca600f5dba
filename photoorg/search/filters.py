"""Filters that narrow a search or a browse: folder, dates, camera, and the
user's own marks. Capabilities add their own clauses
(:mod:`photoorg.extensions.filter_clauses`), so this module never needs to
know them. ``tags``, ``excluded_tags`` and ``people`` predate that and stay
fields; a new capability keeps its values under its key in ``extra``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.sql import Select

from photoorg.extensions import filter_clauses as extension_clauses
from photoorg.roots import normalise, prefix_range
from photoorg.store.schema import PHOTO_OK, AlbumPhoto, Photo, PhotoGroupMember


@dataclass(frozen=True)
class SearchFilters:
    folder: str | None = None
    date_from: date | None = None  # inclusive
    date_to: date | None = None  # inclusive
    camera: str | None = None  # matched against make and model, case-insensitive
    album_id: int | None = None
    group_id: int | None = None  # an event or a visual group
    favorites_only: bool = False
    min_rating: int = 0
    tags: tuple[str, ...] = ()  # all must be present
    excluded_tags: tuple[str, ...] = ()
    people: tuple[str, ...] = ()  # all must be in the photo (names or ids)
    #: capability name -> its filter values (read by its registered clause)
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def active(self) -> bool:
        return any(
            (
                self.folder,
                self.date_from,
                self.date_to,
                self.camera,
                self.album_id is not None,
                self.group_id is not None,
                self.favorites_only,
                self.min_rating,
                self.tags,
                self.excluded_tags,
                self.people,
                self.extra,
            )
        )

    def merged(self, other: SearchFilters) -> SearchFilters:
        """These filters with ``other``'s set fields on top (query text over flags)."""
        changes = {}
        for name in ("folder", "date_from", "date_to", "camera", "album_id", "group_id"):
            value = getattr(other, name)
            if value is not None:
                changes[name] = value
        if other.favorites_only:
            changes["favorites_only"] = True
        if other.min_rating:
            changes["min_rating"] = other.min_rating
        for name in ("tags", "excluded_tags", "people"):
            changes[name] = tuple(dict.fromkeys(getattr(self, name) + getattr(other, name)))
        if other.extra:
            changes["extra"] = {**self.extra, **other.extra}
        return replace(self, **changes)


def visible_photos() -> ColumnElement:
    """Photos a user can see: readable and where the index says they are."""
    return and_(Photo.state == PHOTO_OK, Photo.missing_since.is_(None))


def filter_clauses(filters: SearchFilters) -> list[ColumnElement]:
    clauses: list[ColumnElement] = []
    if filters.folder:
        low, high = prefix_range(normalise(filters.folder))
        clauses.append(and_(Photo.path >= low, Photo.path < high))
    if filters.date_from:
        clauses.append(Photo.date >= datetime.combine(filters.date_from, time.min))
    if filters.date_to:
        clauses.append(Photo.date < datetime.combine(filters.date_to + timedelta(days=1), time.min))
    if filters.camera:
        needle = f"%{filters.camera.lower()}%"
        clauses.append(
            or_(
                func.lower(Photo.camera_model).like(needle),
                func.lower(Photo.camera_make).like(needle),
                func.lower(
                    func.coalesce(Photo.camera_make, "") + " " + func.coalesce(Photo.camera_model, "")
                ).like(needle),
            )
        )
    if filters.album_id is not None:
        clauses.append(
            Photo.id.in_(select(AlbumPhoto.photo_id).where(AlbumPhoto.album_id == filters.album_id))
        )
    if filters.group_id is not None:
        clauses.append(
            Photo.id.in_(
                select(PhotoGroupMember.photo_id).where(PhotoGroupMember.group_id == filters.group_id)
            )
        )
    if filters.favorites_only:
        clauses.append(Photo.favorite.is_(True))
    if filters.min_rating:
        clauses.append(Photo.rating >= filters.min_rating)
    for extension_clause in extension_clauses.filter_clauses():
        clause = extension_clause(filters)
        if clause is not None:
            clauses.append(clause)
    return clauses


def filtered_photo_ids(filters: SearchFilters) -> Select:
    return select(Photo.id).where(visible_photos(), *filter_clauses(filters)).order_by(Photo.id)
