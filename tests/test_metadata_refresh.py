"""A library indexed by an older metadata reader gets the current reader's
dates and cameras on its next rescan, without any analysis running again."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update

from photoorg.photos import photo_details
from photoorg.pipeline import work
from photoorg.roots import add_root
from photoorg.scan.metadata import DATE_FROM_EXIF, DATE_FROM_FILE, DATE_FROM_XMP, METADATA_VERSION
from photoorg.store import migrations
from photoorg.store.db import Database
from photoorg.store.schema import Embedding, Photo, PhotoStage
from tests.helpers import make_photo, set_mtime

FIXTURES = Path(__file__).parent / "fixtures"


def _index(library, *roots):
    root_ids = [add_root(library.db, r)[0].id for r in roots] if roots else None
    indexer = library.indexer(library.build_stages())
    events = list(indexer.run(root_ids))
    return indexer.summary, events


def _old_reader(image):
    """What the reader before METADATA_VERSION 2 made of these files: no date
    and no camera (as for the CIFF, APP12 and maker-note cameras)."""
    from photoorg.scan.metadata import read_metadata

    meta = read_metadata(image)
    return dataclasses.replace(meta, taken_at=None, tz_offset_min=None, date_source=None, camera_model=None)


def _stage_rows(library):
    with library.db.session() as s:
        stages = [
            (r.photo_id, r.stage, r.version, r.state, r.updated_at)
            for r in s.scalars(select(PhotoStage).order_by(PhotoStage.photo_id, PhotoStage.stage))
        ]
        vectors = [(e.id, e.photo_id, bytes(memoryview(e.vector))) for e in s.scalars(select(Embedding))]
    return stages, vectors


def _photo(library, path):
    with library.db.session() as s:
        return s.scalar(select(Photo).where(Photo.path == str(path)))


def _folder(tmp_path):
    root = tmp_path / "Pictures"
    make_photo(root / "canon.jpg", pattern=1, taken=datetime(2019, 7, 14, 16, 30, 5), model="Canon EOS 40D")
    xmp_only = root / "export.jpg"
    from PIL import Image

    Image.new("RGB", (64, 48), (10, 90, 200)).save(
        xmp_only,
        "JPEG",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreateDate="2016-03-04T05:06:07"/>'
        b"</rdf:RDF></x:xmpmeta>",
    )
    plain = make_photo(root / "plain.png", pattern=3)
    set_mtime(plain, datetime(2020, 5, 6, 7, 8, 9))
    return root


def test_rescan_fills_in_dates_without_running_any_stage_again(tiny_model, tmp_path, monkeypatch):
    library = tiny_model
    root = _folder(tmp_path)
    # Index as an older photoorg would have: a reader that misses dates and
    # camera models, and rows marked with the old reader's version.
    with monkeypatch.context() as old:
        old.setattr(work, "read_metadata", _old_reader)
        old.setattr("photoorg.pipeline.reconcile.METADATA_VERSION", 1)
        summary, _ = _index(library, root)
    assert summary.indexed == 3 and summary.stages["clip"]["done"] == 3
    canon = _photo(library, root / "canon.jpg")
    assert canon.taken_at is None and canon.camera_model is None and canon.metadata_version == 1
    before = _stage_rows(library)
    assert len(before[0]) >= 6 and len(before[1]) == 3

    decoded = []
    original = work.process
    monkeypatch.setattr(
        "photoorg.pipeline.indexer.process", lambda item, **kw: decoded.append(item) or original(item, **kw)
    )
    summary, events = _index(library)

    assert decoded == [], "nothing is hashed or decoded again"
    assert summary.indexed == 0 and summary.moved == 0
    assert _stage_rows(library) == before, "stage results and embeddings untouched"
    assert any(e.stage == "metadata" and e.done == 3 and e.total == 3 for e in events)
    canon = _photo(library, root / "canon.jpg")
    assert canon.taken_at == datetime(2019, 7, 14, 16, 30, 5) == canon.date
    assert canon.camera_model == "Canon EOS 40D" and canon.date_source == DATE_FROM_EXIF
    export = _photo(library, root / "export.jpg")
    assert export.taken_at == datetime(2016, 3, 4, 5, 6, 7) and export.date_source == DATE_FROM_XMP
    plain = _photo(library, root / "plain.png")
    assert plain.taken_at is None and plain.date == datetime(2020, 5, 6, 7, 8, 9)
    assert plain.date_source == DATE_FROM_FILE
    assert photo_details(library.db, plain.id)["date_source"] == "file"
    with library.db.session() as s:
        assert set(s.scalars(select(Photo.metadata_version))) == {METADATA_VERSION}

    # Done once: the next rescan has nothing to refresh.
    _, events = _index(library)
    assert not any(e.stage == "metadata" for e in events)


def test_new_photos_record_the_current_reader_and_date_source(library, tmp_path):
    root = _folder(tmp_path)
    _index(library, root)  # no CLIP weights: the model waits, metadata does not
    assert _photo(library, root / "canon.jpg").metadata_version == METADATA_VERSION
    assert _photo(library, root / "export.jpg").date_source == DATE_FROM_XMP
    assert _photo(library, root / "plain.png").date_source == DATE_FROM_FILE


def test_a_file_changed_since_the_walk_is_left_to_the_next_scan(library, tmp_path, monkeypatch):
    from photoorg.pipeline.metadata_refresh import refresh_metadata
    from photoorg.progress import CancelToken

    root = _folder(tmp_path)
    _index(library, root)
    with library.db.transaction() as s:
        s.execute(update(Photo).values(metadata_version=1, taken_at=None, camera_model=None))
        root_id = s.scalar(select(Photo.root_id))
    canon = root / "canon.jpg"
    os.utime(canon, ns=(canon.stat().st_atime_ns, canon.stat().st_mtime_ns + 10**9))

    list(refresh_metadata(library.db, [root_id], CancelToken()))
    assert _photo(library, canon).metadata_version == 1 and _photo(library, canon).taken_at is None
    assert _photo(library, root / "export.jpg").taken_at == datetime(2016, 3, 4, 5, 6, 7)


def test_unreadable_header_keeps_the_old_values_and_is_not_retried(library, tmp_path):
    from photoorg.pipeline.metadata_refresh import refresh_metadata
    from photoorg.progress import CancelToken

    root = _folder(tmp_path)
    _index(library, root)
    with library.db.transaction() as s:
        s.execute(update(Photo).values(metadata_version=1))
        root_id = s.scalar(select(Photo.root_id))
    list(refresh_metadata(library.db, [root_id], CancelToken(), reader=lambda path: None))
    canon = _photo(library, root / "canon.jpg")
    assert canon.taken_at == datetime(2019, 7, 14, 16, 30, 5) and canon.metadata_version == METADATA_VERSION


def test_upgrade_from_v4_marks_rows_for_a_refresh(tmp_path):
    db_path = tmp_path / "library.db"
    con = sqlite3.connect(db_path)
    con.executescript((FIXTURES / "library_v4.sql").read_text())
    con.close()
    db = Database(db_path, tmp_path / "backups")
    assert migrations.schema_version(sqlite3.connect(db_path)) == migrations.LATEST_VERSION
    with db.session() as s:
        rows = {p.id: p for p in s.scalars(select(Photo))}
        stages = s.execute(select(PhotoStage.photo_id, PhotoStage.stage)).all()
    assert {p.metadata_version for p in rows.values()} == {1}
    assert rows[1].date_source is None  # dated, but by which source is unknown until re-read
    assert rows[3].date_source == DATE_FROM_FILE  # no date: it was the file's time
    assert (3, "faces") in stages and (1, "clip") in stages
    db.dispose()
