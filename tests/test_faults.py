"""Fault injection, the fast subset (``benchmarks/fault_injection.py`` runs the
full set): ``kill -9`` of the real CLI at random points, a full disk, a
read-only library, and the CLI writing marks while an index runs.

Each fault ends with the checks of ``tests/fault_harness.py``: the database is
sound with no duplicate rows, every user mark is still on its picture, and a
rerun finishes the work. Set PHOTOORG_FAULT_SEED to replay other kill points.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from photoorg.cli.main import main
from photoorg.roots import add_root
from tests.fault_harness import (
    cli_env,
    index_command,
    integrity_problems,
    kill_at_random_point,
    make_photos,
    mark_photos,
    marks_by_content,
    stage_rows,
    unfinished_work,
)
from tests.helpers import TINY_ARCH, install_tiny_config

SEED = int(os.environ.get("PHOTOORG_FAULT_SEED", "20261201"))


def index_in_process(library, folder: Path | None = None) -> None:
    root_ids = [add_root(library.db, folder)[0].id] if folder else None
    for _ in library.indexer(library.build_stages()).run(root_ids):
        pass


def assert_sound(library, marks: dict) -> None:
    assert integrity_problems(library.paths.database) == []
    assert marks_by_content(library.paths.database) == marks


def assert_finished(library, folders: list[Path], marks: dict) -> None:
    assert_sound(library, marks)
    assert unfinished_work(library, folders) == []


@pytest.fixture
def marked(tiny_model, tmp_path):
    """An indexed library of 10 photos, 6 of them with marks (p0000-p0005)."""
    folder = tmp_path / "photos"
    paths = make_photos(folder, 0, 10)
    index_in_process(tiny_model, folder)
    mark_photos(tiny_model, paths[:6])
    return tiny_model, folder, marks_by_content(tiny_model.paths.database)


# -- kill -9 ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_kill_9_at_random_points_loses_nothing(marked, tiny_weights):
    library, folder, marks = marked
    assert len(marks) == 6
    make_photos(folder, 10, 10)
    # Reorganised too, so a kill can land in the matching of moved files.
    os.rename(folder / "p0000.jpg", folder / "swap.tmp")
    os.rename(folder / "p0001.jpg", folder / "p0000.jpg")
    os.rename(folder / "swap.tmp", folder / "p0001.jpg")
    (folder / "sub").mkdir()
    os.rename(folder / "p0002.jpg", folder / "sub" / "renamed.jpg")

    rng = random.Random(SEED)
    command = index_command(library.paths.root, tiny_weights)
    outcomes = []
    for _ in range(2):
        outcome = kill_at_random_point(
            command, rng, lambda: stage_rows(library.paths.database), expected_work=10 * 3
        )
        outcomes.append(outcome)
        assert outcome["killed"] or outcome["returncode"] == 0, outcome
        assert_sound(library, marks)
    assert any(o["killed"] for o in outcomes), outcomes

    index_in_process(library)  # the rerun
    assert_finished(library, [folder], marks)


# -- a full disk -------------------------------------------------------------------------------------


@contextlib.contextmanager
def small_filesystem(size: str):
    """A size-limited tmpfs, when this process may mount one (root on Linux)."""
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a size-limited tmpfs needs root on Linux")
    mount_point = Path(tempfile.mkdtemp(prefix="photoorg-fault-"))
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        mount_point.rmdir()
        pytest.skip(f"can't mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)
        with contextlib.suppress(OSError):
            mount_point.rmdir()


def remount(mount_point: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mount_point)], check=True, capture_output=True)


def library_on(mount_point: Path, photos: Path, tiny_weights: Path, marked: int):
    from photoorg.library import Library

    library_dir = mount_point / "library"
    install_tiny_config(library_dir)
    library = Library(library_dir)
    library.select_model(TINY_ARCH, str(tiny_weights))
    paths = make_photos(photos, 0, marked + 2)
    index_in_process(library, photos)
    mark_photos(library, paths[:marked])
    return library


def fill(mount_point: Path, leave_bytes: int) -> Path:
    """Take all but ``leave_bytes`` of the free space."""
    ballast = mount_point / "ballast"
    free = shutil.disk_usage(mount_point).free
    with open(ballast, "wb") as handle:
        handle.truncate(0)
        chunk = b"\0" * 65536
        remaining = max(0, free - leave_bytes)
        while remaining > 0:
            try:
                remaining -= handle.write(chunk[: min(len(chunk), remaining)])
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    return ballast


@pytest.mark.slow
def test_full_disk_stops_with_a_message_and_the_rerun_finishes(tiny_weights, tmp_path, capsys):
    photos = tmp_path / "photos"
    with small_filesystem("24m") as disk:
        library = library_on(disk, photos, tiny_weights, marked=4)
        try:
            marks = marks_by_content(library.paths.database)
            make_photos(photos, 100, 40, size=(1600, 1200))
            ballast = fill(disk, leave_bytes=96 * 1024)
            capsys.readouterr()

            code = main(["index", "--library", str(library.paths.root)])

            err = capsys.readouterr().err
            assert code != 0
            assert "space" in err.lower() or "full" in err.lower(), err
            assert "Traceback" not in err
            assert_sound(library, marks)

            ballast.unlink()
            index_in_process(library)
            assert_finished(library, [photos], marks)
        finally:
            library.close()


def test_disk_full_while_writing_thumbnails_is_injected_when_no_disk_can_be_mounted(
    marked, monkeypatch, capsys
):
    """The same fault without a mount: the thumbnail writer raises ENOSPC."""
    from photoorg.scan.thumbnails import ThumbnailCache

    library, folder, marks = marked
    make_photos(folder, 10, 8)
    real_write = ThumbnailCache.write
    writes = []

    def write(self, content_hash, image):
        writes.append(content_hash)
        if len(writes) > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, content_hash, image)

    monkeypatch.setattr(ThumbnailCache, "write", write)
    code = main(["index", "--library", str(library.paths.root)])
    err = capsys.readouterr().err
    assert code == 1 and "No space left on device" in err and "Traceback" not in err
    assert_sound(library, marks)

    monkeypatch.setattr(ThumbnailCache, "write", real_write)
    index_in_process(library)
    assert_finished(library, [folder], marks)


# -- a read-only library --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def read_only_library(tiny_weights, tmp_path_factory):
    """A library on a file system mounted read-only, shared by the tests below
    (none can change it). Root ignores permission bits, so chmod can't make
    one: without a mount these tests skip."""
    photos = tmp_path_factory.mktemp("read-only") / "photos"
    with small_filesystem("64m") as disk:
        library = library_on(disk, photos, tiny_weights, marked=3)
        marks = marks_by_content(library.paths.database)
        photo = next(photos.glob("*.jpg"))
        remount(disk, "ro")
        try:
            yield library, photo, marks
        finally:
            remount(disk, "rw")
            assert_sound(library, marks)  # nothing was damaged
            library.close()


def _run(capsys, *args) -> tuple[int, str]:
    try:
        code = main([str(a) for a in args])
    except BaseException as exc:  # a traceback is the one thing not allowed
        pytest.fail(f"{args[0]} on a read-only library raised {type(exc).__name__}: {exc}")
    return code, capsys.readouterr().err


@pytest.mark.slow
def test_read_only_library_is_not_damaged_by_any_command(read_only_library, capsys):
    library, photo, _ = read_only_library
    for args in (("status",), ("search", "tag:mine-0"), ("rate", "1", photo), ("index",)):
        with contextlib.suppress(Exception):  # how each fails is the next tests' business
            main([str(a) for a in (*args, "--library", library.paths.root)])
    capsys.readouterr()
    # The fixture's teardown checks, read-write again, that nothing was damaged.


@pytest.mark.slow
def test_read_only_library_refuses_writes_with_a_message(read_only_library, capsys):
    library, photo, _ = read_only_library
    for args in (("rate", "1", photo), ("index",)):
        code, err = _run(capsys, *args, "--library", library.paths.root)
        assert code != 0 and "read-only" in err, (args, err)
        assert "Traceback" not in err


@pytest.mark.slow
def test_read_only_library_can_still_be_read(read_only_library, capsys):
    library, _, _ = read_only_library
    for args in (("status",), ("search", "tag:mine-0")):
        code, err = _run(capsys, *args, "--library", library.paths.root)
        assert code == 0, err


# -- the CLI writes while an index runs --------------------------------------------------------------------


@pytest.mark.slow
def test_marks_written_during_an_index_are_all_kept(marked, tiny_weights, capsys):
    library, folder, _ = marked
    make_photos(folder, 10, 8)
    targets = sorted(folder.glob("p000[0-5].jpg"))
    process = subprocess.Popen(
        index_command(library.paths.root, tiny_weights),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    rounds = 0
    lib = ["--library", str(library.paths.root)]
    deadline = time.monotonic() + 300
    while (process.poll() is None or rounds < 2) and time.monotonic() < deadline:
        rounds += 1
        for n, photo in enumerate(targets):
            assert main(["rate", str((n + rounds) % 5 + 1), str(photo), *lib]) == 0
            assert main(["tags", "add", f"round-{rounds}", str(photo), *lib]) == 0
        assert main(["albums", "add", "Kept", str(targets[rounds % len(targets)]), *lib]) == 0
    _, err = process.communicate(timeout=300)
    capsys.readouterr()
    assert process.returncode == 0, err.decode()[-2000:]

    assert integrity_problems(library.paths.database) == []
    marks = marks_by_content(library.paths.database)
    for n, photo in enumerate(targets):
        rating, _, _, tags = marks[hashlib.sha256(photo.read_bytes()).hexdigest()]
        assert rating == (n + rounds) % 5 + 1  # the last write won
        assert {f"round-{r}" for r in range(1, rounds + 1)} <= set(tags)  # no write lost
    assert unfinished_work(library, [folder]) == []
