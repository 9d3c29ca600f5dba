"""Backups of the index and `photoorg doctor`: check, list, restore."""

from __future__ import annotations

import sqlite3
import stat
from datetime import datetime, timedelta

import pytest

from photoorg.doctor import integrity_problems
from photoorg.store.backup import AUTO_PREFIX, list_backups, make_backup, periodic_backup
from tests.cli_helpers import index_with_tiny_model, run_cli, run_cli_json
from tests.test_cli_input import _damage_the_photos_table


@pytest.fixture
def indexed(capsys, library_dir, photo_folder, tiny_weights):
    index_with_tiny_model(capsys, library_dir, photo_folder, tiny_weights)
    return library_dir


def _photos(db) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM photos").fetchone()[0]
    finally:
        con.close()


def test_an_index_run_leaves_a_sound_backup(indexed):
    backups = [p for p in list_backups(indexed / "backups") if p.name.startswith(AUTO_PREFIX)]
    assert len(backups) == 1
    assert integrity_problems(backups[0]) == []
    assert _photos(backups[0]) == 5
    assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    assert not list((indexed / "backups").glob("*.partial"))


def test_periodic_backups_are_daily_and_rotated(indexed, capsys):
    db, folder = indexed / "library.db", indexed / "backups"
    assert periodic_backup(db, folder) is None  # the index run made today's
    now = datetime.now()
    made = []
    for day in range(1, 8):
        path = periodic_backup(db, folder, keep=3, now=now + timedelta(days=day))
        assert path is not None
        assert periodic_backup(db, folder, keep=3, now=now + timedelta(days=day, hours=1)) is None
        made.append(path)
    kept = [p for p in list_backups(folder) if p.name.startswith(AUTO_PREFIX)]
    assert kept == made[::-1][:3]


def test_a_damaged_database_is_never_backed_up(indexed):
    db, folder = indexed / "library.db", indexed / "backups"
    before = list_backups(folder)
    _damage_the_photos_table(db)
    with pytest.raises(sqlite3.DatabaseError):
        make_backup(db, folder, keep=1, now=datetime.now() + timedelta(days=2))
    assert list_backups(folder) == before


def test_doctor_reports_a_sound_library(capsys, indexed):
    report = run_cli_json(capsys, "doctor", "--library", indexed)
    assert report["ok"] is True and report["problems"] == []
    assert report["backups"]


def test_doctor_finds_the_damage_and_restores_a_backup(capsys, indexed, photo_folder):
    db = indexed / "library.db"
    _damage_the_photos_table(db)
    code, out, err = run_cli(capsys, "doctor", "--library", indexed)
    assert code == 1 and "damaged" in out and "photoorg doctor --restore" in out

    code, _, err = run_cli(capsys, "doctor", "--restore", "--library", indexed)
    assert code == 0, err
    assert "Restored" in err
    damaged = list(indexed.glob("library.db.damaged-*"))
    assert len(damaged) == 1  # the damaged file is kept, never deleted
    assert integrity_problems(db) == []
    status = run_cli_json(capsys, "status", "--library", indexed)
    assert status["counts"]["photos"] == 5
    assert run_cli(capsys, "rate", "4", photo_folder / "2019" / "beach.jpg", "--library", indexed)[0] == 0


def test_restore_a_named_backup(capsys, indexed):
    backup = list_backups(indexed / "backups")[0]
    result = run_cli_json(capsys, "doctor", "--restore", backup.name, "--library", indexed)
    assert result["restored_from"] == str(backup)


def test_restore_without_a_backup_says_what_to_do(capsys, library_dir):
    run_cli(capsys, "status", "--library", library_dir)
    code, _, err = run_cli(capsys, "doctor", "--restore", "--library", library_dir)
    assert code == 1 and "no sound backup" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "doctor", "--restore", "nope.db", "--library", library_dir)
    assert code == 1 and "No backup called" in err
