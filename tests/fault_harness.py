"""Shared by the fault-injection tests (``tests/test_faults.py``, a fast subset
run in CI) and the full benchmark (``benchmarks/fault_injection.py``).

Every fault ends with the same checks, made straight on the SQLite file so
they trust nothing photoorg says about itself:

- ``PRAGMA integrity_check`` is ``ok``;
- no duplicate rows (a path twice, a vector twice, a face stored twice);
- every mark the user made (rating, favourite, albums, own tags) is still on
  the photo with the same content;
- after a rerun, the work is finished: every file on disk has one photo, and
  no photo is pending or missing.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.helpers import TINY_ARCH, make_photo

REPO = Path(__file__).resolve().parents[1]

# Duplicates that must never exist, whatever was interrupted.
DUPLICATE_QUERIES = {
    "photos by path": "SELECT path FROM photos GROUP BY path HAVING count(*) > 1",
    "vectors per photo and model": (
        "SELECT photo_id FROM embeddings GROUP BY photo_id, model_id HAVING count(*) > 1"
    ),
    "faces stored twice": (
        "SELECT photo_id FROM faces GROUP BY photo_id, x, y, w, h, detector HAVING count(*) > 1"
    ),
    "albums per photo": "SELECT photo_id FROM album_photos GROUP BY album_id, photo_id HAVING count(*) > 1",
}


def make_photos(folder: Path, start: int, count: int, size: tuple[int, int] = (480, 360)) -> list[Path]:
    """Distinct real JPEGs of distinct sizes (a rename changes no size)."""
    return [
        make_photo(
            folder / f"p{i:04d}.jpg",
            size=(size[0] + i % 50, size[1]),
            pattern=i,
            color=((i * 37) % 256, (i * 11) % 256, 200),
        )
        for i in range(start, start + count)
    ]


def index_command(library_dir: Path, weights: Path, *paths: Path) -> list[str]:
    """The real CLI, as a user runs it, with the tiny test model."""
    return [
        sys.executable,
        "-m",
        "photoorg",
        "index",
        *map(str, paths),
        "--library",
        str(library_dir),
        "--model",
        TINY_ARCH,
        "--weights",
        str(weights),
        "--workers",
        "1",
        "--threads",
        "1",
        "--json",
    ]


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(PHOTOORG_OFFLINE="1", HF_HUB_OFFLINE="1", QT_QPA_PLATFORM="offscreen")
    return env


def mark_photos(library, paths: list[Path]) -> None:
    """Give photos different marks through the real core functions."""
    from sqlalchemy import select

    from photoorg import organize
    from photoorg.store.schema import Photo
    from photoorg.tags.store import add_tag

    with library.db.session() as s:
        ids = [s.scalar(select(Photo.id).where(Photo.path == str(p))) for p in paths]
    album = organize.create_album(library.db, "Kept")
    for n, photo_id in enumerate(ids):
        organize.set_rating(library.db, [photo_id], n % 5 + 1)
        if n % 2 == 0:
            organize.add_to_album(library.db, album, [photo_id])
        if n % 3 == 0:
            organize.set_favorite(library.db, [photo_id], True)
        add_tag(library.db, [photo_id], f"mine-{n}")


def connect(db_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)


def marks_by_content(db_path: Path) -> dict[str, tuple]:
    """content hash -> (rating, favourite, albums, own tags), for marked photos."""
    con = connect(db_path)
    try:
        marks: dict[str, tuple] = {}
        for pid, digest, rating, favorite in con.execute(
            "SELECT id, content_hash, rating, favorite FROM photos WHERE content_hash IS NOT NULL"
        ):
            albums = sorted(
                r[0]
                for r in con.execute(
                    "SELECT a.name FROM album_photos ap JOIN albums a ON a.id = ap.album_id "
                    "WHERE ap.photo_id = ?",
                    (pid,),
                )
            )
            tags = sorted(
                r[0]
                for r in con.execute(
                    "SELECT t.name FROM photo_tags pt JOIN tags t ON t.id = pt.tag_id "
                    "WHERE pt.photo_id = ? AND pt.source = 'user'",
                    (pid,),
                )
            )
            if rating or favorite or albums or tags:
                marks[digest] = (rating, bool(favorite), tuple(albums), tuple(tags))
        return marks
    finally:
        con.close()


def integrity_problems(db_path: Path) -> list[str]:
    """Empty when the database is sound and holds no duplicate rows."""
    con = connect(db_path)
    try:
        problems = []
        result = [r[0] for r in con.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            problems.append(f"integrity_check: {result[:5]}")
        for name, query in DUPLICATE_QUERIES.items():
            rows = con.execute(query).fetchall()
            if rows:
                problems.append(f"duplicate {name}: {rows[:5]}")
        return problems
    finally:
        con.close()


def unfinished_work(library, folders: list[Path]) -> list[str]:
    """What a finished run would have done but did not: files without a
    present photo, photos missing or pending for a stage."""
    from photoorg.status import library_status

    status = library_status(library)
    problems = []
    on_disk = {str(p) for folder in folders for p in folder.rglob("*.jpg")}
    con = connect(library.paths.database)
    try:
        present = {r[0] for r in con.execute("SELECT path FROM photos WHERE missing_since IS NULL")}
    finally:
        con.close()
    if on_disk - present:
        problems.append(f"files not indexed: {sorted(on_disk - present)[:5]}")
    if present - on_disk:
        problems.append(f"photos whose file is gone: {sorted(present - on_disk)[:5]}")
    if status["counts"]["missing"]:
        problems.append(f"{status['counts']['missing']} photos missing")
    for name, stage in status["stages"].items():
        if stage["pending"] or stage["state"] != "ready":
            problems.append(f"stage {name}: {stage['pending']} pending, {stage['state']}")
    return problems


def stage_rows(db_path: Path) -> int:
    """A cheap measure of work done so far (one row per photo and stage)."""
    try:
        con = connect(db_path)
        try:
            return con.execute("SELECT count(*) FROM photo_stages").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def kill_at_random_point(
    command: list[str],
    rng: random.Random,
    progress: Callable[[], int],
    expected_work: int,
    timeout: float = 300,
) -> dict:
    """Start the command and SIGKILL it at a random point of its run: after a
    random share of its work (read through ``progress``), plus a random
    fraction of a second. Returns what happened, for the report."""
    start_work = progress()
    target = start_work + rng.randint(0, max(0, expected_work - 1))
    jitter = rng.uniform(0, 0.4)
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(), cwd=str(REPO)
    )
    while process.poll() is None and progress() < target and time.monotonic() - started < timeout:
        time.sleep(0.02)
    time.sleep(jitter)
    finished_first = process.poll() is not None
    if not finished_first:
        process.send_signal(signal.SIGKILL)
    _, err = process.communicate()
    return {
        "killed": not finished_first,
        "after_s": round(time.monotonic() - started, 2),
        "work_before": start_work,
        "work_at_kill": progress(),
        "target": target,
        "returncode": process.returncode,
        "stderr_tail": err.decode(errors="replace")[-400:] if finished_first else "",
    }
