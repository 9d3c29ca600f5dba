"""Identity follows content: when files are swapped, renamed in a cycle, moved
onto each other's paths or overwritten, every photo keeps its own marks
(rating, albums, tags) and its own analysis; nothing is guessed when the match
is ambiguous."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from sqlalchemy import select

from photoorg import organize
from photoorg.roots import add_root
from photoorg.status import library_status
from photoorg.store.schema import AlbumPhoto, Embedding, Photo, PhotoTag, Tag
from photoorg.tags.store import add_tag
from tests.helpers import make_photo


def run_index(library, *roots):
    root_ids = [add_root(library.db, r)[0].id for r in roots] if roots else None
    indexer = library.indexer(library.build_stages())
    for _ in indexer.run(root_ids):
        pass
    return indexer.summary


def row(library, path) -> Photo | None:
    with library.db.session() as s:
        return s.scalar(select(Photo).where(Photo.path == str(path)))


def marks(library, photo_id: int) -> dict:
    """Everything the user decided about one photo, as the core stores it."""
    with library.db.session() as s:
        photo = s.get(Photo, photo_id)
        albums = sorted(s.scalars(select(AlbumPhoto.album_id).where(AlbumPhoto.photo_id == photo_id)))
        tags = sorted(
            s.scalars(
                select(Tag.name)
                .join(PhotoTag, PhotoTag.tag_id == Tag.id)
                .where(PhotoTag.photo_id == photo_id, PhotoTag.source == "user")
            )
        )
    return {"rating": photo.rating, "albums": albums, "tags": tags}


def vector(library, photo_id: int) -> np.ndarray:
    with library.db.session() as s:
        return np.asarray(s.scalar(select(Embedding.vector).where(Embedding.photo_id == photo_id)))


@pytest.fixture
def folder(tmp_path):
    """Four distinct photos of distinct sizes (a rename changes no size or mtime)."""
    root = tmp_path / "photos"
    for i, name in enumerate(["a", "b", "c", "d"]):
        make_photo(root / f"{name}.jpg", size=(200 + 40 * i, 160), pattern=i + 1, color=(40 * i, 90, 200))
    return root


def mark_each(library, folder) -> dict[str, int]:
    """Give a, b, c different ratings, albums and tags with the real core calls."""
    ids = {name: row(library, folder / f"{name}.jpg").id for name in "abcd"}
    album = organize.create_album(library.db, "Trip")
    organize.set_rating(library.db, [ids["a"]], 1)
    organize.add_to_album(library.db, album, [ids["a"]])
    add_tag(library.db, [ids["a"]], "first")
    organize.set_rating(library.db, [ids["b"]], 2)
    add_tag(library.db, [ids["b"]], "second")
    organize.set_rating(library.db, [ids["c"]], 3)
    return ids


def rename_all(mapping: dict, folder) -> None:
    """Rename at once (through temporary names): {old name: new name}."""
    for old in mapping:
        os.rename(folder / old, folder / f"{old}.tmp")
    for old, new in mapping.items():
        os.rename(folder / f"{old}.tmp", folder / new)


def test_swapped_names_keep_each_photo_its_marks_and_vectors(tiny_model, folder):
    library = tiny_model
    run_index(library, folder)
    ids = mark_each(library, folder)
    before = {name: (marks(library, ids[name]), vector(library, ids[name])) for name in "ab"}
    hashes = {name: row(library, folder / f"{name}.jpg").content_hash for name in "ab"}

    rename_all({"a.jpg": "b.jpg", "b.jpg": "a.jpg"}, folder)
    summary = run_index(library)

    assert summary.moved == 2 and summary.indexed == 0 and summary.missing == 0
    for name, other in (("a", "b"), ("b", "a")):
        photo = row(library, folder / f"{other}.jpg")  # where its picture is now
        assert photo.id == ids[name] and photo.content_hash == hashes[name]
        assert marks(library, photo.id) == before[name][0]
        assert np.array_equal(vector(library, photo.id), before[name][1])
    assert marks(library, ids["a"])["tags"] == ["first"]


def test_three_cycle_rename(library, folder):
    run_index(library, folder)
    ids = mark_each(library, folder)
    expected = {name: marks(library, ids[name]) for name in "abc"}

    rename_all({"a.jpg": "b.jpg", "b.jpg": "c.jpg", "c.jpg": "a.jpg"}, folder)
    summary = run_index(library)

    assert summary.moved == 3 and summary.indexed == 0
    for name, now_at in (("a", "b"), ("b", "c"), ("c", "a")):
        photo = row(library, folder / f"{now_at}.jpg")
        assert photo.id == ids[name]
        assert marks(library, photo.id) == expected[name]


def test_move_onto_a_path_whose_file_moved_elsewhere(library, folder):
    run_index(library, folder)
    ids = mark_each(library, folder)
    expected = {name: marks(library, ids[name]) for name in "ab"}
    (folder / "sub").mkdir()
    shutil.move(folder / "a.jpg", folder / "sub" / "moved-a.jpg")
    shutil.move(folder / "b.jpg", folder / "a.jpg")

    summary = run_index(library)

    assert summary.moved == 2 and summary.indexed == 0 and summary.missing == 0
    assert row(library, folder / "sub" / "moved-a.jpg").id == ids["a"]
    assert row(library, folder / "a.jpg").id == ids["b"]
    assert marks(library, ids["a"]) == expected["a"] and marks(library, ids["b"]) == expected["b"]
    assert row(library, folder / "b.jpg") is None


def test_in_place_edit_keeps_the_marks(library, folder):
    run_index(library, folder)
    ids = mark_each(library, folder)
    expected = marks(library, ids["a"])
    old_hash = row(library, folder / "a.jpg").content_hash
    make_photo(folder / "a.jpg", size=(500, 300), pattern=9, color=(5, 5, 5))  # edited, new content

    summary = run_index(library)

    assert summary.indexed == 1 and summary.moved == 0
    edited = row(library, folder / "a.jpg")
    assert edited.id == ids["a"] and edited.content_hash != old_hash and edited.width == 500
    assert marks(library, ids["a"]) == expected


def test_copy_over_a_file_whose_picture_moved_away(library, folder):
    run_index(library, folder)
    ids = mark_each(library, folder)
    expected_b = marks(library, ids["b"])
    shutil.move(folder / "b.jpg", folder / "d-from-b.jpg")
    shutil.copy2(folder / "a.jpg", folder / "b.jpg")

    summary = run_index(library)

    assert row(library, folder / "d-from-b.jpg").id == ids["b"]  # the marks went with the picture
    assert marks(library, ids["b"]) == expected_b
    copy = row(library, folder / "b.jpg")
    assert copy.id not in ids.values() and copy.content_hash == row(library, folder / "a.jpg").content_hash
    assert marks(library, copy.id) == {"rating": 0, "albums": [], "tags": []}
    assert row(library, folder / "a.jpg").id == ids["a"]
    assert summary.moved == 1 and summary.replaced == 0


def test_copy_over_a_file_whose_picture_is_gone_makes_that_photo_missing(library, folder):
    run_index(library, folder)
    ids = mark_each(library, folder)
    expected_b = marks(library, ids["b"])
    shutil.copy2(folder / "a.jpg", folder / "b.jpg")  # b's picture exists nowhere now

    summary = run_index(library)

    assert summary.replaced == 1
    with library.db.session() as s:
        old_b = s.get(Photo, ids["b"])
    assert old_b.missing_since is not None and old_b.path != str(folder / "b.jpg")
    assert marks(library, ids["b"]) == expected_b  # kept, on the missing photo
    copy = row(library, folder / "b.jpg")
    assert copy.id != ids["b"] and marks(library, copy.id)["rating"] == 0
    status = library_status(library)
    assert status["counts"]["missing"] == 1
    (note,) = [f for f in status["failed"] if f["kind"] == "identity"]
    assert str(folder / "b.jpg") in note["reason"] and "replaced" in note["reason"]

    # The picture turns up again: the photo comes back with its marks.
    make_photo(folder / "restored" / "b.jpg", size=(240, 160), pattern=2, color=(40, 90, 200))
    run_index(library)
    back = row(library, folder / "restored" / "b.jpg")
    assert back.id == ids["b"] and back.missing_since is None
    assert marks(library, ids["b"]) == expected_b
    assert not [f for f in library_status(library)["failed"] if f["kind"] == "identity"]


def test_identical_copies_with_different_marks_are_not_guessed(library, tmp_path):
    folder = tmp_path / "photos"
    make_photo(folder / "x" / "one.jpg", pattern=3)
    shutil.copy2(folder / "x" / "one.jpg", folder / "x" / "two.jpg")
    run_index(library, folder)
    one, two = row(library, folder / "x" / "one.jpg").id, row(library, folder / "x" / "two.jpg").id
    organize.set_rating(library.db, [one], 5)
    organize.set_rating(library.db, [two], 1)
    (folder / "y").mkdir()
    shutil.move(folder / "x" / "one.jpg", folder / "y" / "first.jpg")
    shutil.move(folder / "x" / "two.jpg", folder / "y" / "second.jpg")

    summary = run_index(library)

    assert summary.ambiguous == 2 and summary.moved == 0
    new_ids = {row(library, folder / "y" / n).id for n in ("first.jpg", "second.jpg")}
    assert not new_ids & {one, two}  # both kept; neither file got a guessed identity
    assert {marks(library, i)["rating"] for i in new_ids} == {0}
    assert marks(library, one)["rating"] == 5 and marks(library, two)["rating"] == 1
    with library.db.session() as s:
        assert all(s.get(Photo, i).missing_since is not None for i in (one, two))
    notes = [f for f in library_status(library)["failed"] if f["kind"] == "identity"]
    assert sorted(os.path.basename(n["path"]) for n in notes) == ["first.jpg", "second.jpg"]


def test_identical_copies_without_marks_just_move(library, tmp_path):
    folder = tmp_path / "photos"
    make_photo(folder / "x" / "one.jpg", pattern=3)
    shutil.copy2(folder / "x" / "one.jpg", folder / "x" / "two.jpg")
    run_index(library, folder)
    old = {row(library, folder / "x" / n).id for n in ("one.jpg", "two.jpg")}
    os.rename(folder / "x", folder / "renamed")

    summary = run_index(library)

    assert summary.moved == 2 and summary.ambiguous == 0 and summary.indexed == 0
    assert row(library, folder / "renamed" / "one.jpg").id in old
    assert {row(library, folder / "renamed" / n).id for n in ("one.jpg", "two.jpg")} == old


def test_touched_files_are_not_analysed_again(library, folder, monkeypatch):
    run_index(library, folder)
    ids = mark_each(library, folder)
    os.utime(folder / "a.jpg", (1_000_000_000, 1_000_000_000))
    calls = []
    from photoorg.pipeline import work

    original = work.process
    monkeypatch.setattr(
        "photoorg.pipeline.indexer.process", lambda *a, **k: calls.append(a[0].path) or original(*a, **k)
    )
    summary = run_index(library)
    assert calls == [] and summary.indexed == 0 and summary.unchanged == 4
    touched = row(library, folder / "a.jpg")
    assert touched.id == ids["a"] and touched.mtime_ns == 1_000_000_000 * 10**9


def test_photos_in_a_folder_that_became_unreadable_are_unreadable_not_missing(library, folder, monkeypatch):
    make_photo(folder / "locked" / "inside.jpg", pattern=6)
    run_index(library, folder)
    inside = row(library, folder / "locked" / "inside.jpg")
    organize.set_rating(library.db, [inside.id], 4)
    real_scandir = os.scandir
    locked = str(folder / "locked")

    def scandir(path):
        # Tests run as root here, which chmod can't lock out: refuse like the OS would.
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    summary = run_index(library)
    assert summary.missing == 0 and summary.unreadable == 1
    counts = library_status(library)["counts"]
    assert counts["missing"] == 0 and counts["unreadable"] == 1
    assert row(library, folder / "locked" / "inside.jpg").state == "unreadable"

    monkeypatch.setattr(os, "scandir", real_scandir)
    run_index(library)
    again = row(library, folder / "locked" / "inside.jpg")
    assert again.id == inside.id and again.state == "ok" and again.rating == 4


def test_a_new_picture_at_the_path_of_a_deleted_photo_is_a_new_photo(library, folder):
    run_index(library, folder)
    ids = mark_each(library, folder)
    expected = marks(library, ids["c"])
    (folder / "c.jpg").unlink()
    run_index(library)
    assert row(library, folder / "c.jpg").missing_since is not None
    # A camera import reuses the name for another picture.
    make_photo(folder / "c.jpg", size=(333, 222), pattern=12, color=(1, 2, 3))

    run_index(library)

    new = row(library, folder / "c.jpg")
    assert new.id != ids["c"] and new.missing_since is None
    assert marks(library, new.id) == {"rating": 0, "albums": [], "tags": []}
    assert marks(library, ids["c"]) == expected  # still on the deleted photo
