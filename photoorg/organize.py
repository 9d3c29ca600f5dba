"""The user's own marks: ratings, favourites, albums, and moving files to the trash.

Deleting an album never touches files. Deleting a photo sends the file to the
system trash (recoverable) and marks its row missing rather than dropping it,
so a photo restored from the trash comes back with its albums and tags.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from photoorg.companions import companions
from photoorg.errors import AlbumExists, AlbumNotFound, InvalidInput
from photoorg.roots import PHOTOS_GENERATION
from photoorg.store.db import Database, bump_generation
from photoorg.store.schema import Album, AlbumPhoto, Photo


def _ids(photo_ids: Iterable[int]) -> list[int]:
    ids = sorted(set(int(i) for i in photo_ids))
    if not ids:
        raise InvalidInput("No photos were given.")
    return ids


def set_rating(db: Database, photo_ids: Iterable[int], rating: int) -> None:
    if not 0 <= rating <= 5:
        raise InvalidInput("A rating is a number of stars from 0 to 5.")
    with db.transaction() as s:
        s.execute(update(Photo).where(Photo.id.in_(_ids(photo_ids))).values(rating=rating))
        bump_generation(s, PHOTOS_GENERATION)


def set_favorite(db: Database, photo_ids: Iterable[int], favorite: bool) -> None:
    with db.transaction() as s:
        s.execute(update(Photo).where(Photo.id.in_(_ids(photo_ids))).values(favorite=favorite))
        bump_generation(s, PHOTOS_GENERATION)


def toggle_favorite(db: Database, photo_ids: Iterable[int]) -> bool:
    """Favourite all of them unless all already are; returns the new state."""
    ids = _ids(photo_ids)
    with db.session() as s:
        already = s.scalar(select(func.count()).where(Photo.id.in_(ids), Photo.favorite.is_(True)))
    state = already != len(ids)
    set_favorite(db, ids, state)
    return state


# -- albums -------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("An album needs a name.")
    return cleaned


def create_album(db: Database, name: str) -> int:
    name = _clean_name(name)
    try:
        with db.transaction() as s:
            album = Album(name=name, created_at=datetime.now())
            s.add(album)
            s.flush()
            return album.id
    except IntegrityError as exc:
        raise AlbumExists(f"There is already an album called {name!r}.") from exc


def album_id(db: Database, name: str) -> int:
    with db.session() as s:
        found = s.scalar(select(Album.id).where(Album.name == _clean_name(name)))
    if found is None:
        raise AlbumNotFound(f"There is no album called {name!r}.")
    return found


def rename_album(db: Database, album: int, name: str) -> None:
    name = _clean_name(name)
    try:
        with db.transaction() as s:
            if s.execute(update(Album).where(Album.id == album).values(name=name)).rowcount == 0:
                raise AlbumNotFound("That album no longer exists.")
    except IntegrityError as exc:
        raise AlbumExists(f"There is already an album called {name!r}.") from exc


def delete_album(db: Database, album: int) -> None:
    """Remove the album; its photos stay in the library and on disk."""
    with db.transaction() as s:
        s.execute(delete(Album).where(Album.id == album))
        bump_generation(s, PHOTOS_GENERATION)


def add_to_album(db: Database, album: int, photo_ids: Iterable[int]) -> int:
    now = datetime.now()
    added = 0
    with db.transaction() as s:
        if s.get(Album, album) is None:
            raise AlbumNotFound("That album no longer exists.")
        present = set(s.scalars(select(AlbumPhoto.photo_id).where(AlbumPhoto.album_id == album)))
        for photo_id in _ids(photo_ids):
            if photo_id not in present:
                s.add(AlbumPhoto(album_id=album, photo_id=photo_id, added_at=now))
                added += 1
        bump_generation(s, PHOTOS_GENERATION)
    return added


def remove_from_album(db: Database, album: int, photo_ids: Iterable[int]) -> None:
    with db.transaction() as s:
        s.execute(
            delete(AlbumPhoto).where(AlbumPhoto.album_id == album, AlbumPhoto.photo_id.in_(_ids(photo_ids)))
        )
        bump_generation(s, PHOTOS_GENERATION)


# -- trash -----------------------------------------------------------------------------


@dataclass
class TrashResult:
    trashed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # path -> reason


def move_to_trash(db: Database, photo_ids: Iterable[int]) -> TrashResult:
    """Send the files to the system trash and take them out of the library view.

    Callers must have asked the user first. Nothing is deleted permanently: a
    file the trash can't take is left where it is and reported.
    """
    # lazy: send2trash reads $XDG_DATA_HOME (the trash's place) when imported;
    # importing it here honours the environment of the moment
    from send2trash import send2trash

    ids = _ids(photo_ids)
    with db.session() as s:
        # A RAW+JPEG pair or a Live Photo is one item: its companion files go too.
        ids += [extra for found in companions(s, ids).values() for extra in found]
        rows = s.execute(select(Photo.id, Photo.path).where(Photo.id.in_(ids))).all()
    result = TrashResult()
    gone: list[int] = []
    for photo_id, path in rows:
        if not os.path.lexists(path):
            gone.append(photo_id)
            continue
        try:
            send2trash(path)
        except Exception as exc:  # no trash on this volume, permissions, ...
            result.failed[path] = str(exc) or type(exc).__name__
            continue
        result.trashed.append(path)
        gone.append(photo_id)
    if gone:
        now = datetime.now()
        with db.transaction() as s:
            s.execute(update(Photo).where(Photo.id.in_(gone)).values(missing_since=now, updated_at=now))
            bump_generation(s, PHOTOS_GENERATION)
    return result
