"""Reviewing groups and cleaning up, safely.

Nothing is deleted: the copies go to the system trash through
:func:`photoorg.organize.move_to_trash` (their rows are marked missing, so a
copy restored from the trash comes back as it was). Before that, in one
transaction, the keeper inherits what the user gave the others: the highest
rating, a favourite, their albums, their own tags and their named faces.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from photoorg import organize
from photoorg.duplicates import store
from photoorg.duplicates.analysis import GENERATION
from photoorg.errors import InvalidInput
from photoorg.faces.config import FACES_GENERATION
from photoorg.roots import PHOTOS_GENERATION
from photoorg.store.db import Database, bump_generation
from photoorg.store.schema import (
    ASSIGNED_USER,
    TAG_ON,
    TAG_SOURCE_USER,
    AlbumPhoto,
    Face,
    Person,
    Photo,
    PhotoTag,
)

#: a keeper's face within this descriptor distance of a named face is that same face
SAME_FACE = 0.5


@dataclass(frozen=True)
class Decision:
    """Keep ``keeper``; send ``remove`` to the trash."""

    keeper: int
    remove: tuple[int, ...]


@dataclass
class CleanupResult:
    trashed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    freed_bytes: int = 0

    def as_dict(self) -> dict:
        return {"trashed": self.trashed, "failed": self.failed, "freed_bytes": self.freed_bytes}


def suggested_decisions(
    db: Database, kinds: Sequence[str] = (store.KIND_EXACT, store.KIND_NEAR)
) -> list[Decision]:
    """Keep each group's suggested keeper, trash the rest. Bursts are not
    duplicates: they are cleaned up only when asked for by kind."""
    with db.session() as s:
        groups = store.load_groups(s, kinds)
    return [
        Decision(
            next(m.photo_id for m in g.members if m.keep), tuple(m.photo_id for m in g.members if not m.keep)
        )
        for g in groups
    ]


def space_freed(db: Database, decisions: Iterable[Decision]) -> tuple[int, int]:
    """(files, bytes) the decisions would move to the trash."""
    ids = sorted({pid for d in decisions for pid in d.remove})
    if not ids:
        return 0, 0
    with db.session() as s:
        sizes = s.scalars(select(Photo.size).where(Photo.id.in_(ids))).all()
    return len(sizes), int(sum(sizes))


def inherit(session: Session, keeper: int, others: Sequence[int]) -> None:
    """The keeper takes the others' marks (inside the caller's transaction)."""
    photos = {p.id: p for p in session.scalars(select(Photo).where(Photo.id.in_([keeper, *others])))}
    if keeper not in photos:
        raise InvalidInput("The photo to keep is no longer in the library.")
    keep = photos[keeper]
    donors = [photos[o] for o in others if o in photos]
    keep.rating = max([keep.rating, *(d.rating for d in donors)])
    keep.favorite = keep.favorite or any(d.favorite for d in donors)
    if not keep.caption:
        keep.caption = next((d.caption for d in donors if d.caption), None)
    now = datetime.now()
    albums = session.execute(select(AlbumPhoto.album_id).where(AlbumPhoto.photo_id.in_(others))).scalars()
    for album_id in set(albums):
        session.execute(
            insert(AlbumPhoto)
            .values(album_id=album_id, photo_id=keeper, added_at=now)
            .on_conflict_do_nothing()
        )
    tags = session.scalars(
        select(PhotoTag.tag_id).where(
            PhotoTag.photo_id.in_(others), PhotoTag.source == TAG_SOURCE_USER, PhotoTag.state == TAG_ON
        )
    )
    for tag_id in set(tags):
        session.execute(
            insert(PhotoTag)
            .values(
                photo_id=keeper,
                tag_id=tag_id,
                source=TAG_SOURCE_USER,
                confidence=1.0,
                state=TAG_ON,
                updated_at=now,
            )
            .on_conflict_do_nothing()
        )
    _inherit_faces(session, keep, donors, now)


def _inherit_faces(session: Session, keep: Photo, donors: Sequence[Photo], now: datetime) -> None:
    named = session.execute(
        select(Face, Photo)
        .join(Person, Person.id == Face.person_id)
        .join(Photo, Photo.id == Face.photo_id)
        .where(Face.photo_id.in_([d.id for d in donors]), Person.name.is_not(None))
    ).all()
    if not named:
        return
    own = list(session.scalars(select(Face).where(Face.photo_id == keep.id)))
    people_here = {f.person_id for f in own if f.person_id is not None}
    for face, donor in named:
        if face.person_id in people_here:
            continue
        match = _same_face(face, [f for f in own if f.assigned_by != ASSIGNED_USER or f.person_id is None])
        if match is not None:
            match.person_id, match.assigned_by = face.person_id, ASSIGNED_USER
        else:
            # The keeper had no detection for this face (a crop cut it, say):
            # it takes the face, its box scaled to the keeper's size.
            sx = (keep.width or 1) / (donor.width or keep.width or 1)
            sy = (keep.height or 1) / (donor.height or keep.height or 1)
            copy = Face(
                photo_id=keep.id,
                x=round(face.x * sx),
                y=round(face.y * sy),
                w=max(1, round(face.w * sx)),
                h=max(1, round(face.h * sy)),
                descriptor=face.descriptor,
                landmarks=None,
                quality=face.quality,
                detector=face.detector,
                person_id=face.person_id,
                assigned_by=ASSIGNED_USER,
                created_at=now,
            )
            session.add(copy)
            own.append(copy)
        people_here.add(face.person_id)
    bump_generation(session, FACES_GENERATION)


def _same_face(face: Face, candidates: Sequence[Face]) -> Face | None:
    """The keeper's face that is this one (descriptors are pose-aligned, so a
    turned or mirrored copy still matches), or None."""
    if not candidates:
        return None
    target = np.asarray(face.descriptor, dtype=np.float32)
    distances = [
        float(np.linalg.norm(np.asarray(c.descriptor, dtype=np.float32) - target)) for c in candidates
    ]
    best = int(np.argmin(distances))
    return candidates[best] if distances[best] < SAME_FACE else None


def clean_up(db: Database, decisions: Sequence[Decision]) -> CleanupResult:
    """Inherit, then trash. The caller has asked the user once, stating the
    count and the space freed (:func:`space_freed`)."""
    decisions = [d for d in decisions if d.remove]
    if not decisions:
        return CleanupResult()
    for d in decisions:
        if d.keeper in d.remove:
            raise InvalidInput("A photo can't be both kept and removed.")
    with db.transaction() as s:
        for d in decisions:
            inherit(s, d.keeper, d.remove)
        bump_generation(s, PHOTOS_GENERATION)
    remove = sorted({pid for d in decisions for pid in d.remove})
    with db.session() as s:
        sizes = dict(s.execute(select(Photo.path, Photo.size).where(Photo.id.in_(remove))).all())
    trashed = organize.move_to_trash(db, remove)
    with db.transaction() as s:
        bump_generation(s, GENERATION)
    return CleanupResult(trashed.trashed, trashed.failed, sum(sizes.get(p, 0) for p in trashed.trashed))


def keep_all(db: Database, photo_ids: Iterable[int]) -> None:
    """The user keeps the whole group: never offer it again."""
    ids = sorted(set(photo_ids))
    if len(ids) < 2:
        raise InvalidInput("A group has two photos at least.")
    with db.transaction() as s:
        store.mark_reviewed(s, ids, datetime.now().isoformat(sep=" "))
        sig = store.signature(ids)
        s.connection().exec_driver_sql("DELETE FROM dup_groups WHERE signature = ?", (sig,))
        bump_generation(s, GENERATION)
