"""Walking folders: what is skipped, and what is reported instead of crashing."""

from __future__ import annotations

import os

from photoorg.scan.walker import FileEntry, WalkProblem, walk
from tests.helpers import make_photo


def _files(root):
    return sorted(os.path.relpath(e.path, root) for e in walk(str(root)) if isinstance(e, FileEntry))


def _problems(root):
    return [e for e in walk(str(root)) if isinstance(e, WalkProblem)]


def test_finds_images_and_skips_everything_else(tmp_path):
    make_photo(tmp_path / "a.jpg")
    make_photo(tmp_path / "sub" / "b.PNG", fmt="PNG")
    make_photo(tmp_path / ".hidden" / "c.jpg")
    make_photo(tmp_path / ".dotfile.jpg")
    make_photo(tmp_path / "@eaDir" / "thumb.jpg")
    make_photo(tmp_path / "$RECYCLE.BIN" / "old.jpg")
    make_photo(tmp_path / "Photos Library.photoslibrary" / "originals" / "x.jpg")
    (tmp_path / "notes.txt").write_text("not a photo")
    (tmp_path / "movie.mp4").write_bytes(b"\x00" * 10)
    assert _files(tmp_path) == ["a.jpg", os.path.join("sub", "b.PNG")]


def test_reports_size_and_mtime(tmp_path):
    path = make_photo(tmp_path / "a.jpg")
    (entry,) = [e for e in walk(str(tmp_path)) if isinstance(e, FileEntry)]
    info = path.stat()
    assert entry.size == info.st_size and entry.mtime_ns == info.st_mtime_ns


def test_symlink_loop_is_reported_not_followed_forever(tmp_path):
    make_photo(tmp_path / "a" / "one.jpg")
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    assert _files(tmp_path) == [os.path.join("a", "one.jpg")]
    assert any("already scanned" in p.reason for p in _problems(tmp_path))


def test_broken_symlink_is_reported(tmp_path):
    os.symlink(tmp_path / "gone.jpg", tmp_path / "link.jpg")
    (problem,) = _problems(tmp_path)
    assert problem.reason == "broken symbolic link"


def test_unreadable_folder_is_reported_and_the_rest_is_walked(tmp_path, monkeypatch):
    make_photo(tmp_path / "ok" / "a.jpg")
    make_photo(tmp_path / "locked" / "b.jpg")
    real_scandir = os.scandir
    locked = str(tmp_path / "locked")

    def scandir(path):
        # Tests may run as root, which chmod can't lock out: refuse like the OS would.
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert _files(tmp_path) == [os.path.join("ok", "a.jpg")]
    (problem,) = _problems(tmp_path)
    assert problem.path == locked and problem.reason == "permission denied"


def test_non_utf8_names_are_walked(tmp_path):
    name = os.fsdecode(b"caf\xe9.jpg")  # Latin-1, not UTF-8
    make_photo(tmp_path / name)
    assert _files(tmp_path) == [name]


def test_missing_root_is_a_problem_not_an_exception(tmp_path):
    (problem,) = list(walk(str(tmp_path / "nope")))
    assert isinstance(problem, WalkProblem)
