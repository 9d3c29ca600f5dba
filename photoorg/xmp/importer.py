"""Putting what other tools wrote into photoorg, without undoing the user's
decisions.

Import is planned first (reads only: what ``--dry-run`` shows), then applied
in groups through the stores' own public functions (one ``add_tag`` per tag
for all the photos that get it), so the stores' rules hold and imports are fast.

The rule for each value: a value the user set in photoorg is theirs and stays.
A rating, favourite or caption is replaced only while it still equals what the
previous import put there (or photoorg's default, before any import). A
keyword becomes a user tag unless the user took that tag off the photo. A named
face region names the detected face it covers, unless the user already placed
that face.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from photoorg import annotations, organize
from photoorg.faces import people
from photoorg.store.db import Database
from photoorg.store.schema import ASSIGNED_USER, TAG_ON, TAG_SOURCE_USER, Person, Photo, PhotoTag, Tag
from photoorg.tags import store as tag_store
from photoorg.xmp.model import XmpRecord
from photoorg.xmp.regions import displayed_regions, match_regions, normalised_box

#: xmp:Label values read as photoorg's favourite (see README: XMP)
FAVORITE_LABELS = {"favorite", "favourite"}
FAVORITE_LABEL = "Favorite"


def tag_name(text: str) -> str:
    """A keyword as photoorg names tags (lower case, single spaces)."""
    return " ".join(text.strip().lower().split())


@dataclass
class ImportPlan:
    """What importing one photo's XMP changes (empty: nothing)."""

    photo_id: int
    path: str
    rating: int | None = None
    favorite: bool | None = None
    caption: str | None = None
    caption_set: bool = False
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    name_faces: list[tuple[int, str]] = field(default_factory=list)  # (face id, name)
    kept: list[str] = field(default_factory=list)  # the user's own values left alone
    applied: dict = field(default_factory=dict)  # the new "what the import put there"

    def changes(self) -> dict:
        found: dict = {}
        if self.rating is not None:
            found["rating"] = self.rating
        if self.favorite is not None:
            found["favorite"] = self.favorite
        if self.caption_set:
            found["caption"] = self.caption
        if self.add_tags:
            found["tags_added"] = self.add_tags
        if self.remove_tags:
            found["tags_removed"] = self.remove_tags
        if self.name_faces:
            found["people"] = [name for _, name in self.name_faces]
        return found

    def as_dict(self) -> dict:
        return {"path": self.path, "changes": self.changes(), "kept": self.kept}


def _user_tag_states(session: Session, photo_id: int) -> dict[str, str]:
    """Tag name -> the user's own state on this photo ("on" or "off")."""
    rows = session.execute(
        select(Tag.name, PhotoTag.state)
        .join(Tag, Tag.id == PhotoTag.tag_id)
        .where(PhotoTag.photo_id == photo_id, PhotoTag.source == TAG_SOURCE_USER)
    ).all()
    return {name.lower(): state for name, state in rows}


def _follow(plan: ImportPlan, key: str, current, wanted, default) -> bool:
    """Whether the import sets this field to ``wanted``: not when it already
    is, nor when the user changed it since the last import (theirs wins)."""
    before = plan.applied.get(key, default)
    plan.applied[key] = wanted
    if wanted == current:
        return False
    if current != before:
        plan.kept.append(key)
        return False
    return True


def plan_import(session: Session, photo: Photo, record: XmpRecord, applied: dict) -> ImportPlan:
    plan = ImportPlan(photo.id, photo.path, applied=dict(applied))
    if record.rating is not None and _follow(plan, "rating", photo.rating, record.rating, 0):
        plan.rating = record.rating
    favorite = (record.label or "").casefold() in FAVORITE_LABELS
    # An absent label says "not a favourite" only where a label made it one.
    if (favorite or "favorite" in applied) and _follow(
        plan, "favorite", bool(photo.favorite), favorite, False
    ):
        plan.favorite = favorite
    caption = (record.caption or "")[: annotations.MAX_CAPTION].strip() or None
    if (caption is not None or "caption" in applied) and _follow(
        plan, "caption", photo.caption, caption, None
    ):
        plan.caption, plan.caption_set = caption, True
    _plan_tags(session, plan, record)
    _plan_people(session, plan, photo, record)
    return plan


def _plan_tags(session: Session, plan: ImportPlan, record: XmpRecord) -> None:
    states = _user_tag_states(session, plan.photo_id)
    # name -> the keyword as the other tool spelled it, with its hierarchy
    # ("Places|Europe|Lisbon"): written back the same way.
    spelled = {tag_name(path[-1]): "|".join(path) for path in record.tag_paths() if tag_name(path[-1])}
    for name in spelled:
        state = states.get(name)
        if state is None:
            plan.add_tags.append(name)
        elif state != TAG_ON:
            plan.kept.append(f"tag:{name}")
    for name in plan.applied.get("tags", {}):
        if name not in spelled and states.get(name) == TAG_ON:
            plan.remove_tags.append(name)  # the other tool took the keyword off
    plan.applied["tags"] = spelled


def _plan_people(session: Session, plan: ImportPlan, photo: Photo, record: XmpRecord) -> None:
    if not record.regions or not photo.width or not photo.height:
        return
    regions = displayed_regions(
        record.regions, record.applied_to, (photo.width, photo.height), photo.orientation
    )
    faces = {face.id: face for face in people.photo_faces(session, photo.id)}
    boxes = [(face.id, normalised_box(face.box, (photo.width, photo.height))) for face in faces.values()]
    for region, face_id in match_regions(regions, boxes):
        face = faces[face_id]
        if (face.person or "").casefold() == (region.name or "").casefold():
            continue
        if face.assigned_by == ASSIGNED_USER:
            plan.kept.append(f"face:{face_id}")
            continue
        plan.name_faces.append((face_id, region.name))


def _person_named(db: Database, name: str) -> int | None:
    with db.session() as s:
        ids = list(s.scalars(select(Person.id).where(func.lower(Person.name) == name.lower())))
        if not ids:  # names beyond ASCII: SQLite's lower() folds ASCII only
            ids = [p.id for p in s.scalars(select(Person)) if (p.name or "").casefold() == name.casefold()]
    return min(ids) if ids else None


def apply_plans(db: Database, plans: list[ImportPlan]) -> None:
    """Apply the plans, grouped so each store is called once per value."""
    ratings: dict[int, list[int]] = defaultdict(list)
    favorites: dict[bool, list[int]] = defaultdict(list)
    added: dict[str, list[int]] = defaultdict(list)
    removed: dict[str, list[int]] = defaultdict(list)
    for plan in plans:
        if plan.rating is not None:
            ratings[plan.rating].append(plan.photo_id)
        if plan.favorite is not None:
            favorites[plan.favorite].append(plan.photo_id)
        if plan.caption_set:
            annotations.set_caption(db, plan.photo_id, plan.caption)
        for name in plan.add_tags:
            added[name].append(plan.photo_id)
        for name in plan.remove_tags:
            removed[name].append(plan.photo_id)
    for rating, ids in ratings.items():
        organize.set_rating(db, ids, rating)
    for favorite, ids in favorites.items():
        organize.set_favorite(db, ids, favorite)
    for name, ids in added.items():
        tag_store.add_tag(db, ids, name)
    for name, ids in removed.items():
        tag_store.remove_tag(db, ids, name)
    for plan in plans:
        for face_id, name in plan.name_faces:
            person_id = _person_named(db, name)
            if person_id is None:
                people.new_person(db, [face_id], name)
            else:
                people.assign_faces(db, [face_id], person_id)
