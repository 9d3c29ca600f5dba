"""Comparing a root on disk with the index, and writing results back.

A file whose size and mtime match its row costs a dict lookup. New and changed
files are then matched to the photos they are by content (``identity.py``):
moves, swaps and renames keep their rows and everything attached to them.
Files not found are marked missing, never deleted, and only when the walk of
their root was complete; photos under a folder that can't be read are
unreadable for now, not missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from photoorg.pipeline.stages import ImageStage, StageMarks, clear_stages
from photoorg.pipeline.work import WorkItem, WorkResult
from photoorg.roots import PHOTOS_GENERATION, is_within, prefix_range, root_is_online
from photoorg.scan.metadata import DATE_FROM_FILE, METADATA_VERSION
from photoorg.scan.walker import FileEntry, WalkProblem, walk
from photoorg.store.db import Database, bump_generation
from photoorg.store.schema import (
    PHOTO_FAILED,
    PHOTO_OK,
    PHOTO_UNREADABLE,
    Photo,
    Root,
    ScanError,
)


@dataclass
class RootPlan:
    """What a walk of one root found that needs work."""

    root_id: int
    path: str
    online: bool = True
    offline_reason: str = ""
    items: list[WorkItem] = field(default_factory=list)
    unchanged: int = 0
    files_seen: int = 0
    vanished_ids: list[int] = field(default_factory=list)
    problems: list[WalkProblem] = field(default_factory=list)
    unreadable_ids: list[int] = field(default_factory=list)  # under a folder that can't be listed


@dataclass
class IndexCounts:
    indexed: int = 0
    unchanged: int = 0
    moved: int = 0
    missing: int = 0
    failed: int = 0
    copied: int = 0
    stage_done: dict[str, int] = field(default_factory=dict)
    stage_failed: dict[str, int] = field(default_factory=dict)


def file_date(mtime_ns: int) -> datetime:
    return datetime.fromtimestamp(mtime_ns / 1e9)


def scan_root(
    db: Database,
    root: Root,
    exclude: frozenset[str],
    retry_failed: bool = False,
    *,
    allowed: Sequence[str] | None = None,
    follow_external_links: bool = False,
) -> Iterator[int]:
    """Walk one root, yielding the number of files seen so far now and then.

    ``allowed`` are the folders symbolic links may lead into (all the library's
    roots). The plan is available as the generator's return value (``yield from``).
    """
    plan = RootPlan(root_id=root.id, path=root.path)
    if not root_is_online(root.path):
        plan.online = False
        plan.offline_reason = "folder not found: is the drive connected?"
        return plan

    low, high = prefix_range(root.path)
    with db.session() as s:
        rows = {
            row.path: row
            for row in s.execute(
                select(
                    Photo.id,
                    Photo.path,
                    Photo.size,
                    Photo.mtime_ns,
                    Photo.state,
                    Photo.missing_since,
                    Photo.root_id,
                    Photo.content_hash,
                ).where(Photo.path >= low, Photo.path < high)
            )
        }
    present_before = sum(1 for r in rows.values() if r.missing_since is None and r.root_id == root.id)

    reappeared: list[int] = []
    adopted: list[int] = []
    for entry in walk(root.path, exclude, allowed=allowed, follow_external_links=follow_external_links):
        if isinstance(entry, WalkProblem):
            plan.problems.append(entry)
            continue
        assert isinstance(entry, FileEntry)
        plan.files_seen += 1
        if plan.files_seen % 2000 == 0:
            yield plan.files_seen
        row = rows.pop(entry.path, None)
        if row is None:
            plan.items.append(WorkItem(entry.path, entry.size, entry.mtime_ns, root.id, ingest=True))
            continue
        if row.root_id != root.id:
            adopted.append(row.id)
        same_file = row.size == entry.size and row.mtime_ns == entry.mtime_ns
        retry = row.state == PHOTO_UNREADABLE or (retry_failed and row.state == PHOTO_FAILED)
        if same_file and not retry:
            plan.unchanged += 1
            if row.missing_since is not None:
                reappeared.append(row.id)
            continue
        plan.items.append(
            WorkItem(
                entry.path,
                entry.size,
                entry.mtime_ns,
                root.id,
                photo_id=row.id,
                ingest=True,
                content_hash=row.content_hash,
            )
        )

    if not root_is_online(root.path):
        # The drive went away during the walk: what was not seen is not gone.
        plan.online = False
        plan.offline_reason = "the folder disappeared during the scan"
        plan.items.clear()
        return plan
    if plan.files_seen == 0 and present_before > 0:
        # An empty mount point looks exactly like a folder whose photos were all
        # deleted. Believe the gentler story.
        plan.online = False
        plan.offline_reason = (
            f"the folder is empty but held {present_before} photos: is the drive mounted? "
            "Nothing was marked missing."
        )
        return plan
    locked = [p.path for p in plan.problems if p.unreadable_folder]
    for row in rows.values():
        if row.missing_since is not None:
            continue
        if any(is_within(row.path, folder) for folder in locked):
            plan.unreadable_ids.append(row.id)
        else:
            plan.vanished_ids.append(row.id)

    with db.transaction() as s:
        now = datetime.now()
        if reappeared:
            s.execute(
                update(Photo).where(Photo.id.in_(reappeared)).values(missing_since=None, updated_at=now)
            )
        if adopted:
            s.execute(update(Photo).where(Photo.id.in_(adopted)).values(root_id=root.id))
        if plan.unreadable_ids:
            for chunk in _chunks(plan.unreadable_ids):
                s.execute(
                    update(Photo)
                    .where(Photo.id.in_(chunk))
                    .values(state=PHOTO_UNREADABLE, error="its folder can't be read", updated_at=now)
                )
        s.execute(delete(ScanError).where(ScanError.root_id == root.id))
        for problem in plan.problems:
            s.add(ScanError(root_id=root.id, path=problem.path, reason=problem.reason, at=now))
        s.execute(update(Root).where(Root.id == root.id).values(last_scan_at=now))
        if reappeared or adopted or plan.unreadable_ids:
            bump_generation(s, PHOTOS_GENERATION)
    return plan


def _chunks(values: Sequence[int], size: int = 500) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def mark_missing(db: Database, photo_ids: Sequence[int]) -> int:
    """Mark photos missing whose files are still not where the index says."""
    if not photo_ids:
        return 0
    marked = 0
    now = datetime.now()
    with db.transaction() as s:
        for start in range(0, len(photo_ids), 500):
            chunk = photo_ids[start : start + 500]
            rows = s.execute(
                select(Photo.id, Photo.path).where(Photo.id.in_(chunk), Photo.missing_since.is_(None))
            ).all()
            gone = [r.id for r in rows if not os.path.lexists(r.path)]
            if gone:
                s.execute(update(Photo).where(Photo.id.in_(gone)).values(missing_since=now, updated_at=now))
                marked += len(gone)
        if marked:
            bump_generation(s, PHOTOS_GENERATION)
    return marked


class ResultWriter:
    """Applies finished work to the index, one transaction per batch."""

    def __init__(self, db: Database, stages: Sequence[ImageStage], all_stages: Sequence[ImageStage]) -> None:
        self.db = db
        self.stages = {s.name: s for s in stages}
        # Every stage the library knows, ready or not: a changed file must lose
        # the stale results of all of them.
        self.all_stages = list(all_stages)
        self.counts = IndexCounts()
        self._marks = StageMarks()
        self._saved_by: set[str] = set()

    def write(self, batch: Sequence[WorkResult]) -> None:
        self._marks = StageMarks()
        self._saved_by: set[str] = set()
        with self.db.transaction() as s:
            for result in batch:
                self._write_one(s, result)
            self._marks.flush(s)
            bump_generation(s, PHOTOS_GENERATION)
            for name in self._saved_by:
                generation = self.stages[name].generation
                if generation:
                    bump_generation(s, generation)

    # -- one result ------------------------------------------------------------

    def _write_one(self, s: Session, result: WorkResult) -> None:
        item = result.item
        if result.vanished:
            return
        if item.ingest:
            photo_id, copied_from = self._apply_file(s, result)
        else:
            photo_id, copied_from = item.photo_id, None
            if result.error:
                s.execute(
                    update(Photo)
                    .where(Photo.id == photo_id)
                    .values(state=result.error_state, error=result.error, updated_at=datetime.now())
                )
                self.counts.failed += 1
                return
        if photo_id is None:
            return
        for name, output in result.outputs.items():
            stage = self.stages[name]
            stage.save(s, photo_id, output)
            self._marks.add(photo_id, name, stage.version)
            self._saved_by.add(name)
            self.counts.stage_done[name] = self.counts.stage_done.get(name, 0) + 1
        for name, error in result.stage_errors.items():
            stage = self.stages.get(name)
            if stage is not None:
                self._marks.add(photo_id, name, stage.version, error=error)
                self.counts.stage_failed[name] = self.counts.stage_failed.get(name, 0) + 1
        if copied_from is not None:
            for stage in self.stages.values():
                if stage.copy_result(s, copied_from, photo_id):
                    self._marks.add(photo_id, stage.name, stage.version)
                    self._saved_by.add(stage.name)

    def _apply_file(self, s: Session, result: WorkResult) -> tuple[int | None, int | None]:
        """Insert, update or move the photo row. Returns (photo id, id of an
        identical photo whose results can be copied)."""
        item = result.item
        now = datetime.now()
        folder = os.path.dirname(item.path)
        if result.error:
            values = dict(
                size=item.size,
                mtime_ns=item.mtime_ns,
                state=result.error_state,
                error=result.error,
                updated_at=now,
            )
            self.counts.failed += 1
            if item.photo_id is not None:
                s.execute(update(Photo).where(Photo.id == item.photo_id).values(missing_since=None, **values))
                return None, None
            s.add(
                Photo(
                    root_id=item.root_id,
                    path=item.path,
                    folder=folder,
                    date=file_date(item.mtime_ns),
                    added_at=now,
                    **values,
                )
            )
            return None, None

        meta = result.metadata
        assert meta is not None and result.content_hash is not None
        values = dict(
            root_id=item.root_id,
            path=item.path,
            folder=folder,
            size=item.size,
            mtime_ns=item.mtime_ns,
            content_hash=result.content_hash,
            format=meta.format,
            width=meta.width,
            height=meta.height,
            orientation=meta.orientation,
            taken_at=meta.taken_at,
            tz_offset_min=meta.tz_offset_min,
            date=meta.taken_at or file_date(item.mtime_ns),
            camera_make=meta.camera_make,
            camera_model=meta.camera_model,
            lens=meta.lens,
            gps_lat=meta.gps_lat,
            gps_lon=meta.gps_lon,
            gps_alt=meta.gps_alt,
            date_source=meta.date_source or DATE_FROM_FILE,
            metadata_version=METADATA_VERSION,
            state=PHOTO_OK,
            error=item.note,  # why a file became a new photo (an ambiguous match), else cleared
            missing_since=None,
            updated_at=now,
        )

        if item.photo_id is not None:
            old = s.execute(select(Photo.content_hash, Photo.state).where(Photo.id == item.photo_id)).one()
            s.execute(update(Photo).where(Photo.id == item.photo_id).values(**values))
            if old.content_hash == result.content_hash and old.state == PHOTO_OK:
                self.counts.unchanged += 1  # touched, not changed
                return item.photo_id, None
            for stage in self.all_stages:
                stage.forget(s, item.photo_id)
            clear_stages(s, item.photo_id)
            self.counts.indexed += 1
            return item.photo_id, self._sibling(s, result.content_hash, exclude=item.photo_id)

        # Moves were settled before analysis (identity.py): a new path here is a new photo.
        # Core insert: the ORM's unit of work costs more than the row itself.
        new_id = s.execute(insert(Photo).values(added_at=now, **values)).inserted_primary_key[0]
        self.counts.indexed += 1
        sibling = self._sibling(s, result.content_hash, exclude=new_id) if result.known_content else None
        if sibling is not None:
            self.counts.copied += 1
        return new_id, sibling

    def _sibling(self, s: Session, content_hash: str, exclude: int) -> int | None:
        return s.scalar(
            select(Photo.id)
            .where(Photo.content_hash == content_hash, Photo.id != exclude, Photo.state == PHOTO_OK)
            .order_by(Photo.id)
            .limit(1)
        )


def known_hashes(db: Database, sizes: set[int]) -> set[str]:
    """Content hashes already indexed among files of these sizes: a new file can
    only be a move or copy of a photo with the same size."""
    found: set[str] = set()
    ordered = sorted(sizes)
    with db.session() as s:
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            found.update(
                h
                for h in s.scalars(
                    select(Photo.content_hash).where(Photo.size.in_(chunk), Photo.content_hash.is_not(None))
                )
                if h
            )
    return found
