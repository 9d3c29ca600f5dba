"""What photoorg holds about a photo that write-back puts into XMP: the
user's decisions (ratings, favourites, their own tags with their hierarchy,
captions) and the people they named. Automatic tags are photoorg's guesses
and stay out of other tools' keywords."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from photoorg.faces import people
from photoorg.store.schema import TAG_ON, TAG_SOURCE_USER, Photo, PhotoTag, Tag
from photoorg.tags.vocabulary import TagTree
from photoorg.xmp.model import Box, Region
from photoorg.xmp.regions import normalised_box


@dataclass
class Wanted:
    rating: int = 0
    favorite: bool = False
    caption: str | None = None
    tags: list[tuple[str, ...]] = field(default_factory=list)  # each tag as its path, root first
    people: list[Region] = field(default_factory=list)  # named faces
    faces: list[Box] = field(default_factory=list)  # every detected face, named or not
    size: tuple[int, int] | None = None  # the displayed size the boxes are fractions of


def _tag_path(tag_id: int, name: str, tree: TagTree, spelled: dict) -> tuple[str, ...]:
    # The other tool's own spelling and hierarchy, where the tag came from it.
    if name in spelled:
        return tuple(spelled[name].split("|"))
    return tuple(tree.names[t] for t in reversed([tag_id, *tree.ancestors(tag_id)]))


def wanted_metadata(session: Session, photo: Photo, tree: TagTree, applied: dict) -> Wanted:
    wanted = Wanted(rating=photo.rating or 0, favorite=bool(photo.favorite), caption=photo.caption)
    rows = session.execute(
        select(Tag.id, Tag.name)
        .join(PhotoTag, PhotoTag.tag_id == Tag.id)
        .where(PhotoTag.photo_id == photo.id, PhotoTag.source == TAG_SOURCE_USER, PhotoTag.state == TAG_ON)
        .order_by(Tag.name)
    ).all()
    spelled = applied.get("tags") or {}
    wanted.tags = [_tag_path(tag_id, name, tree, spelled) for tag_id, name in rows]
    if photo.width and photo.height:
        wanted.size = (photo.width, photo.height)
        for face in people.photo_faces(session, photo.id):
            box = normalised_box(face.box, wanted.size)
            wanted.faces.append(box)
            if face.person:
                wanted.people.append(Region(face.person, box, "Face"))
    return wanted
