"""A library that can't be written still reads: status, search, show,
similar, tags and people work, and a write fails with a message that says the
library is read-only. A full disk gets a message of its own.

The suite runs as root, for whom file permissions don't stop writes, so the
library is put on a tmpfs remounted read-only (or filled up); where mounting
is not allowed those tests skip, and the read-only code path is still tested
by opening the database read-only directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from photoorg.errors import ReadOnlyLibraryError
from photoorg.store.db import Database
from tests.cli_helpers import index_with_tiny_model, run_cli


def _mount(args: list[str]) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not _mount(["-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]):
        pytest.skip("mounting a tmpfs is not allowed here")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.fixture
def read_only_library(capsys, tmp_path, photo_folder, tiny_weights):
    from tests.helpers import install_tiny_config

    with tmpfs(tmp_path / "share", "64m") as share:
        library_dir = share / "library"
        install_tiny_config(library_dir)
        index_with_tiny_model(capsys, library_dir, photo_folder, tiny_weights)
        if not _mount(["-o", "remount,ro", str(share)]):
            pytest.skip("remounting read-only is not allowed here")
        yield library_dir


READS = [
    ["status"],
    ["search", "an orange sunset"],
    ["search", "tag:beach"],
    ["show", "{photo}"],
    ["similar", "{photo}"],
    ["tags"],
    ["people"],
    ["albums"],
    ["roots"],
]


def test_reading_works_on_a_read_only_library(capsys, read_only_library, photo_folder):
    photo = str(photo_folder / "2019" / "beach.jpg")
    for argv in READS:
        code, out, err = run_cli(
            capsys, *[w.format(photo=photo) for w in argv], "--library", read_only_library, "--json"
        )
        assert code == 0, (argv, err)
        json.loads(out)
        assert "Traceback" not in err
    hits = json.loads(
        run_cli(capsys, "search", "an orange sunset", "--library", read_only_library, "--json")[1]
    )
    assert hits[0]["score"] is not None  # ranked by meaning, not a fallback


@pytest.mark.parametrize(
    "argv",
    [["rate", "4", "{photo}"], ["albums", "create", "Trips"], ["tags", "add", "sea", "{photo}"], ["index"]],
    ids=" ".join,
)
def test_writing_to_a_read_only_library_says_so(argv, capsys, read_only_library, photo_folder):
    photo = str(photo_folder / "2019" / "beach.jpg")
    code, _, err = run_cli(capsys, *[w.format(photo=photo) for w in argv], "--library", read_only_library)
    assert code == 1 and "Traceback" not in err
    assert "is read-only" in err and "disk" not in err


def test_a_full_disk_has_its_own_message(capsys, tmp_path, photo_folder, tiny_weights):
    from tests.helpers import install_tiny_config

    with tmpfs(tmp_path / "small", "16m") as disk:
        library_dir = disk / "library"
        install_tiny_config(library_dir)
        index_with_tiny_model(capsys, library_dir, photo_folder, tiny_weights)
        with open(disk / "filler", "wb") as filler, contextlib.suppress(OSError):
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        code, _, err = run_cli(capsys, "albums", "create", "x" * 150, "--library", library_dir)
        assert code == 1 and "Traceback" not in err
        assert "is full" in err and "read-only" not in err


def test_the_read_only_path_without_a_mount(library, photo_folder, capsys):
    """Root can write anywhere, so open read-only on purpose: reads work, a
    write raises ReadOnlyLibraryError, and the file is not touched."""
    from photoorg.store.schema import Photo

    index_args = ["index", photo_folder, "--library", library.paths.root, "--offline"]
    assert run_cli(capsys, *index_args)[0] == 0
    library.db.dispose()
    db_file = library.paths.database
    before = (db_file.read_bytes(), sorted(p.name for p in db_file.parent.iterdir()))
    db = Database(db_file, library.paths.backups, read_only=True)
    try:
        assert db.read_only
        with db.session() as s:
            assert s.query(Photo).count() == 5
        assert db.get_setting("clip.model") is None or isinstance(db.get_setting("clip.model"), dict)
        with pytest.raises(ReadOnlyLibraryError, match="is read-only"):
            db.set_setting("x", 1)
    finally:
        db.dispose()
    assert (db_file.read_bytes(), sorted(p.name for p in db_file.parent.iterdir())) == before
