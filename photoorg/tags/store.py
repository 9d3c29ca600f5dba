"""Reading and changing tags: what a photo is tagged with, counts, the user's
own edits (which always win), renames, merges and deletions.

A photo's tags are its rows in ``photo_tags``: auto rows (source "clip" or
"classifier", with a confidence) and the user's rows (source "user", state
"on" for a tag they added, "off" for one they removed). A tag is on a photo
when the user added it, or an auto source found it and the user did not
remove it. Ancestors are implied: a photo tagged "golden retriever" is found
by "dog" and "animal".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, delete, false, func, not_, select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session, aliased

from photoorg.errors import InvalidInput, TagNotFound
from photoorg.roots import PHOTOS_GENERATION
from photoorg.search.filters import visible_photos
from photoorg.store.db import Database, bump_generation
from photoorg.store.schema import (
    TAG_OFF,
    TAG_ON,
    TAG_SOURCE_USER,
    Photo,
    PhotoTag,
    Setting,
    Tag,
)
from photoorg.tags.vocabulary import (
    ORIGIN_CUSTOM,
    ORIGIN_USER,
    ORIGIN_VOCABULARY,
    TAG_NAMES_GENERATION,
    TagTree,
)

TAGS_GENERATION = "tags"
OVERRIDES_SETTING = "tags.user_overrides"  # vocabulary names the user renamed, merged or deleted
ORIGIN_HIDDEN = "hidden"  # a vocabulary tag the user deleted: never predicted or shown again


def _removed_by_user(rows):
    off = aliased(PhotoTag)
    return (
        select(off.photo_id)
        .where(
            off.photo_id == rows.photo_id,
            off.tag_id == rows.tag_id,
            off.source == TAG_SOURCE_USER,
            off.state == TAG_OFF,
        )
        .correlate_except(off)
        .exists()
    )


def effective_rows(rows=PhotoTag):
    """Conditions for a photo_tags row (or an alias of the table) that puts
    its tag on its photo."""
    return and_(rows.state == TAG_ON, not_(_removed_by_user(rows)))


def has_tag_clause(tag_ids):
    """SQL on Photo: the photo has one of these tags (a set of ids, or a
    subquery of ids). Uses its own alias, so it nests in queries over photo_tags."""
    rows = aliased(PhotoTag)
    if isinstance(tag_ids, set | frozenset) and not tag_ids:
        return false()
    return (
        select(rows.photo_id)
        .where(rows.photo_id == Photo.id, rows.tag_id.in_(tag_ids), effective_rows(rows))
        .correlate(Photo)
        .exists()
    )


# -- reading ----------------------------------------------------------------------------------


def photo_tags(session: Session, photo_id: int, tree: TagTree | None = None) -> list[dict]:
    """The tags on one photo, most confident first, then the implied parents."""
    rows = session.execute(
        select(Tag.id, Tag.name, PhotoTag.confidence, PhotoTag.source)
        .join(Tag, Tag.id == PhotoTag.tag_id)
        .where(PhotoTag.photo_id == photo_id, effective_rows(), Tag.origin != ORIGIN_HIDDEN)
        .order_by(PhotoTag.confidence.desc())
    ).all()
    best: dict[int, dict] = {}
    for tag_id, name, confidence, source in rows:
        if tag_id not in best or source == TAG_SOURCE_USER:
            best[tag_id] = {"name": name, "confidence": round(float(confidence), 3), "source": source}
    result = sorted(best.values(), key=lambda t: (t["source"] != TAG_SOURCE_USER, -t["confidence"]))
    if tree is not None:
        implied: dict[str, float] = {}
        for tag_id, entry in best.items():
            for ancestor in tree.ancestors(tag_id):
                name = tree.names[ancestor]
                if ancestor not in best:
                    implied[name] = max(implied.get(name, 0.0), entry["confidence"])
        result += [{"name": n, "confidence": c, "source": "implied"} for n, c in sorted(implied.items())]
    return result


def tags_of_photo(db: Database, photo_id: int, *, implied: bool = True) -> list[dict]:
    """:func:`photo_tags` in a session of its own, as ``photoorg show`` lists them;
    ``implied`` adds the parents the tags imply."""
    tree = TagTree.load(db) if implied else None
    with db.session() as s:
        return photo_tags(s, photo_id, tree)


def tag_presence(db: Database, photo_ids: Iterable[int]) -> dict[str, int]:
    """Tag name -> how many of these photos carry it (implied parents left out)."""
    present: dict[str, int] = {}
    with db.session() as s:
        for photo_id in photo_ids:
            for tag in photo_tags(s, photo_id, None):
                present[tag["name"]] = present.get(tag["name"], 0) + 1
    return present


def tag_counts(db: Database) -> list[dict]:
    """Every tag in use with the number of visible photos that have it or a
    tag under it, and its parent: the shape of ``photoorg tags --json``."""
    tree = TagTree.load(db)
    with db.session() as s:
        pairs = s.execute(
            select(PhotoTag.photo_id, PhotoTag.tag_id)
            .join(Photo, Photo.id == PhotoTag.photo_id)
            .where(effective_rows(), visible_photos())
            .distinct()
        ).all()
        hidden = set(s.scalars(select(Tag.id).where(Tag.origin == ORIGIN_HIDDEN)))
    photos_of: dict[int, set[int]] = {}
    for photo_id, tag_id in pairs:
        for target in (tag_id, *tree.ancestors(tag_id)):
            photos_of.setdefault(target, set()).add(photo_id)
    result = []
    for tag_id, photos in photos_of.items():
        if tag_id in hidden:
            continue
        parent = tree.parents.get(tag_id)
        result.append(
            {
                "name": tree.names[tag_id],
                "count": len(photos),
                "parent": tree.names.get(parent) if parent else None,
            }
        )
    result.sort(key=lambda t: (-t["count"], t["name"]))
    return result


def resolve(db: Database, names: Iterable[str], tree: TagTree | None = None) -> dict[str, set[int] | None]:
    """Each name (or synonym) -> the tag ids it means: the tag and its
    descendants; None for a name no tag has."""
    tree = tree or TagTree.load(db)
    result: dict[str, set[int] | None] = {}
    for name in names:
        tag_id = tree.find(name)
        result[name] = tree.descendants(tag_id) if tag_id is not None else None
    return result


# -- the user's edits ----------------------------------------------------------------------------


def _tag_for(s: Session, name: str, create: bool) -> Tag:
    cleaned = " ".join(name.strip().lower().split())
    if not cleaned:
        raise InvalidInput("A tag needs a name.")
    tree_id = s.scalar(select(Tag.id).where(func.lower(Tag.name) == cleaned))
    if tree_id is None:
        # A synonym names its tag ("puppy" is "dog").
        for tag in s.scalars(select(Tag).where(Tag.synonyms.is_not(None))):
            if cleaned in [x.lower() for x in (tag.synonyms or [])]:
                return tag
    if tree_id is not None:
        return s.get(Tag, tree_id)
    if not create:
        raise TagNotFound(f"There is no tag called {name!r}.")
    tag = Tag(name=cleaned, origin=ORIGIN_USER, auto=False, created_at=datetime.now())
    s.add(tag)
    s.flush()
    return tag


def _set_user_rows(s: Session, photo_ids: list[int], tag_id: int, state: str) -> None:
    now = datetime.now()
    rows = [
        {
            "photo_id": photo_id,
            "tag_id": tag_id,
            "source": TAG_SOURCE_USER,
            "confidence": 1.0 if state == TAG_ON else 0.0,
            "state": state,
            "updated_at": now,
        }
        for photo_id in photo_ids
    ]
    if not rows:
        return
    statement = insert(PhotoTag)
    s.execute(
        statement.on_conflict_do_update(
            index_elements=["photo_id", "tag_id", "source"],
            set_={
                "state": statement.excluded.state,
                "confidence": statement.excluded.confidence,
                "updated_at": statement.excluded.updated_at,
            },
        ),
        rows,
    )


def add_tag(db: Database, photo_ids: Iterable[int], name: str) -> str:
    """Tag photos (creating the tag if it is new). Returns the tag's name."""
    ids = sorted(set(photo_ids))
    with db.transaction() as s:
        tag = _tag_for(s, name, create=True)
        if tag.origin == ORIGIN_HIDDEN:
            tag.origin = ORIGIN_USER
        _set_user_rows(s, ids, tag.id, TAG_ON)
        _bump(s)
        return tag.name


def remove_tag(db: Database, photo_ids: Iterable[int], name: str) -> None:
    """Take a tag off photos. Recorded as the user's decision, so re-tagging
    never puts it back. Tags under it go too: "not a cat" means not a tabby
    either."""
    ids = sorted(set(photo_ids))
    with db.transaction() as s:
        tag = _tag_for(s, name, create=False)
        below = TagTree.from_session(s).descendants(tag.id)
        for photo_id in ids:
            present = set(
                s.scalars(
                    select(PhotoTag.tag_id).where(PhotoTag.photo_id == photo_id, PhotoTag.tag_id.in_(below))
                )
            )
            for tag_id in present | {tag.id}:
                _set_user_rows(s, [photo_id], tag_id, TAG_OFF)
        _bump(s)


def _remember_override(db_session: Session, name: str) -> None:
    row = db_session.get(Setting, OVERRIDES_SETTING)
    names = set(row.value or []) if row is not None else set()
    names.add(name)
    db_session.merge(Setting(key=OVERRIDES_SETTING, value=sorted(names)))


def rename_tag(db: Database, old: str, new: str) -> str:
    """Rename a tag; renaming onto an existing tag merges the two."""
    cleaned = " ".join(new.strip().lower().split())
    if not cleaned:
        raise InvalidInput("A tag needs a name.")
    with db.transaction() as s:
        tag = _tag_for(s, old, create=False)
        other = s.scalar(select(Tag).where(func.lower(Tag.name) == cleaned, Tag.id != tag.id))
        if other is not None:
            _merge(s, tag, other)
            _bump(s)
            return other.name
        if tag.origin == ORIGIN_VOCABULARY:
            _remember_override(s, tag.name)
            tag.origin = ORIGIN_CUSTOM if tag.prompts else ORIGIN_USER
        tag.name = cleaned
        _bump(s)
        return cleaned


def merge_tags(db: Database, source: str, target: str) -> None:
    """Move every photo of ``source`` to ``target`` and delete ``source``."""
    with db.transaction() as s:
        a, b = _tag_for(s, source, create=False), _tag_for(s, target, create=False)
        if a.id == b.id:
            raise InvalidInput("A tag can't be merged into itself.")
        _merge(s, a, b)
        _bump(s)


def _merge(s: Session, source: Tag, target: Tag) -> None:
    rows = s.execute(select(PhotoTag).where(PhotoTag.tag_id == source.id)).scalars().all()
    for row in rows:
        existing = s.get(PhotoTag, (row.photo_id, target.id, row.source))
        if existing is None:
            s.add(
                PhotoTag(
                    photo_id=row.photo_id,
                    tag_id=target.id,
                    source=row.source,
                    confidence=row.confidence,
                    state=row.state,
                    updated_at=row.updated_at,
                )
            )
        elif row.source == TAG_SOURCE_USER or row.confidence > existing.confidence:
            existing.state, existing.confidence = row.state, row.confidence
    s.execute(update(Tag).where(Tag.parent_id == source.id).values(parent_id=target.id))
    synonyms = list(dict.fromkeys([*(target.synonyms or []), source.name, *(source.synonyms or [])]))
    target.synonyms = synonyms
    if source.origin == ORIGIN_VOCABULARY:
        _remember_override(s, source.name)
    s.execute(delete(PhotoTag).where(PhotoTag.tag_id == source.id))
    s.delete(source)


def delete_tag(db: Database, name: str) -> None:
    """Remove a tag from every photo and stop it being predicted. Photos are
    untouched; a vocabulary tag is hidden rather than dropped, so the next
    vocabulary sync does not bring it back."""
    with db.transaction() as s:
        tag = _tag_for(s, name, create=False)
        s.execute(update(Tag).where(Tag.parent_id == tag.id).values(parent_id=tag.parent_id))
        s.execute(delete(PhotoTag).where(PhotoTag.tag_id == tag.id))
        if tag.origin == ORIGIN_VOCABULARY:
            _remember_override(s, tag.name)
            tag.origin, tag.auto = ORIGIN_HIDDEN, False
        else:
            s.delete(tag)
        _bump(s)


def add_concept(db: Database, name: str, prompts: list[str] | None = None, parent: str | None = None) -> str:
    """A custom concept the CLIP tagger will look for in every photo."""
    cleaned = " ".join(name.strip().lower().split())
    if not cleaned:
        raise InvalidInput("A concept needs a name.")
    prompts = [p.strip() for p in (prompts or []) if p.strip()] or [
        f"a photo of {cleaned}",
        f"a picture of {cleaned}",
        f"{cleaned}",
    ]
    with db.transaction() as s:
        parent_id = _tag_for(s, parent, create=False).id if parent else None
        tag = s.scalar(select(Tag).where(func.lower(Tag.name) == cleaned))
        if tag is None:
            tag = Tag(name=cleaned, created_at=datetime.now(), origin=ORIGIN_CUSTOM)
            s.add(tag)
        elif tag.origin == ORIGIN_VOCABULARY:
            _remember_override(s, tag.name)
        tag.origin, tag.prompts, tag.auto = ORIGIN_CUSTOM, prompts, True
        if parent_id is not None:
            tag.parent_id = parent_id
        _bump(s)
        return cleaned


def _bump(s: Session) -> None:
    bump_generation(s, TAGS_GENERATION)
    bump_generation(s, TAG_NAMES_GENERATION)
    bump_generation(s, PHOTOS_GENERATION)
