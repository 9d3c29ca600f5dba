"""Walking folders: what is skipped, and what is reported instead of crashing."""

from __future__ import annotations

import os

import pytest

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
    (tmp_path / "song.mp3").write_bytes(b"\x00" * 10)
    assert _files(tmp_path) == ["a.jpg", os.path.join("sub", "b.PNG")]


def test_videos_and_raw_files_are_walked_when_their_readers_are_loaded(tmp_path):
    from photoorg import extensions
    from photoorg.capabilities import load_capabilities

    make_photo(tmp_path / "a.jpg")
    (tmp_path / "movie.MP4").write_bytes(b"\x00" * 10)
    (tmp_path / "IMG_1.CR2").write_bytes(b"\x00" * 10)
    with extensions.scoped():
        load_capabilities()
        assert _files(tmp_path) == ["IMG_1.CR2", "a.jpg", "movie.MP4"]


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


# -- scope: links that leave the library, and files that are not files ------------------


def _walk(root, **kwargs):
    return list(walk(str(root), **kwargs))


def test_links_outside_the_roots_are_reported_not_followed(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "elsewhere"
    make_photo(root / "mine.jpg")
    make_photo(outside / "secret.jpg")
    os.symlink(outside, root / "linked-folder")
    os.symlink(outside / "secret.jpg", root / "linked.jpg")
    os.symlink("/etc", root / "etc")

    entries = _walk(root)
    files = sorted(os.path.relpath(e.path, root) for e in entries if isinstance(e, FileEntry))
    assert files == ["mine.jpg"]
    reasons = {os.path.basename(p.path): p.reason for p in entries if isinstance(p, WalkProblem)}
    assert set(reasons) == {"linked-folder", "linked.jpg", "etc"}
    assert all("outside the library's folders: not followed" in r for r in reasons.values())

    followed = _walk(root, follow_external_links=True)
    assert {os.path.basename(e.path) for e in followed if isinstance(e, FileEntry)} == {
        "mine.jpg",
        "secret.jpg",
        "linked.jpg",
    }


def test_links_into_another_root_of_the_library_are_followed(tmp_path):
    root, other = tmp_path / "root", tmp_path / "other-root"
    make_photo(other / "shared.jpg")
    root.mkdir()
    os.symlink(other, root / "to-other")
    entries = _walk(root, allowed=[str(root), str(other)])
    assert [os.path.basename(e.path) for e in entries if isinstance(e, FileEntry)] == ["shared.jpg"]
    assert not [e for e in entries if isinstance(e, WalkProblem)]


def test_fifos_devices_and_sockets_are_skipped_with_a_reason(tmp_path):
    import socket

    make_photo(tmp_path / "real.jpg")
    os.mkfifo(tmp_path / "pipe.jpg")  # opening this would block the scan
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "socket.jpg"))
        os.symlink("/dev/zero", tmp_path / "zero.jpg")
        entries = _walk(tmp_path, follow_external_links=True)
    finally:
        server.close()
    assert [os.path.basename(e.path) for e in entries if isinstance(e, FileEntry)] == ["real.jpg"]
    reasons = {os.path.basename(p.path): p.reason for p in entries if isinstance(p, WalkProblem)}
    assert "FIFO" in reasons["pipe.jpg"] and "skipped" in reasons["pipe.jpg"]
    assert "socket" in reasons["socket.jpg"]
    assert "character device" in reasons["zero.jpg"]
    # Without the setting, the link to /dev/zero is not even followed.
    reasons = {os.path.basename(p.path): p.reason for p in _walk(tmp_path) if isinstance(p, WalkProblem)}
    assert "outside the library's folders" in reasons["zero.jpg"]


def test_reading_a_fifo_or_device_fails_at_once(tmp_path):
    from photoorg.scan.files import NotRegularFileError, read_regular_file

    os.mkfifo(tmp_path / "pipe.jpg")
    with pytest.raises(NotRegularFileError, match="FIFO"):
        read_regular_file(str(tmp_path / "pipe.jpg"))  # would block forever with open()
    with pytest.raises(NotRegularFileError, match="character device"):
        read_regular_file("/dev/zero")
