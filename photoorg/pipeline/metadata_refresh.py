"""Bringing the metadata of already indexed photos up to the current reader.

When the metadata reader learns to find more (``METADATA_VERSION`` in
``photoorg/scan/metadata.py``), photos indexed earlier would otherwise keep what
the old reader found until their files change: no date, so a wrong place on the
timeline. A rescan re-reads just the headers of those photos (no hashing, no
decoding) and rewrites only the descriptive columns: date, camera, lens and
GPS. Everything an analysis stage produced (thumbnails, embeddings, tags,
faces) and the size and orientation those used stay as they are, so no model
runs again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime

from sqlalchemy import select, update

from photoorg.pipeline.reconcile import file_date
from photoorg.progress import CancelToken, Progress, RateMeter
from photoorg.roots import PHOTOS_GENERATION
from photoorg.scan.metadata import DATE_FROM_FILE, METADATA_VERSION, PhotoMetadata, read_metadata_file
from photoorg.store.db import Database, bump_generation
from photoorg.store.schema import PHOTO_OK, Photo

STAGE = "metadata"
_BATCH = 200


def stale_photos(db: Database, online_roots: Sequence[int]) -> list[tuple[int, str, int, int]]:
    """(id, path, size, mtime_ns) of present photos read by an older reader."""
    if not online_roots:
        return []
    with db.session() as s:
        rows = s.execute(
            select(Photo.id, Photo.path, Photo.size, Photo.mtime_ns)
            .where(
                Photo.metadata_version < METADATA_VERSION,
                Photo.state == PHOTO_OK,
                Photo.missing_since.is_(None),
                Photo.root_id.in_(list(online_roots)),
            )
            .order_by(Photo.path)
        ).all()
    return [tuple(row) for row in rows]


def metadata_columns(meta: PhotoMetadata, mtime_ns: int) -> dict:
    """The descriptive columns a metadata read sets (not size or orientation)."""
    return dict(
        taken_at=meta.taken_at,
        tz_offset_min=meta.tz_offset_min,
        date=meta.taken_at or file_date(mtime_ns),
        date_source=meta.date_source or DATE_FROM_FILE,
        camera_make=meta.camera_make,
        camera_model=meta.camera_model,
        lens=meta.lens,
        gps_lat=meta.gps_lat,
        gps_lon=meta.gps_lon,
        gps_alt=meta.gps_alt,
        metadata_version=METADATA_VERSION,
    )


def _same_file(path: str, size: int, mtime_ns: int) -> bool:
    try:
        stat = os.stat(path)
    except OSError:
        return False
    return stat.st_size == size and stat.st_mtime_ns == mtime_ns


def refresh_metadata(
    db: Database,
    online_roots: Sequence[int],
    token: CancelToken,
    *,
    skip: Collection[int] = (),
    reader: Callable[[str], PhotoMetadata | None] = read_metadata_file,
) -> Iterator[Progress]:
    """Re-read the headers of photos whose metadata an older reader wrote.

    ``skip``: photos this run reads in full anyway (new or changed files). A
    file that changed since the walk is left for the next scan; one whose
    header can no longer be read keeps its old values.
    """
    skipped = set(skip)
    stale = [row for row in stale_photos(db, online_roots) if row[0] not in skipped]
    if not stale:
        return
    meter = RateMeter()
    total = len(stale)
    yield meter.progress(STAGE, 0, total)
    for start in range(0, total, _BATCH):
        token.checkpoint()
        batch = stale[start : start + _BATCH]
        updates: list[tuple[tuple[int, int, int], dict]] = []
        for photo_id, path, size, mtime_ns in batch:
            if not _same_file(path, size, mtime_ns):
                continue
            meta = reader(path)
            values = metadata_columns(meta, mtime_ns) if meta else {"metadata_version": METADATA_VERSION}
            updates.append(((photo_id, size, mtime_ns), values))
        if updates:
            now = datetime.now()
            with db.transaction() as s:
                for (photo_id, size, mtime_ns), values in updates:
                    # Guarded by size and mtime: an indexing run that rewrote
                    # the row meanwhile wins.
                    s.execute(
                        update(Photo)
                        .where(Photo.id == photo_id, Photo.size == size, Photo.mtime_ns == mtime_ns)
                        .values(updated_at=now, **values)
                    )
                bump_generation(s, PHOTOS_GENERATION)
        yield meter.progress(STAGE, min(start + _BATCH, total), total)
