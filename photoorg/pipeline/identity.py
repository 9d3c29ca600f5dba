"""Which indexed photo each new or changed file is: identity follows content.

A photo row carries everything the user made (rating, favourite, albums, tags,
named faces) and every stored result. When files are swapped, renamed in a
cycle, or moved onto a path another photo used to have, the row must follow
its picture, not its old path. So, before anything is analysed, a rescan:

1. hashes every file whose path is indexed but whose size or mtime changed, and
   every new file whose size equals that of a photo that left its path (a
   moved file keeps its size; any other new file can't be a move and is not
   read twice);
2. gives each such file the photo that had its content and lost its path
   (vanished, already missing, or overwritten), matching the whole library at
   once, so the order of the walk can't matter;
3. only then treats a changed path whose new content is unknown as an in-place
   edit (the row and its marks stay), and one whose new content is a copy of
   another photo, or whose photo was already missing, as a replacement: the
   photo that was there becomes missing (its marks kept), unless its own
   content turned up elsewhere, where it goes.

Where the match is ambiguous (several photos with the same content lost their
paths and they carry different marks) nothing is guessed: the old photos stay
(missing), the files become new photos, and each gets a note the status lists
under "Needs attention". Moves and touched files are settled here, in one
transaction, and never reach the decoding pipeline.

Longer than most modules: matching files to photos is one algorithm over
several cases (swap, cycle, vacated path, copy over, ambiguous) that must
agree within one transaction; split up, its invariants would be scattered.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from photoorg.pipeline.work import WorkItem
from photoorg.progress import CancelToken, Progress, RateMeter
from photoorg.roots import PHOTOS_GENERATION, root_is_online
from photoorg.scan.files import hash_regular_file
from photoorg.store.db import Database, bump_generation
from photoorg.store.schema import (
    ASSIGNED_USER,
    PHOTO_OK,
    PHOTO_UNREADABLE,
    TAG_SOURCE_USER,
    AlbumPhoto,
    Face,
    Photo,
    PhotoTag,
    Root,
)

# A displaced photo's path: the walker never yields it (not an image name) and
# it can't clash with the file now at the old path. Shown to the user as is.
REPLACED_SUFFIX = "#replaced-"
_CHUNK = 500


@dataclass
class IdentityOutcome:
    items: list[WorkItem] = field(default_factory=list)  # what still needs the pipeline
    moved: int = 0
    touched: int = 0
    displaced: int = 0
    ambiguous: int = 0


@dataclass
class _Row:
    id: int
    path: str
    size: int
    content_hash: str | None
    state: str
    missing: bool
    root_id: int | None
    taken_at: datetime | None


def _file_hash(path: str) -> str | None:
    try:
        return hash_regular_file(path)
    except (OSError, ValueError):
        return None  # unreadable or gone: the pipeline records why


def _chunks(values: Sequence) -> Iterator[Sequence]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


_ROW_COLUMNS = (
    Photo.id,
    Photo.path,
    Photo.size,
    Photo.content_hash,
    Photo.state,
    Photo.missing_since,
    Photo.root_id,
    Photo.taken_at,
)


def _as_row(r) -> _Row:
    return _Row(
        r.id, r.path, r.size, r.content_hash, r.state, r.missing_since is not None, r.root_id, r.taken_at
    )


def _rows_where(s: Session, column, values) -> list[_Row]:
    rows: list[_Row] = []
    ordered = sorted(values)
    for chunk in _chunks(ordered):
        rows.extend(_as_row(r) for r in s.execute(select(*_ROW_COLUMNS).where(column.in_(chunk))))
    return rows


def marks_signature(s: Session, photo_ids: Sequence[int]) -> dict[int, tuple]:
    """Per photo, everything the user decided about it, comparable with ==.
    An empty signature means the user marked nothing."""
    marks: dict[int, dict[str, list]] = {pid: defaultdict(list) for pid in photo_ids}
    for chunk in _chunks(sorted(photo_ids)):
        for pid, rating, favorite in s.execute(
            select(Photo.id, Photo.rating, Photo.favorite).where(Photo.id.in_(chunk))
        ):
            if rating:
                marks[pid]["rating"].append(rating)
            if favorite:
                marks[pid]["favorite"].append(True)
        for pid, album in s.execute(
            select(AlbumPhoto.photo_id, AlbumPhoto.album_id).where(AlbumPhoto.photo_id.in_(chunk))
        ):
            marks[pid]["albums"].append(album)
        for pid, tag, state in s.execute(
            select(PhotoTag.photo_id, PhotoTag.tag_id, PhotoTag.state).where(
                PhotoTag.photo_id.in_(chunk), PhotoTag.source == TAG_SOURCE_USER
            )
        ):
            marks[pid]["tags"].append((tag, state))
        for pid, person in s.execute(
            select(Face.photo_id, Face.person_id).where(
                Face.photo_id.in_(chunk), Face.assigned_by == ASSIGNED_USER
            )
        ):
            marks[pid]["people"].append(person or 0)
    return {pid: tuple(sorted((k, tuple(sorted(v))) for k, v in m.items())) for pid, m in marks.items()}


class IdentityResolver:
    """Settles, before analysis, which row each new or changed file belongs to."""

    def __init__(
        self,
        db: Database,
        items: Sequence[WorkItem],
        vanished_ids: Sequence[int],
        *,
        workers: int = 2,
        token: CancelToken | None = None,
    ) -> None:
        self.db = db
        self.items = list(items)
        self.vanished_ids = list(vanished_ids)
        self.workers = max(1, workers)
        self.token = token or CancelToken()
        self.outcome = IdentityOutcome()
        self._root_online: dict[int | None, bool] = {}

    # -- the phase ---------------------------------------------------------------------

    def run(self) -> Iterator[Progress]:
        """Yields progress while hashing; the outcome is on ``self.outcome``."""
        self.outcome.items = self.items
        changed = [item for item in self.items if item.photo_id is not None]
        new = [item for item in self.items if item.photo_id is None]
        if not changed and not (new and (self.vanished_ids or self._any_missing())):
            return  # a first index, or only new files with nothing they could be
        with self.db.session() as s:
            old = {r.id: r for r in _rows_where(s, Photo.id, [i.photo_id for i in changed])}
            vanished = _rows_where(s, Photo.id, self.vanished_ids)
            sizes = {r.size for r in vanished} | {r.size for r in old.values()}
            if new:
                sizes |= set(
                    s.scalars(
                        select(Photo.size)
                        .where(Photo.missing_since.is_not(None), Photo.content_hash.is_not(None))
                        .distinct()
                    )
                )
        to_hash = changed + [item for item in new if item.size in sizes]
        if not to_hash:
            return
        hashes = yield from self._hash_all(to_hash)
        if self.token.cancelled:
            return
        with self.db.transaction() as s:
            self._resolve(s, to_hash, hashes, old, vanished)

    def _any_missing(self) -> bool:
        with self.db.session() as s:
            return s.scalar(select(Photo.id).where(Photo.missing_since.is_not(None)).limit(1)) is not None

    def _hash_all(self, items: list[WorkItem]) -> Iterator[Progress]:
        hashes: dict[str, str] = {}
        meter = RateMeter()
        total = len(items)
        message = "Matching moved and changed files"
        yield Progress("match", 0, total, message=message)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="photoorg-match") as pool:
            for done, (item, digest) in enumerate(
                zip(items, pool.map(_file_hash, [i.path for i in items])), start=1
            ):
                if digest is not None:
                    hashes[item.path] = digest
                if done % 64 == 0 or done == total:
                    yield meter.progress("match", done, total)
                if self.token.cancelled:
                    pool.shutdown(wait=True, cancel_futures=True)
                    break
        return hashes

    # -- deciding ----------------------------------------------------------------------

    def _resolve(
        self,
        s: Session,
        hashed: list[WorkItem],
        hashes: dict[str, str],
        old: dict[int, _Row],
        vanished: list[_Row],
    ) -> None:
        touched: list[WorkItem] = []
        claimants: list[WorkItem] = []  # files whose content is not their row's
        for item in hashed:
            digest = hashes.get(item.path)
            if digest is None:
                continue
            row = old.get(item.photo_id) if item.photo_id is not None else None
            if row is not None and row.content_hash == digest and row.state in (PHOTO_OK, PHOTO_UNREADABLE):
                touched.append(item)
            else:
                claimants.append(item)
        wanted = {hashes[i.path] for i in claimants}
        known = defaultdict(list)  # content hash -> every row with it, before this run
        for row in _rows_where(s, Photo.content_hash, wanted):
            known[row.content_hash].append(row)

        changed_rows = {i.photo_id for i in claimants if i.photo_id is not None}
        vanished_ids = {r.id for r in vanished}
        available: dict[str, list[_Row]] = defaultdict(list)
        for digest in wanted:
            for row in known[digest]:
                if row.id in changed_rows or self._left_its_path(s, row, vanished_ids):
                    available[digest].append(row)

        by_hash: dict[str, list[WorkItem]] = defaultdict(list)
        for item in claimants:
            by_hash[hashes[item.path]].append(item)
        assigned: dict[str, _Row] = {}  # file path -> the row it gets
        notes: dict[str, str] = {}
        for digest, files in by_hash.items():
            pairs, note = self._pair(s, files, available.get(digest, []))
            assigned.update(pairs)
            if note:
                for item in files:
                    if item.path not in pairs:
                        notes[item.path] = note
                        self.outcome.ambiguous += 1

        taken_rows = {row.id for row in assigned.values()}
        remaining: list[WorkItem] = []
        displaced: list[_Row] = []
        claimant_paths = {i.path for i in claimants}
        touched_paths = {i.path for i in touched}
        for item in self.items:
            if item.path not in claimant_paths:
                if item.path not in touched_paths:
                    remaining.append(item)
                continue
            digest = hashes[item.path]
            own = old.get(item.photo_id) if item.photo_id is not None else None
            if item.path in assigned:
                if own is not None and own.id not in taken_rows:
                    displaced.append(own)
                continue
            if own is not None:
                copy_of_other = any(r.id != own.id for r in known[digest])
                # A photo already missing whose path holds a file again (a name
                # reused after a delete, a new import) is not being edited.
                replaced = own.content_hash is not None and (copy_of_other or own.missing)
                if own.id in taken_rows or replaced:
                    # The photo that was here left (its content is elsewhere) or
                    # was overwritten: this path starts a new photo.
                    if own.id not in taken_rows:
                        displaced.append(own)
                    item = _as_new(item)
                # else: an in-place edit; the row, and its marks, stay.
            item.note = notes.get(item.path)
            remaining.append(item)

        self._apply(s, assigned, hashed, displaced, touched)
        self.outcome.items = remaining

    def _left_its_path(self, s: Session, row: _Row, vanished_ids: set[int]) -> bool:
        """The row's file is no longer at its path, on a drive that is connected."""
        if row.id not in vanished_ids and not row.missing:
            return False
        if os.path.lexists(row.path):
            return False
        return self._online(s, row.root_id, row.path)

    def _online(self, s: Session, root_id: int | None, path: str) -> bool:
        if root_id is None:
            # A photo of a removed root: its own folder still being there is the
            # best evidence that its drive is connected.
            return os.path.isdir(os.path.dirname(path))
        if root_id not in self._root_online:
            root_path = s.scalar(select(Root.path).where(Root.id == root_id))
            self._root_online[root_id] = bool(root_path) and root_is_online(root_path)
        return self._root_online[root_id]

    def _pair(
        self, s: Session, files: list[WorkItem], rows: list[_Row]
    ) -> tuple[dict[str, _Row], str | None]:
        """Files and rows of one content. Returns the pairs and, when the rest
        can't be told apart, the note for the files left unpaired."""
        pairs: dict[str, _Row] = {}
        if not rows:
            return pairs, None
        # Same file name first: a renamed folder keeps its files' names.
        names_f = defaultdict(list)
        names_r = defaultdict(list)
        for item in files:
            names_f[os.path.basename(item.path)].append(item)
        for row in rows:
            names_r[os.path.basename(row.path)].append(row)
        for name, fs in names_f.items():
            rs = names_r.get(name, [])
            if len(fs) == 1 and len(rs) == 1:
                pairs[fs[0].path] = rs[0]
        used = {row.id for row in pairs.values()}
        files = [f for f in files if f.path not in pairs]
        rows = [r for r in rows if r.id not in used]
        if not files or not rows:
            return pairs, None
        # New paths before paths that held another photo: fewer photos displaced.
        files.sort(key=lambda f: (f.photo_id is not None, f.path))
        rows.sort(key=lambda r: r.path)
        if len(rows) > 1:
            signatures = marks_signature(s, [r.id for r in rows])
            if len({signatures[r.id] for r in rows}) > 1:
                listed = ", ".join(r.path for r in rows[:5]) + (" ..." if len(rows) > 5 else "")
                return pairs, (
                    f"the same picture as {len(rows)} photos that left their places ({listed}) and carry "
                    "different ratings, albums, tags or people; photoorg can't tell which one this is, so "
                    "their marks stay on those photos (missing)"
                )
        for item, row in zip(files, rows):
            pairs[item.path] = row
        return pairs, None

    # -- writing -----------------------------------------------------------------------

    def _apply(
        self,
        s: Session,
        assigned: dict[str, _Row],
        hashed: list[WorkItem],
        displaced: list[_Row],
        touched: list[WorkItem],
    ) -> None:
        now = datetime.now()
        by_path = {item.path: item for item in hashed}
        # Paths are unique: park every row that moves, then give each its place,
        # so swaps and cycles never collide half way.
        moving = [row.id for row in assigned.values()] + [row.id for row in displaced]
        for row_id in moving:
            parked = f"{REPLACED_SUFFIX}parked-{row_id}"
            s.execute(update(Photo).where(Photo.id == row_id).values(path=parked))
        if displaced:
            signatures = marks_signature(s, [r.id for r in displaced])
            for row in displaced:
                note = None
                if signatures[row.id]:
                    note = (
                        f"the file at {row.path} was replaced by another picture; this photo keeps its "
                        "ratings, albums and tags and comes back if its picture turns up again"
                    )
                s.execute(
                    update(Photo)
                    .where(Photo.id == row.id)
                    .values(
                        path=f"{row.path}{REPLACED_SUFFIX}{row.id}",
                        missing_since=now,
                        error=note,
                        updated_at=now,
                    )
                )
            self.outcome.displaced = len(displaced)
        for path, row in assigned.items():
            item = by_path[path]
            values = dict(
                path=path,
                folder=os.path.dirname(path),
                root_id=item.root_id,
                size=item.size,
                mtime_ns=item.mtime_ns,
                state=PHOTO_OK,
                error=None,
                missing_since=None,
                updated_at=now,
            )
            if row.taken_at is None:
                values["date"] = datetime.fromtimestamp(item.mtime_ns / 1e9)
            s.execute(update(Photo).where(Photo.id == row.id).values(**values))
        for item in touched:
            s.execute(
                update(Photo)
                .where(Photo.id == item.photo_id)
                .values(
                    size=item.size,
                    mtime_ns=item.mtime_ns,
                    state=PHOTO_OK,
                    error=None,
                    missing_since=None,
                    updated_at=now,
                )
            )
        self.outcome.moved = len(assigned)
        self.outcome.touched = len(touched)
        if assigned or displaced or touched:
            bump_generation(s, PHOTOS_GENERATION)


def _as_new(item: WorkItem) -> WorkItem:
    return WorkItem(item.path, item.size, item.mtime_ns, item.root_id, ingest=True)
