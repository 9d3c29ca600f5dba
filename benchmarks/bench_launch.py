"""The app's first seconds: launch to first paint, and to a scrollable grid,
on a library of N photos, with no CLIP weights reachable and no network.

The library is made directly in the database (N photo rows under a root
whose folder is unplugged, so the background rescan keeps them), which is
what the window reads at launch; the photos' files don't matter for it.
The app runs in a fresh process, offscreen, timed from before its
interpreter starts. With ``--searches N`` (default 10) the test suite's tiny
CLIP model gets a vector per photo, and N searches are typed one after the
other from the moment the grid shows, each timed from typing to results.
`python -c "import photoorg"` is timed in the same run as the reference.

    python benchmarks/bench_launch.py [--photos 10000] [--runs 3]

Writes benchmarks/out/launch.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from photoorg.gui import app as app_module
from photoorg.gui.main_window import MainWindow
from photoorg.library import Library

marks = {}
started = float(sys.argv[1])
want = int(sys.argv[3])

def mark(name):
    marks.setdefault(name, time.time() - started)

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            mark("first_paint")
        return False

mark("imported")
qt_app = app_module.create_app()
library = Library(sys.argv[2])
window = MainWindow(library)
spy = FirstPaint()
window.installEventFilter(spy)
window.resize(1400, 900)
window.show()
app_module.after_first_paint(window)

searches = int(sys.argv[4])
typed = {}


def finish():
    print(repr(marks), flush=True)
    window.close()
    qt_app.quit()


def search(number):
    if number > searches:
        finish()
        return
    typed["at"] = time.time()
    typed["number"] = number
    window.search.set_text(f"a photo of a beach number {number}")


def searched():
    if "at" in typed and window.search.text:
        number = typed.pop("number")
        marks[f"search_{number}"] = time.time() - typed.pop("at")
        QTimer.singleShot(50, lambda: search(number + 1))


window.grid_updated.connect(searched)


def poll():
    if window.model.rowCount() >= want:
        mark("grid_rows")
        bar = window.grid.verticalScrollBar()
        bar.setValue(bar.maximum() // 2)  # scroll: it must answer at once
        qt_app.processEvents()
        mark("scrolled")
        if searches:
            search(1)  # typed as soon as the grid shows: the model is still loading
        else:
            finish()
    else:
        QTimer.singleShot(10, poll)

QTimer.singleShot(0, poll)
QTimer.singleShot(60_000, qt_app.quit)
qt_app.exec()
library.close()
"""


def add_tiny_model(folder: Path, photos: int) -> None:
    """The test suite's tiny CLIP model as the library's model, with a vector
    for every photo: search then runs the whole way (text tower, ranking)."""
    import numpy as np

    from photoorg.library import Library
    from photoorg.pipeline.clip_stage import ensure_model_row
    from tests.helpers import TINY_ARCH, build_tiny_checkpoint, install_tiny_config

    weights = build_tiny_checkpoint(folder.parent / "tiny")
    install_tiny_config(folder)
    with Library(folder) as library:
        choice = library.select_model(TINY_ARCH, str(weights))
        with library.db.transaction() as s:
            model_id = ensure_model_row(s, choice, 32)
        vectors = np.random.default_rng(0).normal(size=(photos, 32)).astype("<f4")
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        con = sqlite3.connect(folder / "library.db")
        con.executemany(
            "INSERT INTO embeddings (photo_id, model_id, vector) VALUES (?, ?, ?)",
            [(i + 1, model_id, vectors[i].tobytes()) for i in range(photos)],
        )
        con.commit()
        con.close()


def make_library(folder: Path, photos: int) -> None:
    from photoorg.library import Library

    Library(folder).close()  # the schema, as the app makes it
    con = sqlite3.connect(folder / "library.db")
    unplugged = "/media/unplugged-drive/Pictures"
    now = datetime.now().isoformat(sep=" ")
    con.execute("INSERT INTO roots (path, added_at) VALUES (?, ?)", (unplugged, now))
    root_id = con.execute("SELECT id FROM roots").fetchone()[0]
    start = datetime(2012, 1, 1)
    rows = []
    for i in range(photos):
        taken = (start + timedelta(hours=7 * i)).isoformat(sep=" ")
        folder_path = f"{unplugged}/{2012 + i // 1500}"
        rows.append(
            (
                root_id,
                f"{folder_path}/IMG_{i:06d}.jpg",
                folder_path,
                3_000_000,
                i,
                f"{i:064x}",
                "JPEG",
                4032,
                3024,
                taken,
                taken,
                now,
                now,
            )
        )
    con.executemany(
        "INSERT INTO photos (root_id, path, folder, size, mtime_ns, content_hash, format, width, height, "
        "taken_at, date, added_at, updated_at, state, rating, favorite) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok', 0, 0)",
        rows,
    )
    con.commit()
    con.close()


def run_once(library: Path, photos: int, searches: int = 0) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, repr(started), str(library), str(photos), str(searches)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    marks = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not marks:
        raise SystemExit(f"the app did not report:\n{out.stderr[-2000:]}")
    return eval(marks[-1])


def import_time() -> float:
    started = time.time()
    subprocess.run(
        [sys.executable, "-c", "import photoorg"], check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    return time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--searches", type=int, default=10, help="searches typed from the moment the grid shows (tiny model)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        library = Path(tmp) / "library"
        make_library(library, args.photos)
        runs = []
        for _ in range(args.runs):
            runs.append({**run_once(library, args.photos), "import_photoorg": import_time()})
        if args.searches:
            add_tiny_model(library, args.photos)
            for run in runs:
                with_model = run_once(library, args.photos, args.searches)
                run.update({f"with_model_{key}": value for key, value in with_model.items()})
    report = {
        "photos": args.photos,
        "runs": runs,
        "median": {key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0]},
    }
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "launch.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report["median"], indent=2))


if __name__ == "__main__":
    main()
