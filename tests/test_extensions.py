"""Extension points: capabilities register explicitly and once, every point is
reachable, and a capability written here (a stage, its own tables, a query
key, a filter, a `show` field, a command) works through the real core."""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import pkgutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from sqlalchemy import ColumnElement, select, text
from sqlalchemy.orm import Session

from photoorg import extensions, faces, tags
from photoorg.capabilities import CORE_CAPABILITIES, load_capabilities
from photoorg.cli.commands_core import emit_json, open_library
from photoorg.cli.main import main
from photoorg.errors import ExtensionConflict, NewerDatabaseError
from photoorg.extensions import Extensions
from photoorg.library import Library, MlOptions
from photoorg.pipeline.stages import ImageStage, StageSpec
from photoorg.progress import CancelToken, Progress
from photoorg.search.filters import SearchFilters
from photoorg.search.query import CORE_KEY_HANDLERS, parse_query
from photoorg.status import CORE_STAGE_VERSIONS
from photoorg.store.migrations import LATEST_VERSION, capability_version
from photoorg.store.schema import Photo
from tests.helpers import TINY_ARCH

ROOT = Path(__file__).resolve().parents[1]
BRIGHT = 200  # mean grey level; the fixture's snow.png and letter.webp are above it


# -- a toy capability: the brightness of each photo ------------------------------------------


def _v1_levels(con: sqlite3.Connection) -> None:
    con.execute(
        "CREATE TABLE toy_levels (photo_id INTEGER NOT NULL PRIMARY KEY "
        "REFERENCES photos (id) ON DELETE CASCADE, level FLOAT NOT NULL)"
    )


def _v2_runs(con: sqlite3.Connection) -> None:
    con.execute("CREATE TABLE toy_runs (id INTEGER NOT NULL PRIMARY KEY, photos INTEGER NOT NULL)")


class BrightnessStage(ImageStage):
    name = "toy"
    uses_inference = False

    @property
    def version(self) -> str:
        return "toy-1"

    def prepare(self, image: Image.Image, content_hash: str | None) -> float:
        return ImageStat.Stat(image.convert("L")).mean[0]

    def save(self, session: Session, photo_id: int, result: float) -> None:
        session.execute(
            text("INSERT OR REPLACE INTO toy_levels (photo_id, level) VALUES (:p, :l)"),
            {"p": photo_id, "l": result},
        )


def toy_stages(library: Library, options: MlOptions, context: extensions.stages.StageContext):
    return [StageSpec("toy", "toy-1", BrightnessStage)]


def toy_after_index(library: Library):
    def step(token: CancelToken) -> Iterator[Progress]:
        with library.db.transaction() as s:
            count = s.scalar(text("SELECT count(*) FROM toy_levels"))
            s.execute(text("INSERT INTO toy_runs (photos) VALUES (:n)"), {"n": count})
        yield Progress("toy-summary", count, count)

    return step


def toy_version(library: Library) -> str:
    return "toy-1"


def bright_key(value: str, negated: bool):
    if value not in ("yes", "no"):
        return None
    return {"extra": {"toy": (value == "yes") != negated}}


def bright_clause(filters: SearchFilters) -> ColumnElement[bool] | None:
    if "toy" not in filters.extra:
        return None
    bright = select(text("photo_id")).select_from(text("toy_levels")).where(text(f"level > {BRIGHT}"))
    return Photo.id.in_(bright) if filters.extra["toy"] else Photo.id.not_in(bright)


def toy_details(session: Session, photo: Photo) -> dict:
    level = session.scalar(text("SELECT level FROM toy_levels WHERE photo_id = :p"), {"p": photo.id})
    return {"brightness": None if level is None else round(level)}


def toy_commands(subparsers, common: argparse.ArgumentParser) -> None:
    def report(args) -> int:
        with open_library(args) as library, library.db.session() as s:
            runs = s.scalars(text("SELECT photos FROM toy_runs ORDER BY id")).all()
            bright = s.scalar(text(f"SELECT count(*) FROM toy_levels WHERE level > {BRIGHT}"))
        emit_json({"bright": bright, "runs": runs})
        return 0

    subparsers.add_parser("toy-report", parents=[common], help="bright photos").set_defaults(handler=report)


class Toy:
    __name__ = "tests.toy"

    def register(self, ext: Extensions) -> None:
        ext.register_schema("toy", [_v1_levels, _v2_runs])
        ext.register_stage_provider(toy_stages)
        ext.register_after_index_step(toy_after_index)
        ext.register_stage_version("toy", toy_version)
        ext.register_query_key("bright", bright_key)
        ext.register_filter_clause(bright_clause)
        ext.register_detail_provider(toy_details)
        ext.register_cli_commands("toy", toy_commands)


def cli_json(capsys, *args):
    code = main([str(a) for a in args] + ["--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


# -- registration ------------------------------------------------------------------------------


def _point_modules():
    return [
        importlib.import_module(f"photoorg.extensions.{info.name}")
        for info in pkgutil.iter_modules(extensions.__path__)
        if not info.name.startswith("_")
    ]


def _registered() -> dict[str, object]:
    found = {}
    for module in _point_modules():
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith(("register", "_")):
                found[f"{module.__name__.rsplit('.', 1)[1]}.{name}"] = function()
    return found


def test_every_point_has_a_register_function_on_the_extensions_object():
    declared = {
        name
        for module in _point_modules()
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if name.startswith("register_") and function.__module__ == module.__name__
    }
    offered = {name for name in dir(Extensions) if name.startswith("register_")}
    assert declared == offered and len(offered) == 16


def test_importing_a_capability_registers_nothing():
    code = (
        "import photoorg.tags, photoorg.faces, photoorg.tags.hooks, photoorg.faces.hooks, photoorg.library\n"
        "import photoorg.text, photoorg.places, photoorg.text.hooks, photoorg.places.hooks\n"
        "import photoorg.video, photoorg.raw, photoorg.video.hooks, photoorg.raw.reader\n"
        "import photoorg.xmp, photoorg.xmp.hooks\n"
        "import photoorg.objects, photoorg.objects.hooks\n"
        "import photoorg.duplicates, photoorg.duplicates.hooks\n"
        "from photoorg.extensions import stages, show_fields, query_keys, loaded_capabilities\n"
        "from photoorg.capabilities import load_capabilities\n"
        "before = (len(stages.stage_providers()), len(show_fields.detail_providers()), "
        "len(query_keys.query_keys()), len(loaded_capabilities()))\n"
        "load_capabilities()\n"
        "print(before, (len(stages.stage_providers()), len(show_fields.detail_providers()), "
        "sorted(query_keys.query_keys()), sorted(loaded_capabilities())))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == (
        "(0, 0, 0, 0) (7, 8, ['label', 'object', 'person', 'place', 'tag', 'text'], "
        "['photoorg.duplicates', 'photoorg.faces', 'photoorg.objects', 'photoorg.places', 'photoorg.raw', "
        "'photoorg.tags', 'photoorg.text', 'photoorg.video', 'photoorg.xmp'])"
    )


def test_loading_and_registering_again_changes_nothing():
    with extensions.scoped():
        load_capabilities()
        first = _registered()
        load_capabilities()
        for capability in CORE_CAPABILITIES:
            capability.register(Extensions())  # straight to the points, past the loaded check
        assert _registered() == first
        assert list(extensions.loaded_capabilities()) == [
            "photoorg.tags",
            "photoorg.faces",
            "photoorg.text",
            "photoorg.places",
            "photoorg.objects",
            "photoorg.duplicates",
            "photoorg.video",
            "photoorg.raw",
            "photoorg.xmp",
        ]


def test_the_core_capabilities_fill_the_points_they_use():
    with extensions.scoped():
        load_capabilities()
        registered = _registered()
    # classifier, faces, text, object detector, small faces, duplicates, video
    assert len(registered["stages.stage_providers"]) == 7
    # tagging, clustering, naming places, person/people tags, grouping duplicates,
    # the video keyframes' snapshot, xmp
    assert len(registered["after_index.after_index_steps"]) == 7
    assert set(registered["stage_versions.stage_versions"]) == {
        "tags-clip",
        "classify",
        "faces",
        "text",
        "objects",
        "small-faces",
        "duplicates",
    }
    # tags' and people's tables are in the core chain; the others own theirs
    assert [chain.name for chain in registered["schemas.schemas"]] == [
        "text",
        "places",
        "objects",
        "duplicates",
        "video",
        "xmp",
    ]
    assert len(registered["filter_clauses.filter_clauses"]) == 7
    assert set(registered["query_keys.query_keys"]) == {"tag", "person", "text", "place", "object", "label"}
    assert set(registered["query_keys.is_values"]) == {"blurry", "dark"}
    assert len(registered["query_rewriters.query_rewriters"]) == 1
    assert len(registered["fallback_rankers.fallback_rankers"]) == 1
    assert set(registered["search_rankers.search_rankers"]) == {"text", "place"}
    assert len(registered["show_fields.detail_providers"]) == 8
    assert list(registered["cli_commands.cli_command_groups"]) == [
        "tags",
        "people",
        "text",
        "places",
        "objects",
        "duplicates",
        "xmp",
    ]
    assert [reader.kind for reader in registered["media_readers.media_readers"]] == ["video", "raw"]
    assert len(registered["item_marks.item_markers"]) == 2  # video, raw
    assert list(registered["vector_sources.vector_sources"]) == ["video-scenes"]
    assert len(registered["library_closing.library_closing_steps"]) == 1  # xmp write-back


def test_two_capabilities_cannot_claim_one_name():
    with extensions.scoped():
        extensions.query_keys.register_query_key("bright", bright_key)
        extensions.query_keys.register_query_key("Bright", bright_key)  # the same: no-op
        with pytest.raises(ExtensionConflict, match="query key 'bright'"):
            extensions.query_keys.register_query_key("bright", lambda value, negated: None)
        with pytest.raises(ExtensionConflict, match="the core's"):
            extensions.query_keys.register_query_key("Camera", bright_key)
    assert "bright" not in extensions.query_keys.query_keys()
    assert set(CORE_KEY_HANDLERS) == extensions.query_keys.CORE_KEYS
    with extensions.scoped(), pytest.raises(ExtensionConflict, match="stage 'clip' is the core's"):
        extensions.stage_versions.register_stage_version("clip", toy_version)
    assert set(CORE_STAGE_VERSIONS) == extensions.stage_versions.CORE_STAGES


def test_query_keys_come_from_the_loaded_capabilities():
    with extensions.scoped():
        assert parse_query("bright:yes").text == "bright:yes"  # not loaded yet: plain text
        extensions.load([tags, faces, Toy()])
        parsed = parse_query('tag:dog -bright:yes person:"Aunt Mary" camera:canon sunset')
    assert parsed.text == "sunset"
    assert parsed.filters.tags == ("dog",) and parsed.filters.people == ("Aunt Mary",)
    assert parsed.filters.extra == {"toy": False} and parsed.filters.active
    assert parsed.filters.camera == "canon"


# -- a capability's own tables ------------------------------------------------------------------


def _tables(db_path: Path) -> set[str]:
    con = sqlite3.connect(db_path)
    try:
        return {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        con.close()


def _version(db_path: Path, name: str) -> int:
    con = sqlite3.connect(db_path)
    try:
        return capability_version(con, name)
    finally:
        con.close()


def test_a_capability_schema_migrates_after_a_backup_and_a_newer_one_is_refused(tmp_path):
    folder = tmp_path / "lib"
    with Library(folder) as library:  # a library from before the capability
        db_path, backups = library.paths.database, library.paths.backups
    assert not list(backups.glob("*.db"))

    with extensions.scoped():
        extensions.schemas.register_schema("toy", [_v1_levels])
        Library(folder).close()
        Library(folder).close()  # up to date: no second backup
    assert "toy_levels" in _tables(db_path) and _version(db_path, "toy") == 1
    assert [p.name.split("-2")[0] for p in backups.glob("*.db")] == [f"library-v{LATEST_VERSION}-toy0"]
    with sqlite3.connect(next(backups.glob("*.db"))) as backup:
        assert "toy_levels" not in {r[0] for r in backup.execute("SELECT name FROM sqlite_master")}

    with extensions.scoped():
        extensions.schemas.register_schema("toy", [_v1_levels, _v2_runs])
        Library(folder).close()
    assert {"toy_levels", "toy_runs"} <= _tables(db_path) and _version(db_path, "toy") == 2
    assert len(list(backups.glob("*-toy1-*.db"))) == 1

    def broken(con: sqlite3.Connection) -> None:
        con.execute("CREATE TABLE toy_half (id INTEGER)")
        raise sqlite3.OperationalError("a bug in the third migration")

    with extensions.scoped():
        extensions.schemas.register_schema("toy", [_v1_levels, _v2_runs, broken])
        with pytest.raises(sqlite3.OperationalError, match="third migration"):
            Library(folder)
    assert "toy_half" not in _tables(db_path) and _version(db_path, "toy") == 2

    with extensions.scoped():
        extensions.schemas.register_schema("toy", [_v1_levels])
        with pytest.raises(NewerDatabaseError, match="toy tables are at version 2"):
            Library(folder)


def test_a_new_library_gets_the_capability_tables_without_a_backup(tmp_path):
    with extensions.scoped():
        extensions.schemas.register_schema("toy", [_v1_levels, _v2_runs])
        library = Library(tmp_path / "lib")
        library.close()
    assert _version(library.paths.database, "toy") == 2
    assert not list(library.paths.backups.glob("*.db"))


# -- end to end ---------------------------------------------------------------------------------


def test_a_toy_capability_works_through_the_real_core(capsys, library_dir, photo_folder, tiny_weights):
    with Library(library_dir) as before:  # it predates the capability: its tables arrive by migration
        backups = before.paths.backups
    with extensions.scoped():
        extensions.load([Toy()])
        model = ("--model", TINY_ARCH, "--weights", tiny_weights)
        summary = cli_json(capsys, "index", photo_folder, "--library", library_dir, *model)
        assert summary["stages"]["toy"]["done"] == 5
        assert cli_json(capsys, "status", "--library", library_dir)["stages"]["toy"] == {
            "version": "toy-1",
            "done": 5,
            "failed": 0,
            "pending": 0,
            "state": "ready",
        }
        browsed = cli_json(capsys, "search", "bright:yes", "--library", library_dir)
        assert sorted(Path(h["path"]).name for h in browsed) == ["letter.webp", "snow.png"]
        ranked = cli_json(capsys, "search", "a photo -bright:yes", "--library", library_dir)
        assert len(ranked) == 3 and all(h["score"] is not None for h in ranked)
        shown = cli_json(capsys, "show", photo_folder / "2021" / "snow.png", "--library", library_dir)
        assert shown["brightness"] > BRIGHT and "tags" in shown and "faces" in shown
        assert cli_json(capsys, "toy-report", "--library", library_dir) == {"bright": 2, "runs": [5]}
        assert len(list(backups.glob("*-toy0-*.db"))) == 1
    # Outside the block the capability is gone again: its key is plain text, its command unknown.
    assert parse_query("bright:yes").text == "bright:yes"
    with pytest.raises(SystemExit):
        main(["toy-report", "--library", str(library_dir)])
