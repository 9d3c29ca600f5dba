"""The folders a library watches.

Roots never nest: adding a folder inside a root is a no-op that says so, and
adding a parent of roots absorbs them, so every photo belongs to one root.
Removing a root keeps its photos' rows (marked missing): if the folder comes
back, a rescan finds them again with their tags, albums and people.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, update

from photoorg.errors import FolderNotFound, InvalidInput, RootNotFound
from photoorg.store.db import Database, bump_generation
from photoorg.store.schema import Photo, Root

PHOTOS_GENERATION = "photos"


def normalise(path: str | os.PathLike) -> str:
    """Absolute, with symlinks in the folder itself resolved, no trailing separator."""
    return os.path.realpath(os.path.abspath(os.path.expanduser(os.fspath(path))))


def is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def prefix_range(folder: str) -> tuple[str, str]:
    """(low, high) such that low <= p < high for every path p under ``folder``:
    a range query the path index answers, unlike LIKE."""
    base = folder.rstrip(os.sep) + os.sep
    return base, base[:-1] + chr(ord(os.sep) + 1)


def root_is_online(path: str) -> bool:
    """A root whose folder is gone is on a drive that is not connected (or was
    renamed): its photos must not be marked missing."""
    return os.path.isdir(path)


@dataclass(frozen=True)
class RootInfo:
    id: int
    path: str
    online: bool
    photos: int
    missing: int
    added_at: datetime
    last_scan_at: datetime | None


def list_roots(db: Database) -> list[RootInfo]:
    with db.session() as s:
        counts = dict(
            s.execute(
                select(Photo.root_id, func.count())
                .where(Photo.missing_since.is_(None), Photo.state == "ok")
                .group_by(Photo.root_id)
            ).all()
        )
        missing = dict(
            s.execute(
                select(Photo.root_id, func.count())
                .where(Photo.missing_since.is_not(None))
                .group_by(Photo.root_id)
            ).all()
        )
        return [
            RootInfo(
                id=r.id,
                path=r.path,
                online=root_is_online(r.path),
                photos=counts.get(r.id, 0),
                missing=missing.get(r.id, 0),
                added_at=r.added_at,
                last_scan_at=r.last_scan_at,
            )
            for r in s.scalars(select(Root).order_by(Root.path))
        ]


def add_root(db: Database, path: str | os.PathLike, library_dir: Path | None = None) -> tuple[Root, str]:
    """Add a folder; returns the root that covers it and a sentence for the user."""
    folder = normalise(path)
    if not os.path.isdir(folder):
        raise FolderNotFound(f"{path}: no such folder (or it is not a folder).")
    if library_dir is not None and normalise(library_dir) == folder:
        raise InvalidInput(f"{path} is the library folder itself; add the folders that hold your photos.")
    with db.transaction() as s:
        roots = list(s.scalars(select(Root)))
        for root in roots:
            if is_within(folder, root.path):
                note = "already in the library" if folder == root.path else f"already inside {root.path}"
                return root, f"{folder} is {note}."
        new_root = Root(path=folder, added_at=datetime.now())
        s.add(new_root)
        s.flush()
        absorbed = [r for r in roots if is_within(r.path, folder)]
        for child in absorbed:
            s.execute(update(Photo).where(Photo.root_id == child.id).values(root_id=new_root.id))
            s.delete(child)
        # Rows left by an earlier removal of this folder come back to it.
        low, high = prefix_range(folder)
        s.execute(
            update(Photo)
            .where(Photo.path >= low, Photo.path < high, Photo.root_id.is_(None))
            .values(root_id=new_root.id)
        )
        bump_generation(s, PHOTOS_GENERATION)
        message = f"Added {folder}."
        if absorbed:
            message += f" It includes {len(absorbed)} folder(s) that were roots before."
        return new_root, message


def remove_root(db: Database, path: str | os.PathLike) -> int:
    """Stop watching a folder. Returns how many photos left the library view.

    Their rows stay, marked missing: nothing the user made (tags, albums,
    people) is deleted, and no file is touched.
    """
    folder = normalise(path)
    with db.transaction() as s:
        root = s.scalar(select(Root).where(Root.path == folder))
        if root is None:
            raise RootNotFound(f"{path} is not one of the library's folders.")
        now = datetime.now()
        result = s.execute(
            update(Photo)
            .where(Photo.root_id == root.id)
            .values(root_id=None, missing_since=func.coalesce(Photo.missing_since, now))
        )
        s.delete(root)
        bump_generation(s, PHOTOS_GENERATION)
        return result.rowcount or 0


def find_root(db: Database, path: str | os.PathLike) -> Root | None:
    folder = normalise(path)
    with db.session() as s:
        for root in s.scalars(select(Root)):
            if is_within(folder, root.path):
                return root
    return None
