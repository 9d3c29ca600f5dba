"""The index database: migrations, the upgrade path, refusals, path round-trips."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from photoorg.errors import LibraryError, NewerDatabaseError
from photoorg.store import migrations
from photoorg.store.db import Database
from photoorg.store.schema import Base, Photo, Root

FIXTURES = Path(__file__).parent / "fixtures"


def _schema(con: sqlite3.Connection) -> dict:
    """Tables -> columns (name, affinity, notnull, pk), indexes and foreign keys."""

    def affinity(declared: str) -> str:
        declared = declared.upper()
        if "INT" in declared:
            return "INTEGER"
        if any(k in declared for k in ("CHAR", "CLOB", "TEXT")):
            return "TEXT"
        if "BLOB" in declared or not declared:
            return "BLOB"
        if any(k in declared for k in ("REAL", "FLOA", "DOUB")):
            return "REAL"
        return "NUMERIC"

    tables = [
        r[0]
        for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
    ]
    schema = {}
    for table in sorted(tables):
        columns = {
            (r[1], affinity(r[2]), bool(r[3]) or bool(r[5]), r[5])
            for r in con.execute(f"PRAGMA table_info('{table}')")
        }
        indexes = set()
        for _, name, unique, origin, _partial in con.execute(f"PRAGMA index_list('{table}')"):
            cols = tuple(r[2] for r in con.execute(f"PRAGMA index_info('{name}')"))
            indexes.add((cols, bool(unique), origin))
        fks = {(r[3], r[2], r[4], r[6]) for r in con.execute(f"PRAGMA foreign_key_list('{table}')")}
        schema[table] = {"columns": columns, "indexes": indexes, "fks": fks}
    return schema


def test_new_database_is_at_latest_version_with_pragmas(tmp_path):
    db = Database(tmp_path / "library.db", tmp_path / "backups")
    con = sqlite3.connect(db.path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST_VERSION
    assert con.execute("PRAGMA application_id").fetchone()[0] == migrations.APPLICATION_ID
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    # A fresh library is not backed up: there is nothing to lose yet.
    assert not (tmp_path / "backups").exists()


def test_migration_chain_builds_exactly_the_orm_schema(tmp_path):
    chained = tmp_path / "chained.db"
    migrations.migrate(chained, tmp_path / "b")
    declared = tmp_path / "declared.db"
    engine = create_engine(f"sqlite:///{declared}")
    Base.metadata.create_all(engine)
    engine.dispose()
    assert _schema(sqlite3.connect(chained)) == _schema(sqlite3.connect(declared))


def _load_fixture(version: int, target: Path) -> None:
    con = sqlite3.connect(target)
    con.executescript((FIXTURES / f"library_v{version}.sql").read_text())
    con.commit()
    con.close()


def test_upgrade_from_v1_keeps_data_and_backs_up_first(tmp_path):
    db_path = tmp_path / "library.db"
    _load_fixture(1, db_path)
    db = Database(db_path, tmp_path / "backups")

    backups = list((tmp_path / "backups").glob("library-v1-*.db"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert old.execute("SELECT count(*) FROM photos").fetchone()[0] == 2

    with db.session() as s:
        photo = s.scalar(select(Photo).where(Photo.id == 1))
        assert photo.path == "/home/ada/Pictures/2019/beach.jpg"
        assert photo.camera_model == "Canon EOS 40D"
        assert photo.taken_at == datetime(2019, 7, 14, 16, 30, 5)
        # Columns added by later versions got their defaults.
        assert photo.rating == 0 and photo.favorite is False
        assert s.scalar(select(Root.path)) == "/home/ada/Pictures"
    assert db.get_setting("clip.model")["arch"] == "ViT-B-32"
    con = sqlite3.connect(db_path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST_VERSION
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_upgrade_from_v5_adds_captions_and_rotation_and_keeps_the_date_sources(tmp_path):
    db_path = tmp_path / "library.db"
    _load_fixture(5, db_path)
    db = Database(db_path, tmp_path / "backups")
    assert len(list((tmp_path / "backups").glob("library-v5-*.db"))) == 1
    with db.session() as s:
        photos = {p.id: p for p in s.scalars(select(Photo))}
    assert {i: (p.date_source, p.metadata_version) for i, p in photos.items()} == {
        1: ("exif", 2),
        2: ("file", 1),
        3: ("file", 1),
    }
    # No photo had a caption or a turn before version 6.
    assert all(p.caption is None and p.rotation == 0 for p in photos.values())
    db.dispose()


def test_each_fixture_upgrades_to_the_orm_schema(tmp_path):
    fixtures = sorted(FIXTURES.glob("library_v*.sql"))
    versions = sorted(int(f.stem.split("_v")[1]) for f in fixtures)
    assert versions == list(range(1, migrations.LATEST_VERSION)), "one fixture per past schema version"
    declared = tmp_path / "declared.db"
    engine = create_engine(f"sqlite:///{declared}")
    Base.metadata.create_all(engine)
    engine.dispose()
    for fixture in fixtures:
        version = int(fixture.stem.split("_v")[1])
        db_path = tmp_path / f"from-v{version}.db"
        _load_fixture(version, db_path)
        migrations.migrate(db_path, tmp_path / "backups")
        assert _schema(sqlite3.connect(db_path)) == _schema(sqlite3.connect(declared)), fixture.name


def test_a_newer_database_is_refused_untouched(tmp_path):
    db_path = tmp_path / "library.db"
    Database(db_path, tmp_path / "backups").dispose()
    con = sqlite3.connect(db_path)
    con.execute(f"PRAGMA user_version = {migrations.LATEST_VERSION + 1}")
    con.commit()
    con.close()
    before = db_path.read_bytes()
    with pytest.raises(NewerDatabaseError, match="newer version of photoorg"):
        Database(db_path, tmp_path / "backups")
    assert db_path.read_bytes() == before


def test_a_foreign_sqlite_file_is_refused(tmp_path):
    db_path = tmp_path / "library.db"
    con = sqlite3.connect(db_path)
    con.execute("CREATE TABLE notes (x)")
    con.commit()
    con.close()
    with pytest.raises(LibraryError, match="not a photoorg library"):
        Database(db_path, tmp_path / "backups")


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    db_path = tmp_path / "library.db"
    db_path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LibraryError):
        Database(db_path, tmp_path / "backups")


def test_user_data_survives_every_upgrade(tmp_path):
    from photoorg.store.schema import Album, PhotoTag, Tag

    db_path = tmp_path / "library.db"
    _load_fixture(3, db_path)
    db = Database(db_path, tmp_path / "backups")
    with db.session() as s:
        photo = s.get(Photo, 1)
        assert photo.rating == 4 and photo.favorite
        assert s.scalar(select(Album.name)) == "Summer"
        dog = s.scalar(select(Tag).where(Tag.name == "dog"))
        assert dog.synonyms == ["puppy"] and dog.parent_id == 1
        sources = {(t.tag_id, t.source) for t in s.scalars(select(PhotoTag))}
        assert sources == {(2, "clip"), (3, "user")}


def test_a_failed_migration_rolls_back(tmp_path, monkeypatch):
    db_path = tmp_path / "library.db"
    _load_fixture(1, db_path)

    def broken(con):
        con.execute("ALTER TABLE photos ADD COLUMN half_done INTEGER")
        raise RuntimeError("boom")

    monkeypatch.setattr(migrations, "MIGRATIONS", [migrations.MIGRATIONS[0], broken])
    with pytest.raises(RuntimeError):
        migrations.migrate(db_path, tmp_path / "backups", target=2)
    con = sqlite3.connect(db_path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = {r[1] for r in con.execute("PRAGMA table_info(photos)")}
    assert "half_done" not in columns


def test_non_utf8_file_names_round_trip(tmp_path):
    db = Database(tmp_path / "library.db", tmp_path / "backups")
    weird = "/photos/caf\udce9-\udcff.jpg"  # bytes 0xE9 and 0xFF decoded with surrogateescape
    now = datetime.now()
    with db.transaction() as s:
        s.add(Photo(path=weird, folder="/photos", size=1, mtime_ns=1, date=now, added_at=now, updated_at=now))
    with db.session() as s:
        assert s.scalar(select(Photo.path)) == weird
        assert s.scalar(select(Photo.id).where(Photo.path == weird)) is not None
