"""People: what the library knows about them, and the user's decisions.

Every decision the user makes is marked so no automatic run changes it:
a face they place is ``assigned_by="user"``; "not this person" is a
:class:`FaceRejection` (the face is never placed with that person again); a
name, a merge and "hidden" live on the person. Plain data in, plain data out,
for the CLI and the GUI alike.

Longer than most modules: every decision a user makes about people, each a
short function over the same queries, kept in one place so none is missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from photoorg.errors import AmbiguousName, FaceNotFound, InvalidInput, PersonNotFound, PhotoorgError
from photoorg.faces.cluster import PersonIndex, pairwise_distances, remove_empty_people
from photoorg.faces.config import DEFAULT_THRESHOLD, FACES_GENERATION, SUGGEST_MARGIN
from photoorg.search.filters import visible_photos
from photoorg.store.db import Database, bump_generation
from photoorg.store.schema import ASSIGNED_AUTO, ASSIGNED_USER, Face, FaceRejection, Person, Photo


@dataclass(frozen=True)
class FaceInfo:
    id: int
    photo_id: int
    path: str
    box: tuple[int, int, int, int]
    photo_size: tuple[int | None, int | None]
    person_id: int | None
    person: str | None
    assigned_by: str | None
    quality: float

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "path": self.path,
            "bbox": list(self.box),
            "person_id": self.person_id,
            "person": self.person,
            "assigned_by": self.assigned_by,
            "quality": round(self.quality, 3),
        }


@dataclass
class PersonInfo:
    id: int
    name: str | None
    hidden: bool
    face_count: int
    photo_count: int
    cover: FaceInfo | None = None
    photos: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name or "Unnamed person"

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "face_count": self.face_count,
            "photo_count": self.photo_count,
            "hidden": self.hidden,
            "photos": self.photos,
        }


@dataclass(frozen=True)
class Suggestion:
    face: FaceInfo
    person_id: int
    person: str
    distance: float

    def as_dict(self) -> dict:
        return {
            "face_id": self.face.id,
            "path": self.face.path,
            "bbox": list(self.face.box),
            "person_id": self.person_id,
            "person": self.person,
            "distance": round(self.distance, 4),
        }


_FACE_COLUMNS = (
    Face.id,
    Face.photo_id,
    Photo.path,
    Face.x,
    Face.y,
    Face.w,
    Face.h,
    Photo.width,
    Photo.height,
    Face.person_id,
    Person.name,
    Face.assigned_by,
    Face.quality,
)


def _face_query():
    return (
        select(*_FACE_COLUMNS)
        .join(Photo, Photo.id == Face.photo_id)
        .outerjoin(Person, Person.id == Face.person_id)
    )


def _face_info(row) -> FaceInfo:
    return FaceInfo(
        id=row[0],
        photo_id=row[1],
        path=row[2],
        box=(row[3], row[4], row[5], row[6]),
        photo_size=(row[7], row[8]),
        person_id=row[9],
        person=row[10],
        assigned_by=row[11],
        quality=row[12],
    )


# -- finding people ---------------------------------------------------------------------------


def person_ref_clause(ref) -> ColumnElement:
    """A condition on Person for what a user typed: an id (7, "7", "#7") or a
    name (case-insensitive for ASCII letters)."""
    if isinstance(ref, int):
        return Person.id == ref
    text = str(ref).strip()
    if text.startswith("#") and text[1:].isdigit():
        return Person.id == int(text[1:])
    exact = or_(Person.name == text, func.lower(Person.name) == text.lower())
    if text.isdigit():
        return or_(Person.id == int(text), exact)
    # "Obama" finds "Barack Obama" when nobody is called just "Obama".
    other = aliased(Person)
    exact_other = or_(other.name == text, func.lower(other.name) == text.lower())
    word = func.lower(" " + func.replace(Person.name, "-", " ") + " ").like(
        f"% {_like_escape(text.lower())} %", escape="\\"
    )
    return or_(exact, and_(~exists().where(exact_other), word))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def resolve_person(session: Session, ref) -> Person:
    people = list(session.scalars(select(Person).where(person_ref_clause(ref)).order_by(Person.id)))
    if not people and not isinstance(ref, int):
        wanted = str(ref).strip().casefold()
        people = [p for p in session.scalars(select(Person)) if (p.name or "").casefold() == wanted]
    if not people:
        raise PersonNotFound(f"There is no person {ref!r}. `photoorg people` lists them with their ids.")
    if len(people) > 1:
        exact = [p for p in people if str(p.id) == str(ref).lstrip("#")]
        if exact:
            return exact[0]
        ids = ", ".join(str(p.id) for p in people)
        raise AmbiguousName(f"Several people match {ref!r} (ids {ids}); use the id.", [p.id for p in people])
    return people[0]


def resolve_person_id(db: Database, ref) -> int:
    with db.session() as s:
        return resolve_person(s, ref).id


def people_clause(filters) -> ColumnElement | None:
    """The search filter: every person named must be in the photo."""
    refs = getattr(filters, "people", ())
    if not refs:
        return None
    clauses = []
    for ref in refs:
        people = select(Person.id).where(person_ref_clause(ref))
        clauses.append(Photo.id.in_(select(Face.photo_id).where(Face.person_id.in_(people))))
    return and_(*clauses)


# -- reading ------------------------------------------------------------------------------------


def list_people(
    db: Database,
    *,
    include_hidden: bool = False,
    with_photos: bool = False,
    with_covers: bool = True,
    only: Sequence[int] = (),
) -> list[PersonInfo]:
    """People with their counts and best face: named ones first (by name),
    then unnamed ones with the most faces first."""
    with db.session() as s:
        query = select(Person)
        if not include_hidden:
            query = query.where(Person.hidden.is_(False))
        if only:
            query = query.where(Person.id.in_(list(only)))
        people = list(s.scalars(query))
        if not people:
            return []
        ids = [p.id for p in people]
        face_counts = dict(
            s.execute(
                select(Face.person_id, func.count()).where(Face.person_id.in_(ids)).group_by(Face.person_id)
            ).all()
        )
        photo_counts = dict(
            s.execute(
                select(Face.person_id, func.count(func.distinct(Face.photo_id)))
                .join(Photo, Photo.id == Face.photo_id)
                .where(Face.person_id.in_(ids), visible_photos())
                .group_by(Face.person_id)
            ).all()
        )
        covers = _covers(s, people) if with_covers else {}
        photos: dict[int, list[str]] = {}
        if with_photos:
            for person_id, path in s.execute(
                select(Face.person_id, Photo.path)
                .join(Photo, Photo.id == Face.photo_id)
                .where(Face.person_id.in_(ids), visible_photos())
                .group_by(Face.person_id, Photo.id)
                .order_by(Face.person_id, Photo.date, Photo.path)
            ):
                photos.setdefault(person_id, []).append(path)
    result = [
        PersonInfo(
            id=p.id,
            name=p.name,
            hidden=bool(p.hidden),
            face_count=face_counts.get(p.id, 0),
            photo_count=photo_counts.get(p.id, 0),
            cover=covers.get(p.id),
            photos=photos.get(p.id, []),
        )
        for p in people
    ]
    result.sort(key=lambda p: (p.name is None, (p.name or "").casefold(), -p.face_count, p.id))
    return result


def _covers(s: Session, people: list[Person]) -> dict[int, FaceInfo]:
    """Each person's cover: the face the user chose, else the best visible one."""
    ids = [p.id for p in people]
    chosen = {p.cover_face_id: p.id for p in people if p.cover_face_id}
    covers: dict[int, FaceInfo] = {}
    if chosen:
        for row in s.execute(_face_query().where(Face.id.in_(list(chosen)), visible_photos())):
            info = _face_info(row)
            if info.person_id == chosen[info.id]:
                covers[info.person_id] = info
    best = (
        select(
            Face.id,
            Face.person_id,
            func.row_number()
            .over(partition_by=Face.person_id, order_by=(Face.quality.desc(), Face.id))
            .label("rank"),
        )
        .join(Photo, Photo.id == Face.photo_id)
        .where(Face.person_id.in_([i for i in ids if i not in covers]), visible_photos())
        .subquery()
    )
    best_ids = list(s.scalars(select(best.c.id).where(best.c.rank == 1)))
    if best_ids:
        for row in s.execute(_face_query().where(Face.id.in_(best_ids))):
            info = _face_info(row)
            covers[info.person_id] = info
    return covers


def get_person(db: Database, ref, *, with_photos: bool = False) -> PersonInfo:
    person_id = resolve_person_id(db, ref)
    return list_people(db, include_hidden=True, with_photos=with_photos, only=[person_id])[0]


def person_faces(db: Database, person_id: int, limit: int | None = None) -> list[FaceInfo]:
    query = _face_query().where(Face.person_id == person_id).order_by(Face.quality.desc(), Face.id)
    if limit:
        query = query.limit(limit)
    with db.session() as s:
        return [_face_info(row) for row in s.execute(query)]


def photo_faces(session: Session, photo_id: int) -> list[FaceInfo]:
    """The faces of a photo, left to right, inside a session the caller holds
    (``photoorg show`` reads them in the details' own session)."""
    rows = session.execute(_face_query().where(Face.photo_id == photo_id).order_by(Face.x, Face.id))
    return [_face_info(row) for row in rows]


def faces_in_photo(db: Database, photo_id: int) -> list[FaceInfo]:
    """The faces of a photo, left to right (the viewer's boxes, the people menu)."""
    with db.session() as s:
        return photo_faces(s, photo_id)


def face_info(db: Database, face_id: int) -> FaceInfo:
    with db.session() as s:
        row = s.execute(_face_query().where(Face.id == face_id)).first()
    if row is None:
        raise FaceNotFound(f"There is no face {face_id} (it may have been analysed again).")
    return _face_info(row)


def _unknown_condition():
    return and_(
        Face.person_id.is_(None),
        or_(Face.assigned_by.is_(None), Face.assigned_by == ASSIGNED_AUTO),
    )


def unknown_faces(db: Database, *, limit: int | None = 200, offset: int = 0) -> list[FaceInfo]:
    """Faces no person was found for (best first), in photos the user can see."""
    query = (
        _face_query()
        .where(_unknown_condition(), visible_photos())
        .order_by(Face.quality.desc(), Face.id)
        .offset(offset)
    )
    if limit:
        query = query.limit(limit)
    with db.session() as s:
        return [_face_info(row) for row in s.execute(query)]


def review_counts(db: Database) -> dict[str, int]:
    with db.session() as s:
        unknown = (
            s.scalar(
                select(func.count())
                .select_from(Face)
                .join(Photo, Photo.id == Face.photo_id)
                .where(_unknown_condition(), visible_photos())
            )
            or 0
        )
        people = s.scalar(select(func.count()).select_from(Person).where(Person.hidden.is_(False))) or 0
        faces = s.scalar(select(func.count()).select_from(Face)) or 0
    return {"unknown": unknown, "people": people, "faces": faces}


def suggestions(
    db: Database,
    *,
    person_id: int | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int | None = 200,
) -> list[Suggestion]:
    """ "Is this Alice?": unknown faces that look like a named person, nearest
    first, up to the looser suggestion threshold; never a face the user said
    is not that person."""
    limit_distance = threshold + SUGGEST_MARGIN
    with db.session() as s:
        named = select(Person.id).where(Person.name.is_not(None), Person.hidden.is_(False))
        if person_id is not None:
            named = named.where(Person.id == person_id)
        rows = s.execute(
            select(Face.id, Face.photo_id, Face.person_id, Face.descriptor).where(Face.person_id.in_(named))
        ).all()
        if not rows:
            return []
        index = PersonIndex([(r[0], r[1], r[2], r[3]) for r in rows])
        names = dict(s.execute(select(Person.id, Person.name).where(Person.id.in_(named))).all())
        candidates = s.execute(
            select(Face.id, Face.photo_id, Face.descriptor)
            .join(Photo, Photo.id == Face.photo_id)
            .where(_unknown_condition(), visible_photos())
        ).all()
        if not candidates:
            return []
        rejected = set(
            s.execute(
                select(FaceRejection.face_id, FaceRejection.person_id).where(
                    FaceRejection.person_id.in_(list(names))
                )
            ).all()
        )
        found: list[tuple[float, int, int]] = []
        vectors = np.stack([np.asarray(c.descriptor, dtype=np.float32) for c in candidates])
        for start in range(0, len(candidates), 512):
            distances = pairwise_distances(vectors[start : start + 512], index.vectors)
            for row, face in zip(distances, candidates[start : start + 512]):
                for score, person in index.ranked_people(row, limit_distance):
                    if (face.id, person) in rejected or (face.photo_id, person) in index.photo_people:
                        continue
                    found.append((score, face.id, person))
                    break
        found.sort()
        if limit:
            found = found[:limit]
        infos = {
            info.id: info
            for info in (
                _face_info(row) for row in s.execute(_face_query().where(Face.id.in_([f[1] for f in found])))
            )
        }
    return [
        Suggestion(infos[face_id], person, names[person], score)
        for score, face_id, person in found
        if face_id in infos
    ]


def face_details(session: Session, photo: Photo) -> dict:
    """For `photoorg show` and the details panel."""
    return {
        "faces": [
            {
                "id": f.id,
                "bbox": list(f.box),
                "person_id": f.person_id,
                "person": f.person,
                "assigned_by": f.assigned_by,
                "quality": round(f.quality, 3),
            }
            for f in photo_faces(session, photo.id)
        ]
    }


# -- the user's decisions --------------------------------------------------------------------------


def _person(s: Session, person_id) -> Person:
    person = s.get(Person, person_id) if isinstance(person_id, int) else resolve_person(s, person_id)
    if person is None:
        raise PersonNotFound(f"There is no person {person_id} (it may have been merged into another).")
    return person


def _faces(s: Session, face_ids: Iterable[int]) -> list[Face]:
    ids = list(dict.fromkeys(int(i) for i in face_ids))
    faces = list(s.scalars(select(Face).where(Face.id.in_(ids))))
    missing = set(ids) - {f.id for f in faces}
    if missing:
        raise FaceNotFound(
            f"There is no face {min(missing)} (it may have been analysed again); refresh and try again."
        )
    return faces


def _check_name(s: Session, name: str | None, person_id: int | None) -> str | None:
    name = " ".join((name or "").split()) or None
    if name is None:
        return None
    if len(name) > 200:
        raise InvalidInput("That name is too long (200 characters at most).")
    wanted = name.casefold()
    for other in s.scalars(select(Person).where(Person.name.is_not(None))):
        if other.id != person_id and other.name.casefold() == wanted:
            raise NameTakenError(
                f"There is already a person called {other.name} (id {other.id}). If they are the same "
                f"person, merge them: photoorg people merge {other.id} {person_id or ''}".rstrip(),
                other.id,
            )
    return name


class NameTakenError(PhotoorgError):
    def __init__(self, message: str, other_id: int) -> None:
        super().__init__(message)
        self.other_id = other_id


def _done(s: Session) -> None:
    remove_empty_people(s)
    bump_generation(s, FACES_GENERATION)


def name_person(db: Database, person_id, name: str | None) -> PersonInfo:
    """Name (or, with an empty name, un-name) a person."""
    with db.transaction() as s:
        person = _person(s, person_id)
        person.name = _check_name(s, name, person.id)
        person.updated_at = datetime.now()
        pid = person.id
        bump_generation(s, FACES_GENERATION)
    return get_person(db, pid)


def hide_person(db: Database, person_id, hidden: bool = True) -> None:
    """Hidden people leave the people list and the suggestions; their faces
    still join them, so they do not come back as someone new."""
    with db.transaction() as s:
        person = _person(s, person_id)
        person.hidden = hidden
        person.updated_at = datetime.now()
        bump_generation(s, FACES_GENERATION)


def set_cover(db: Database, person_id, face_id: int) -> None:
    with db.transaction() as s:
        person = _person(s, person_id)
        (face,) = _faces(s, [face_id])
        if face.person_id != person.id:
            raise InvalidInput("That face is not one of this person's faces.")
        person.cover_face_id = face.id
        bump_generation(s, FACES_GENERATION)


def merge_people(db: Database, target_id, source_ids: Sequence) -> PersonInfo:
    """Make several people one: the sources' faces join the target, which
    keeps its id (and its name, or takes the first source's name)."""
    with db.transaction() as s:
        target = _person(s, target_id)
        sources = [_person(s, ref) for ref in source_ids]
        sources = [p for p in dict.fromkeys(sources) if p.id != target.id]
        if not sources:
            raise InvalidInput("Name at least one other person to merge into this one.")
        source_ids_ = [p.id for p in sources]
        if target.name is None:
            target.name = next((p.name for p in sources if p.name), None)
        # The user now says these are one person: their "not this person"
        # marks between them no longer hold; the others carry over.
        carried = set(
            s.scalars(select(FaceRejection.face_id).where(FaceRejection.person_id.in_(source_ids_)))
        )
        s.execute(delete(FaceRejection).where(FaceRejection.person_id.in_(source_ids_)))
        s.execute(
            update(Face)
            .where(Face.person_id.in_(source_ids_))
            .values(person_id=target.id)
            .execution_options(synchronize_session=False)
        )
        merged_faces = set(s.scalars(select(Face.id).where(Face.person_id == target.id)))
        s.execute(
            delete(FaceRejection).where(
                FaceRejection.person_id == target.id, FaceRejection.face_id.in_(list(merged_faces))
            )
        )
        existing = set(s.scalars(select(FaceRejection.face_id).where(FaceRejection.person_id == target.id)))
        now = datetime.now()
        for face_id in sorted(carried - merged_faces - existing):
            s.add(FaceRejection(face_id=face_id, person_id=target.id, created_at=now))
        if target.cover_face_id is None:
            target.cover_face_id = next((p.cover_face_id for p in sources if p.cover_face_id), None)
        target.updated_at = now
        for person in sources:
            s.delete(person)
        s.flush()
        _done(s)
        pid = target.id
    return get_person(db, pid)


def assign_faces(db: Database, face_ids: Iterable[int], person_id) -> int:
    """The user says these faces are this person (a move, or accepting a
    suggestion). A face taken from another person marks it "not that person"."""
    with db.transaction() as s:
        person = _person(s, person_id)
        faces = _faces(s, face_ids)
        now = datetime.now()
        for face in faces:
            old = face.person_id
            if old is not None and old != person.id:
                _reject(s, face.id, old, now)
            s.execute(
                delete(FaceRejection).where(
                    FaceRejection.face_id == face.id, FaceRejection.person_id == person.id
                )
            )
            face.person_id = person.id
            face.assigned_by = ASSIGNED_USER
        person.updated_at = now
        s.flush()
        _done(s)
        return len(faces)


def assign_face(db: Database, face_id: int, person_id) -> int:
    return assign_faces(db, [face_id], person_id)


def new_person(db: Database, face_ids: Iterable[int], name: str | None = None) -> int:
    """A new person made of these faces (the user's decision)."""
    with db.transaction() as s:
        faces = _faces(s, face_ids)
        if not faces:
            raise InvalidInput("Pick at least one face for the new person.")
        now = datetime.now()
        person = Person(name=_check_name(s, name, None), hidden=False, created_at=now, updated_at=now)
        s.add(person)
        s.flush()
        for face in faces:
            if face.person_id is not None:
                _reject(s, face.id, face.person_id, now)
            face.person_id = person.id
            face.assigned_by = ASSIGNED_USER
        person.cover_face_id = max(faces, key=lambda f: f.quality).id
        s.flush()
        _done(s)
        return person.id


def remove_faces(db: Database, face_ids: Iterable[int]) -> int:
    """ "Not this person": each face leaves its person, is never placed with
    them again, and becomes unknown (free to be someone else)."""
    with db.transaction() as s:
        faces = _faces(s, face_ids)
        now = datetime.now()
        for face in faces:
            if face.person_id is not None:
                _reject(s, face.id, face.person_id, now)
            face.person_id = None
            face.assigned_by = ASSIGNED_AUTO
        s.flush()
        _done(s)
        return len(faces)


def remove_face(db: Database, face_id: int) -> int:
    return remove_faces(db, [face_id])


def reject_suggestion(db: Database, face_id: int, person_id) -> None:
    """ "No, this is not Alice": the suggestion is not made again."""
    with db.transaction() as s:
        person = _person(s, person_id)
        (face,) = _faces(s, [face_id])
        _reject(s, face.id, person.id, datetime.now())
        if face.person_id == person.id:
            face.person_id = None
            face.assigned_by = ASSIGNED_AUTO
        s.flush()
        _done(s)


def ignore_faces(db: Database, face_ids: Iterable[int]) -> int:
    """Faces the user does not want to name (strangers, statues): they leave
    the unknown list and no automatic run places them."""
    with db.transaction() as s:
        faces = _faces(s, face_ids)
        for face in faces:
            face.person_id = None
            face.assigned_by = ASSIGNED_USER
        s.flush()
        _done(s)
        return len(faces)


def _reject(s: Session, face_id: int, person_id: int, now: datetime) -> None:
    if s.get(FaceRejection, (face_id, person_id)) is None:
        s.add(FaceRejection(face_id=face_id, person_id=person_id, created_at=now))
