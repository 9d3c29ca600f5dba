"""Reading and writing XMP for many photos: on each index run, from
``photoorg xmp import|export``, and for the photos the user just changed.

Reading is incremental: a photo's XMP is read again only when its file (size,
mtime) or its sidecar (which one, mtime) changed since the last read, or when
its regions found no face and the photo's faces have changed since. Each folder
is listed once for its sidecars.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from photoorg.errors import PhotoorgError
from photoorg.photos import find_photo
from photoorg.progress import CancelToken, Progress
from photoorg.roots import PHOTOS_GENERATION, normalise, prefix_range
from photoorg.scan.files import read_regular_file
from photoorg.search.filters import visible_photos
from photoorg.store.db import Database, bump_generation
from photoorg.store.schema import Face, Photo
from photoorg.tags.vocabulary import TagTree
from photoorg.xmp import store
from photoorg.xmp.importer import ImportPlan, apply_plans, plan_import
from photoorg.xmp.model import XmpRecord
from photoorg.xmp.read import UnreadableSidecar, find_sidecar, folder_sidecars, read_photo_xmp
from photoorg.xmp.settings import OFF, write_back_mode
from photoorg.xmp.store import PhotoState
from photoorg.xmp.wanted import wanted_metadata
from photoorg.xmp.writer import (
    WriteBackUnavailable,
    WriteResult,
    XmpWriteError,
    unavailable_reason,
    write_xmp,
)

log = logging.getLogger(__name__)

STAGE = "xmp"
BATCH = 200  # photos per applied batch of imports


@dataclass
class XmpReport:
    """What a run read, imported or wrote: the shape of ``photoorg xmp --json``."""

    checked: int = 0
    read: int = 0
    # photos whose XMP changed something, or met the user's own values (kept)
    imported: list[ImportPlan] = field(default_factory=list)
    written: list[dict] = field(default_factory=list)
    unchanged: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # path -> reason
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "checked": self.checked,
            "read": self.read,
            "imported": [plan.as_dict() for plan in self.imported],
            "written": self.written,
            "unchanged": self.unchanged,
            "failed": [{"path": path, "reason": reason} for path, reason in sorted(self.failed.items())],
        }

    def stage_counts(self) -> dict:
        """For ``index --json``'s "stages"."""
        return {STAGE: {"done": self.read + len(self.written), "failed": len(self.failed)}}


# -- which photos -------------------------------------------------------------------------------------


def select_photos(db: Database, paths: Sequence[str] = ()) -> list[Photo]:
    """The visible photos at or under ``paths`` (files or folders); all without."""
    with db.session() as s:
        if not paths:
            return list(s.scalars(select(Photo).where(visible_photos()).order_by(Photo.path)))
        clauses = []
        for path in paths:
            if os.path.isdir(path):
                low, high = prefix_range(normalise(path))
                clauses.append(and_(Photo.path >= low, Photo.path < high))
            else:
                clauses.append(Photo.id == find_photo(db, path).id)
        return list(s.scalars(select(Photo).where(visible_photos(), or_(*clauses)).order_by(Photo.path)))


def _face_counts(db: Database, photo_ids: Iterable[int] | None = None) -> dict[int, int]:
    with db.session() as s:
        query = select(Face.photo_id, func.count()).group_by(Face.photo_id)
        if photo_ids is not None:
            query = query.where(Face.photo_id.in_(list(photo_ids)))
        return dict(s.execute(query).all())


# -- reading ----------------------------------------------------------------------------------------------


def _needs_reading(photo: Photo, state: PhotoState | None, sidecar, faces: int) -> bool:
    if state is None or (state.file_size, state.file_mtime_ns) != (photo.size, photo.mtime_ns):
        return True
    if (state.sidecar, state.sidecar_mtime_ns) != (sidecar or (None, None)):
        return True
    # Regions that named no face yet: the faces stage may have found them since.
    return any(r.get("name") for r in state.regions) and faces != state.faces


def import_photos(
    db: Database,
    photos: Sequence[Photo],
    *,
    force: bool = False,
    dry_run: bool = False,
    token: CancelToken | None = None,
) -> Generator[Progress, None, XmpReport]:
    """Read the XMP of the photos whose files or sidecars changed (all of them
    with ``force``) and import it; ``dry_run`` plans without changing anything.
    Files are read one by one; the database is read and written once per batch."""
    report = XmpReport(dry_run=dry_run)
    with db.session() as s:
        states = store.load_states(s)
    faces = _face_counts(db)
    listings: dict[str, dict[str, int]] = {}
    batch: list[tuple[XmpRecord | None, PhotoState]] = []
    total = len(photos)
    for done, photo in enumerate(photos, start=1):
        if token is not None:
            token.checkpoint()
        report.checked += 1
        if photo.folder not in listings:
            listings[photo.folder] = folder_sidecars(photo.folder)
        sidecar = find_sidecar(photo.path, listings[photo.folder])
        state = states.get(photo.id)
        if force or _needs_reading(photo, state, sidecar, faces.get(photo.id, 0)):
            new_state = PhotoState(
                photo.id,
                sidecar[0] if sidecar else None,
                sidecar[1] if sidecar else None,
                photo.size,
                photo.mtime_ns,
                faces.get(photo.id, 0),
                applied=state.applied if state else {},
            )
            try:
                record = read_photo_xmp(photo.path, new_state.sidecar)
            except UnreadableSidecar as exc:
                report.failed[photo.path] = new_state.error = str(exc)
                record = None
            else:
                report.read += 1
                new_state.label = record.label
                new_state.regions = [region.as_dict() for region in record.regions]
            batch.append((record, new_state))
        if len(batch) >= BATCH:
            _import_batch(db, batch, report)
        if done % 500 == 0 or done == total:
            yield Progress(STAGE, done, total, message="Reading XMP metadata")
    _import_batch(db, batch, report)
    return report


def _import_batch(db: Database, batch: list[tuple[XmpRecord | None, PhotoState]], report: XmpReport) -> None:
    if not batch:
        return
    plans = []
    with db.session() as s:
        for record, state in batch:
            photo = s.get(Photo, state.photo_id)
            if record is not None and photo is not None:
                plan = plan_import(s, photo, record, state.applied)
                state.applied = plan.applied
                plans.append(plan)
    report.imported += [plan for plan in plans if plan.changes() or plan.kept]
    if not report.dry_run:
        apply_plans(db, plans)
        with db.transaction() as s:
            for _, state in batch:
                store.save_state(s, state)
    batch.clear()


# -- writing ------------------------------------------------------------------------------------------------


def _after_write(s: Session, photo: Photo, result: WriteResult, applied: dict) -> None:
    """Remember what was written, so the next index run does not read it back
    as another tool's change (nor re-analyse a file whose XMP alone changed)."""
    stat = os.stat(result.target)
    state = store.load_states(s, [photo.id]).get(photo.id)
    state = state or PhotoState(photo.id, None, None, photo.size, photo.mtime_ns, applied=applied)
    if result.embedded:
        digest = hashlib.sha256(read_regular_file(photo.path)).hexdigest()
        s.execute(
            update(Photo)
            .where(Photo.id == photo.id)
            .values(size=stat.st_size, mtime_ns=stat.st_mtime_ns, content_hash=digest)
        )
        bump_generation(s, PHOTOS_GENERATION)
        state.file_size, state.file_mtime_ns = stat.st_size, stat.st_mtime_ns
    else:
        state.sidecar, state.sidecar_mtime_ns = result.target, stat.st_mtime_ns
    store.save_state(s, state)


def write_photos(
    db: Database,
    photos: Sequence[Photo],
    mode: str,
    *,
    dry_run: bool = False,
    token: CancelToken | None = None,
) -> Generator[Progress, None, XmpReport]:
    """Write each photo's decisions as XMP (``mode``: sidecar or embedded).
    Changes another tool made since the last read are imported first, so
    writing never undoes them. The database is read and written once per batch."""
    if not dry_run and (reason := unavailable_reason()):
        raise WriteBackUnavailable(reason)
    refreshed = yield from import_photos(db, photos, dry_run=dry_run, token=token)
    report = XmpReport(dry_run=dry_run, checked=len(photos), imported=refreshed.imported)
    report.failed.update(refreshed.failed)
    tree = TagTree.load(db)
    todo = [photo for photo in photos if photo.path not in report.failed]
    for first in range(0, len(todo), BATCH):
        chunk = todo[first : first + BATCH]
        with db.session() as s:
            states = store.load_states(s, [p.id for p in chunk])
            wanted = []
            for photo in chunk:
                current = s.get(Photo, photo.id)
                if current is not None:
                    applied = states[photo.id].applied if photo.id in states else {}
                    wanted.append((current, applied, wanted_metadata(s, current, tree, applied)))
        written = []
        for current, applied, metadata in wanted:
            if token is not None:
                token.checkpoint()
            try:
                result = write_xmp(
                    current.path, metadata, mode, orientation=current.orientation, dry_run=dry_run
                )
            except (XmpWriteError, OSError) as exc:
                report.failed[current.path] = str(exc) if isinstance(exc, PhotoorgError) else exc.strerror
                continue
            if not result.changed:
                report.unchanged += 1
                continue
            report.written.append({"path": current.path, **result.as_dict()})
            written.append((current, result, applied))
        if written and not dry_run:
            with db.transaction() as s:
                for current, result, applied in written:
                    _after_write(s, current, result, applied)
        yield Progress(STAGE, min(first + BATCH, len(todo)), len(todo), message="Writing XMP metadata")
    return report


def write_pending(db: Database, token: CancelToken | None = None) -> Generator[Progress, None, XmpReport]:
    """Write the photos the user changed since the last write (the queue the
    triggers fill), when write-back is on. The queue is taken before writing,
    so a change made meanwhile queues the photo again."""
    mode = write_back_mode(db)
    with db.session() as s:
        ids = store.pending_ids(s)
    if not ids:
        return XmpReport()
    reason = unavailable_reason()
    if mode != OFF and reason:
        # Kept queued: written once the bindings are installed (or by `xmp export`).
        log.warning("%s", reason)
        return XmpReport()
    with db.transaction() as s:
        store.unqueue(s, ids)
    if mode == OFF:
        return XmpReport()
    with db.session() as s:
        photos = list(
            s.scalars(select(Photo).where(Photo.id.in_(ids), visible_photos()).order_by(Photo.path))
        )
    report = yield from write_photos(db, photos, mode, token=token)
    for path, reason in report.failed.items():
        log.warning("XMP not written for %s: %s", path, reason)
    return report


def run_to_end(job: Generator[Progress, None, XmpReport]) -> XmpReport:
    """A job's result, its progress ignored (the app's background writes)."""
    while True:
        try:
            next(job)
        except StopIteration as stop:
            return stop.value
