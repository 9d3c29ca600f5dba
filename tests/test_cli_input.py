"""Bad input is a message, never a traceback: options and search filters are
range-checked at parse time (exit 2, naming what is allowed), and a damaged
database is one message that points at `photoorg doctor` (exit 1)."""

from __future__ import annotations

import sqlite3
import time

import pytest

from photoorg.search.query import MAX_LIST_FILTERS
from tests.cli_helpers import index_with_tiny_model, run_cli

# (command line, what the message must say). Each must exit 2.
USAGE_ERRORS = [
    (["search", "dog", "--limit", "-1"], "1 to"),
    (["search", "dog", "--limit", "0"], "1 to"),
    (["search", "dog", "--limit", "99999999999999999999999"], "1 to"),
    (["search", "dog", "--limit", "ten"], "not a whole number"),
    (["search", "dog", "--min-score", "nan"], "-1 to 1"),
    (["search", "dog", "--min-score", "inf"], "-1 to 1"),
    (["search", "dog", "--min-score", "1.5"], "-1 to 1"),
    (["search", "dog", "--threads", "0"], "1 to"),
    (["search", "rating:99"], "rating:0 to rating:5"),
    (["search", "rating:-1"], "rating:0 to rating:5"),
    (["search", "rating:many"], "rating:0 to rating:5"),
    (["search", "dog", "tag:"], "tag: needs a value"),
    (["search", "person:"], "person: needs a value"),
    (["search", "after:2019-13"], "not a valid date"),
    (["search", "dog", "--after", "yesterday"], "YYYY"),
    (["similar", "x.jpg", "--limit", "100001"], "1 to"),
    (["index", "--workers", "-3"], "1 to"),
    (["index", "--workers", "0"], "1 to"),
    (["index", "--threads", "0"], "1 to"),
    (["index", "--threads", "99999999999999999999"], "1 to"),
    (["rate", "9", "x.jpg"], "choose from"),
    (["rate", "-1", "x.jpg"], "choose from"),
    (["groups", "--granularity", "2"], "0 to 1"),
    (["groups", "--granularity", "nan"], "0 to 1"),
    (["people", "unknown", "--limit", "0"], "1 to"),
    (["people", "suggestions", "--limit", "-5"], "1 to"),
    (["people", "config", "--threshold", "nan"], "0.2 to 0.9"),
    (["people", "config", "--detect-size", "0"], "200 to"),
    (["people", "config", "--min-face", "99999999999999"], "8 to"),
    (["people", "assign", "1", "-5"], "out of range"),
    (["people", "cover", "1", "0"], "out of range"),
]


@pytest.mark.parametrize("argv,says", USAGE_ERRORS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_bad_values_are_usage_errors(argv, says, capsys, library_dir):
    code, out, err = run_cli(capsys, *argv, "--library", library_dir)
    assert code == 2, err
    assert says in err and "Traceback" not in err
    assert out == ""


def test_too_many_tag_filters_are_refused_at_once(capsys, library_dir):
    query = " ".join(f"tag:t{i}" for i in range(3000))
    started = time.monotonic()
    code, _, err = run_cli(capsys, "search", query, "--library", library_dir)
    assert code == 2 and f"At most {MAX_LIST_FILTERS} tag: filters" in err
    assert time.monotonic() - started < 30  # refused, not run (it once took minutes, then failed)


def test_the_most_filters_allowed_still_run(capsys, library_dir):
    query = " ".join(f"tag:t{i}" for i in range(MAX_LIST_FILTERS))
    code, out, err = run_cli(capsys, "search", query, "--library", library_dir, "--json")
    assert code == 0, err
    assert out.strip() == "[]"


@pytest.fixture
def indexed(capsys, library_dir, photo_folder, tiny_weights):
    index_with_tiny_model(capsys, library_dir, photo_folder, tiny_weights)
    return library_dir


def test_similar_of_an_unreadable_file_outside_the_library(capsys, indexed, tmp_path):
    bad = tmp_path / "outside" / "broken.jpg"
    bad.parent.mkdir()
    bad.write_bytes(b"\xff\xd8\xff not really a jpeg")
    code, out, err = run_cli(capsys, "similar", bad, "--library", indexed)
    assert code == 1 and out == ""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "can't be read" in err and str(bad) in err


def _truncate(db, size: int) -> None:
    for side in ("-wal", "-shm"):
        db.with_name(db.name + side).unlink(missing_ok=True)
    db.write_bytes(db.read_bytes()[:size])


def _damage_the_photos_table(db) -> None:
    """Overwrite the middle of the photos table's root page with noise."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'photos'").fetchone()[0]
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    with open(db, "r+b") as handle:
        handle.seek((root - 1) * page_size + 8)
        handle.write(bytes(range(256)) * 4)


COMMANDS_ON_A_DAMAGED_LIBRARY = [
    ["status"],
    ["search", "sunset"],
    ["show", "{photo}"],
    ["index"],
    ["rate", "3", "{photo}"],
]


@pytest.mark.parametrize("size", [30, 50])
@pytest.mark.parametrize("argv", COMMANDS_ON_A_DAMAGED_LIBRARY, ids=" ".join)
def test_a_truncated_database_is_one_message(argv, size, capsys, indexed, photo_folder):
    _truncate(indexed / "library.db", size)
    photo = str(photo_folder / "2019" / "beach.jpg")
    code, _, err = run_cli(capsys, *[w.format(photo=photo) for w in argv], "--library", indexed)
    assert code == 1 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert "damaged" in err and "photoorg doctor" in err


@pytest.mark.parametrize("argv", COMMANDS_ON_A_DAMAGED_LIBRARY, ids=" ".join)
def test_a_damaged_page_is_one_message(argv, capsys, indexed, photo_folder):
    _damage_the_photos_table(indexed / "library.db")
    photo = str(photo_folder / "2019" / "beach.jpg")
    code, _, err = run_cli(capsys, *[w.format(photo=photo) for w in argv], "--library", indexed)
    assert code == 1 and "Traceback" not in err, err
    assert "damaged" in err and "photoorg doctor" in err
