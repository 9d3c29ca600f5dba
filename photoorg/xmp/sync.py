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
from photoorg.xmp.read import UnreadableSidecar, find_sidecar, folder_sidecars, read_photo_xmp
from photoorg.xmp.settings import OFF, write_back_mode
from photoorg.xmp.store import PhotoState
from photoorg.xmp.wanted import wanted_metadata
from photoorg.xmp.writer import WriteBackUnavailable, XmpWriteError, unavailable_reason, write_xmp

log = logging.getLogger(__name__)

STAGE = "xmp"
BATCH = 200  # photos per applied batch of imports


@dataclass
class XmpReport:
    """What a run read, imported or wrote: the shape of ``photoorg xmp --json``."""

    checked: int = 0
    read: int = 0
    imported: list[ImportPlan] = field(default_factory=list)  # photos whose XMP changed something
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
    with ``force``) and import it; ``dry_run`` plans without changing anything."""
    report = XmpReport(dry_run=dry_run)
    with db.session() as s:
        states = store.load_states(s)
    faces = _face_counts(db)
    listings: dict[str, dict[str, int]] = {}
    pending: list[tuple[ImportPlan, PhotoState]] = []
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
                report.failed[photo.path] = str(exc)
                new_state.error = str(exc)
                if not dry_run:
                    with db.transaction() as s:
                        store.save_state(s, new_state)
                continue
            report.read += 1
            new_state.label = record.label
            new_state.regions = [region.as_dict() for region in record.regions]
            with db.session() as s:
                current = s.get(Photo, photo.id)
                plan = plan_import(s, current, record, new_state.applied) if current else None
            if plan is not None:
                new_state.applied = plan.applied
                pending.append((plan, new_state))
        if len(pending) >= BATCH:
            _apply(db, pending, report, dry_run)
        if done % 500 == 0 or done == total:
            yield Progress(STAGE, done, total, message="Reading XMP metadata")
    _apply(db, pending, report, dry_run)
    return report


def _apply(db: Database, pending: list[tuple[ImportPlan, PhotoState]], report: XmpReport, dry_run) -> None:
    plans = [plan for plan, _ in pending]
    report.imported += [plan for plan in plans if plan.changes()]
    if not dry_run and pending:
        apply_plans(db, plans)
        with db.transaction() as s:
            for _, state in pending:
                store.save_state(s, state)
    pending.clear()


# -- writing ------------------------------------------------------------------------------------------------


def _after_write(db: Database, photo: Photo, result, applied: dict) -> None:
    """Remember what was written, so the next index run does not read it back
    as another tool's change (nor re-analyse a file whose XMP alone changed)."""
    stat = os.stat(result.target)
    with db.transaction() as s:
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
    writing never undoes them."""
    if not dry_run and (reason := unavailable_reason()):
        raise WriteBackUnavailable(reason)
    refreshed = yield from import_photos(db, photos, dry_run=dry_run, token=token)
    report = XmpReport(dry_run=dry_run, checked=len(photos), imported=refreshed.imported)
    report.failed.update(refreshed.failed)
    tree = TagTree.load(db)
    with db.session() as s:
        states = store.load_states(s, [p.id for p in photos])
    for done, photo in enumerate(photos, start=1):
        if token is not None:
            token.checkpoint()
        if photo.path in report.failed:
            continue
        applied = states[photo.id].applied if photo.id in states else {}
        with db.session() as s:
            current = s.get(Photo, photo.id)
            if current is None:
                continue
            wanted = wanted_metadata(s, current, tree, applied)
        try:
            result = write_xmp(photo.path, wanted, mode, orientation=photo.orientation, dry_run=dry_run)
        except (XmpWriteError, OSError) as exc:
            report.failed[photo.path] = str(exc) if isinstance(exc, PhotoorgError) else str(exc.strerror)
            continue
        if not result.changed:
            report.unchanged += 1
        else:
            report.written.append({"path": photo.path, **result.as_dict()})
            if not dry_run:
                _after_write(db, current, result, applied)
        if done % 100 == 0 or done == len(photos):
            yield Progress(STAGE, done, len(photos), message="Writing XMP metadata")
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
