"""Indexing real files end to end through the library API: incremental rescans,
moves, copies, deletions, unplugged drives and bad files."""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import datetime

import numpy as np
import pytest
from sqlalchemy import func, select

from photoorg.pipeline import work
from photoorg.roots import add_root
from photoorg.status import library_status
from photoorg.store.schema import Album, AlbumPhoto, Embedding, Photo, PhotoStage
from tests.helpers import make_photo


def run_index(library, *roots, **kwargs):
    root_ids = None
    if roots:
        root_ids = [add_root(library.db, r)[0].id for r in roots]
    indexer = library.indexer(library.build_stages(), **kwargs)
    events = list(indexer.run(root_ids))
    return indexer.summary, events


def photo_row(library, path):
    with library.db.session() as s:
        return s.scalar(select(Photo).where(Photo.path == str(path)))


def count(library, model, *where):
    with library.db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_first_index_reads_metadata_thumbnails_and_vectors(tiny_model, photo_folder):
    library = tiny_model
    summary, events = run_index(library, photo_folder)
    assert summary.indexed == 5 and summary.failed == 0
    assert summary.stages["clip"]["done"] == 5
    assert summary.stages["thumbnail"]["done"] == 5
    assert any(e.stage == "index" and e.total == 5 and e.done == 5 for e in events)

    beach = photo_row(library, photo_folder / "2019" / "beach.jpg")
    assert beach.camera_model == "Canon EOS 40D"
    assert beach.taken_at == datetime(2019, 7, 14, 16, 30, 5)
    assert beach.gps_lat == pytest.approx(43.4674, abs=1e-3)
    assert library.thumbnails.has(beach.content_hash)
    sunset = photo_row(library, photo_folder / "2021" / "sunset.jpg")
    assert (sunset.width, sunset.height) == (300, 400)  # orientation 6, displayed upright
    with library.db.session() as s:
        vectors = [np.asarray(v) for v in s.scalars(select(Embedding.vector))]
    assert len(vectors) == 5
    for vector in vectors:
        assert vector.dtype == np.float32
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_unchanged_rescan_does_no_work(tiny_model, photo_folder, monkeypatch):
    library = tiny_model
    run_index(library, photo_folder)
    calls = []
    original = work.process

    def counting(*args, **kwargs):
        calls.append(args[0].path)
        return original(*args, **kwargs)

    monkeypatch.setattr("photoorg.pipeline.indexer.process", counting)
    summary, _ = run_index(library)
    assert calls == []
    assert summary.unchanged == 5 and summary.indexed == 0 and summary.moved == 0


def test_moved_file_keeps_its_row_and_everything_attached(tiny_model, photo_folder):
    library = tiny_model
    run_index(library, photo_folder)
    beach = photo_row(library, photo_folder / "2019" / "beach.jpg")
    now = datetime.now()
    with library.db.transaction() as s:
        s.get(Photo, beach.id).rating = 4
        s.get(Photo, beach.id).favorite = True
        album = Album(name="Summer", created_at=now)
        s.add(album)
        s.flush()
        s.add(AlbumPhoto(album_id=album.id, photo_id=beach.id, added_at=now))
    (photo_folder / "trips").mkdir()
    new_path = photo_folder / "trips" / "tuscany-beach.jpg"
    shutil.move(photo_folder / "2019" / "beach.jpg", new_path)

    summary, _ = run_index(library)
    assert summary.moved == 1 and summary.indexed == 0 and summary.missing == 0
    # Nothing re-analysed: the move is settled before the pipeline, no model even loads.
    assert summary.stages.get("clip", {}).get("done", 0) == 0
    moved = photo_row(library, new_path)
    assert moved.id == beach.id
    assert moved.rating == 4 and moved.favorite
    assert moved.folder == str(photo_folder / "trips")
    assert count(library, AlbumPhoto, AlbumPhoto.photo_id == beach.id) == 1
    assert count(library, Embedding, Embedding.photo_id == beach.id) == 1
    assert photo_row(library, photo_folder / "2019" / "beach.jpg") is None


def test_a_copy_is_a_second_photo_that_reuses_the_analysis(tiny_model, photo_folder):
    library = tiny_model
    run_index(library, photo_folder)
    shutil.copy2(photo_folder / "2021" / "sunset.jpg", photo_folder / "sunset-copy.jpg")
    summary, _ = run_index(library)
    assert summary.indexed == 1 and summary.moved == 0
    assert summary.stages["clip"]["done"] == 0  # the vector was copied, not computed
    original = photo_row(library, photo_folder / "2021" / "sunset.jpg")
    copy = photo_row(library, photo_folder / "sunset-copy.jpg")
    assert copy.id != original.id and copy.content_hash == original.content_hash
    hits = library.search.similar(original.id, limit=1)
    assert hits[0].photo_id == copy.id and hits[0].score == pytest.approx(1.0, abs=1e-5)


def test_deleted_file_is_marked_missing_not_deleted(tiny_model, photo_folder):
    library = tiny_model
    run_index(library, photo_folder)
    forest = photo_row(library, photo_folder / "2019" / "forest.jpg")
    original = (photo_folder / "2019" / "forest.jpg").read_bytes()
    (photo_folder / "2019" / "forest.jpg").unlink()
    summary, _ = run_index(library)
    assert summary.missing == 1
    row = photo_row(library, photo_folder / "2019" / "forest.jpg")
    assert row.id == forest.id and row.missing_since is not None
    assert library_status(library)["counts"]["missing"] == 1
    assert forest.id not in {h.photo_id for h in library.search.browse(library.search.search("").filters)}
    # It comes back when the file does, with its id. (Another picture under
    # its name would be a new photo: see test_identity.py.)
    (photo_folder / "2019" / "forest.jpg").write_bytes(original)
    os.utime(photo_folder / "2019" / "forest.jpg", ns=(forest.mtime_ns, forest.mtime_ns))
    run_index(library)
    back = photo_row(library, photo_folder / "2019" / "forest.jpg")
    assert back.id == forest.id and back.missing_since is None


def test_unplugged_drive_does_not_wipe_its_photos(tiny_model, photo_folder):
    library = tiny_model
    run_index(library, photo_folder)
    unplugged = photo_folder.with_name("Pictures-unplugged")
    photo_folder.rename(unplugged)
    summary, events = run_index(library)
    assert summary.missing == 0
    assert str(photo_folder) in summary.offline_roots
    assert any(e.level == "warning" and "drive" in e.message for e in events)
    assert count(library, Photo, Photo.missing_since.is_not(None)) == 0
    status = library_status(library)
    assert status["roots"][0]["online"] is False
    unplugged.rename(photo_folder)
    summary, _ = run_index(library)
    assert summary.unchanged == 5 and summary.missing == 0


def test_empty_mount_point_is_not_taken_for_deleted_photos(tiny_model, photo_folder):
    library = tiny_model
    run_index(library, photo_folder)
    aside = photo_folder.with_name("aside")
    photo_folder.rename(aside)
    photo_folder.mkdir()  # the mount point, with nothing mounted on it
    summary, _ = run_index(library)
    assert summary.missing == 0
    assert "mounted" in summary.offline_roots[str(photo_folder)]


def test_bad_files_are_recorded_with_reasons_and_the_rest_indexed(tiny_model, photo_folder, monkeypatch):
    library = tiny_model
    bad = photo_folder / "bad"
    bad.mkdir()
    (bad / "empty.jpg").write_bytes(b"")
    (bad / "text.jpg").write_text("I am not a photo")
    data = make_photo(bad / "truncated.jpg", size=(800, 600)).read_bytes()
    (bad / "truncated.jpg").write_bytes(data[: len(data) // 3])
    from tests.test_imageio import _png_claiming

    (bad / "bomb.png").write_bytes(_png_claiming(50_000, 50_000))
    make_photo(bad / "locked.jpg")
    make_photo(bad / "vanishing.jpg")
    os.symlink(bad / "nowhere.jpg", bad / "dangling.jpg")

    real_read = work._read

    def read(path):
        if path.endswith("locked.jpg"):
            raise PermissionError(13, "Permission denied", path)
        if path.endswith("vanishing.jpg"):
            raise FileNotFoundError(2, "No such file", path)
        return real_read(path)

    monkeypatch.setattr(work, "_read", read)
    summary, _ = run_index(library, photo_folder)
    assert summary.indexed == 5
    assert summary.failed == 5
    reasons = {os.path.basename(f["path"]): f["reason"] for f in library_status(library)["failed"]}
    assert reasons["empty.jpg"] == "empty file (0 bytes)"
    assert "not an image" in reasons["text.jpg"]
    assert "truncated" in reasons["truncated.jpg"] or "corrupt" in reasons["truncated.jpg"]
    assert "too large" in reasons["bomb.png"]
    assert reasons["locked.jpg"] == "permission denied"
    assert reasons["dangling.jpg"] == "broken symbolic link"
    assert "vanishing.jpg" not in reasons  # gone is gone, not failed

    # A permission problem is retried on the next scan; fixed, it indexes.
    monkeypatch.setattr(work, "_read", real_read)
    summary, _ = run_index(library)
    assert summary.indexed == 2  # locked.jpg now readable, vanishing.jpg seen again
    assert "locked.jpg" not in {os.path.basename(f["path"]) for f in library_status(library)["failed"]}


def test_changed_content_is_analysed_again_and_keeps_user_marks(tiny_model, photo_folder):
    library = tiny_model
    run_index(library, photo_folder)
    path = photo_folder / "2021" / "snow.png"
    before = photo_row(library, path)
    with library.db.transaction() as s:
        s.get(Photo, before.id).rating = 5
    make_photo(path, color=(10, 10, 10), pattern=9, size=(500, 500))
    summary, _ = run_index(library)
    assert summary.indexed == 1 and summary.stages["clip"]["done"] == 1
    after = photo_row(library, path)
    assert after.id == before.id and after.rating == 5
    assert after.content_hash != before.content_hash and after.width == 500


def test_without_weights_clip_waits_and_the_rest_finishes(library, photo_folder, tiny_weights):
    summary, _ = run_index(library, photo_folder)
    assert summary.indexed == 5
    assert summary.stages["thumbnail"]["done"] == 5
    assert "clip" in summary.waiting
    message = summary.waiting["clip"]
    # One line with ways to act; `status` shows where it looked.
    assert "ViT-B-32" in message and "--weights" in message and "photoorg models get" in message
    status = library_status(library)
    assert "huggingface" in status["model"]["cache_dir"]
    assert status["stages"]["clip"]["state"] == "waiting for weights"
    assert status["stages"]["clip"]["pending"] == 5

    # Search explains why it can't rank by meaning, and answers from tags instead.
    results = library.search.search("a dog")
    assert results.mode == "tags" and "rank by meaning" in results.notice and "ViT-B-32" in results.notice

    # Weights arrive: only the waiting stage runs.
    from tests.helpers import TINY_ARCH

    library.select_model(TINY_ARCH, str(tiny_weights))
    summary, _ = run_index(library)
    assert summary.stages["clip"]["done"] == 5
    assert summary.stages["thumbnail"]["done"] == 0


def test_changing_the_model_embeds_the_library_again(tiny_model, photo_folder, tmp_path):
    library = tiny_model
    run_index(library, photo_folder)
    from tests.helpers import TINY_ARCH, build_tiny_checkpoint

    other = build_tiny_checkpoint(tmp_path / "other", seed=1)
    choice = library.select_model(TINY_ARCH, str(other))
    summary, _ = run_index(library)
    assert summary.stages["clip"]["done"] == 5
    with library.db.session() as s:
        versions = set(s.scalars(select(PhotoStage.version).where(PhotoStage.stage == "clip")))
    assert versions == {choice.key}


def test_non_utf8_file_name_is_indexed(tiny_model, tmp_path):
    library = tiny_model
    folder = tmp_path / "odd"
    name = os.fsdecode(b"f\xeate-\xff.jpg")
    make_photo(folder / name)
    summary, _ = run_index(library, folder)
    assert summary.indexed == 1
    assert photo_row(library, folder / name) is not None


def test_cancel_keeps_finished_work_and_the_rerun_completes(tiny_model, tmp_path):
    library = tiny_model
    folder = tmp_path / "many"
    for i in range(150):
        make_photo(folder / f"p{i:03d}.jpg", pattern=i, color=(i, 255 - i, (i * 7) % 255))
    from photoorg.progress import CancelToken

    token = CancelToken()
    add_root(library.db, folder)
    indexer = library.indexer(library.build_stages(), token=token)
    for event in indexer.run():
        if event.stage == "index" and event.done >= 40:
            token.cancel()
    first = indexer.summary
    assert first.cancelled
    assert 40 <= first.indexed < 150
    done_first = count(library, Embedding)
    assert done_first == first.stages["clip"]["done"]

    summary, _ = run_index(library)
    assert summary.indexed == 150 - first.indexed
    assert count(library, Embedding) == 150


def test_hostile_entries_are_recorded_with_reasons_and_never_opened(library, tmp_path):
    from photoorg.status import failures

    folder = tmp_path / "photos"
    make_photo(folder / "fine.jpg")
    os.mkfifo(folder / "pipe.jpg")
    os.symlink("/dev/urandom", folder / "random.jpg")
    os.symlink("/etc", folder / "etc-link")
    summary, _ = run_index(library, folder)
    assert summary.indexed == 1
    reasons = {os.path.basename(f["path"]): f["reason"] for f in failures(library.db)}
    assert "FIFO" in reasons["pipe.jpg"]
    assert "outside the library's folders" in reasons["random.jpg"]
    assert "outside the library's folders" in reasons["etc-link"]
    with library.db.session() as s:
        assert not [p for p in s.scalars(select(Photo.path)) if "/etc/" in p or p.startswith("/etc")]

    # The library's setting lets links out.
    from photoorg.cli.main import main
    from photoorg.library import FOLLOW_LINKS_SETTING

    outside = tmp_path / "outside"
    make_photo(outside / "shared.jpg", pattern=4)
    os.symlink(outside, folder / "shared-link")
    assert main(["roots", "--external-links", "follow", "--library", str(library.paths.root)]) == 0
    assert library.db.get_setting(FOLLOW_LINKS_SETTING) is True
    summary, _ = run_index(library)
    assert photo_row(library, folder / "shared-link" / "shared.jpg") is not None
    reasons = {os.path.basename(f["path"]): f["reason"] for f in failures(library.db)}
    assert "character device" in reasons["random.jpg"]


def test_library_database_and_thumbnails_are_private_whatever_the_umask(tmp_path, photo_folder):
    import stat as stat_module

    from photoorg.library import Library

    def mode(path):
        return stat_module.S_IMODE(os.stat(path).st_mode)

    old_umask = os.umask(0)
    try:
        with Library(tmp_path / "new-library") as library:
            run_index(library, photo_folder)
            paths = library.paths
            assert mode(paths.root) == 0o700
            assert mode(paths.database) == 0o600
            reader = sqlite3.connect(paths.database)  # a reader keeps the WAL files in place
            reader.execute("SELECT count(*) FROM photos").fetchone()
            assert mode(str(paths.database) + "-wal") == 0o600
            assert mode(str(paths.database) + "-shm") == 0o600
            reader.close()
            assert mode(paths.thumbnails) == 0o700
            thumbs = [p for p in paths.thumbnails.rglob("*") if p.is_file()]
            assert thumbs and {mode(p) for p in thumbs} == {0o600}
            assert {mode(p) for p in paths.thumbnails.iterdir()} == {0o700}
        # An existing library made with loose modes is tightened when opened.
        os.chmod(paths.root, 0o755)
        os.chmod(paths.database, 0o644)
        os.chmod(paths.thumbnails, 0o755)
        with Library(paths.root):
            assert mode(paths.root) == 0o700 and mode(paths.database) == 0o600
            assert mode(paths.thumbnails) == 0o700
    finally:
        os.umask(old_umask)


def test_a_folder_the_user_already_had_keeps_its_mode(tmp_path):
    from photoorg.library import Library

    folder = tmp_path / "existing"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    with Library(folder) as library:
        assert os.stat(folder).st_mode & 0o777 == 0o755
        assert os.stat(library.paths.database).st_mode & 0o777 == 0o600
