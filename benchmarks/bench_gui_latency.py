"""The GUI's event-loop latency while a large library is indexed and scrolled.

A library of ``--library`` photos: all but ``--new`` of them are indexed first
(small photos, every default stage, outside the app), then the app opens on it
and indexes the ``--new`` photos (640x480) while a 10 ms timer measures how
late the event loop answers and another timer scrolls the grid through the
whole library. The one-time costs of a model (the ONNX export, the tag
vocabulary) are paid by the pre-index, as in a library in use; the first run's
are measured by tests/test_gui.py's probe.

    python benchmarks/bench_gui_latency.py                    # 10,000 photos, 1,000 indexed in the app
    python benchmarks/bench_gui_latency.py --library 2000 --new 500

Uses the tiny CLIP model the tests build (no weights to download), so the
figures measure the app's own work (decoding, faces, text, thumbnails, the
writer, the grid), not a large model's forward pass. Results go to stdout and
benchmarks/out/gui_latency_library.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "out"


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def make_photos(folder: Path, count: int, size: tuple[int, int], offset: int) -> None:
    from tests.helpers import make_photo

    for i in range(count):
        n = offset + i
        make_photo(
            folder / f"{n // 500:03d}" / f"p{n:06d}.jpg",
            size=size,
            pattern=n,
            color=(n % 256, (n * 3) % 256, (n * 7) % 200 + 40),
        )


def pre_index(library) -> float:
    started = time.perf_counter()
    indexer = library.indexer(library.stage_specs(text_tower=False))
    for _ in indexer.run():
        pass
    return time.perf_counter() - started


class StallSampler:
    """Where the GUI thread is while the probe is late: a thread that, every
    10 ms, looks at the GUI thread's stack when the last tick is over 50 ms old."""

    def __init__(self, state: dict) -> None:
        import collections
        import threading

        self.state = state
        self.main = threading.main_thread().ident
        self.stacks: collections.Counter = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="stall-sampler")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> list:
        self._stop.set()
        self._thread.join()
        return [{"samples": n, "stack": stack} for stack, n in self.stacks.most_common(8)]

    def _run(self) -> None:
        import traceback

        while not self._stop.wait(0.010):
            if time.perf_counter() - self.state["last"] < 0.050:
                continue
            frame = sys._current_frames().get(self.main)
            if frame is not None:
                summary = traceback.extract_stack(frame)[-6:]
                self.stacks[
                    " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(summary))
                ] += 1


def probe(library, new_folder: Path, seconds_limit: float, sample_stacks: bool = False) -> dict:
    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from photoorg.gui.app import create_app
    from photoorg.gui.main_window import MainWindow
    from photoorg.roots import add_root

    app = create_app()
    add_root(library.db, new_folder)  # the app indexes its folders when it opens
    window = MainWindow(
        library, QSettings(str(new_folder.parent / "settings.ini"), QSettings.Format.IniFormat)
    )
    window.resize(1400, 900)
    window.show()
    lateness: list[float] = []
    interval = 0.010
    state = {"last": time.perf_counter(), "summary": None}

    def tick() -> None:
        now = time.perf_counter()
        lateness.append(max(0.0, now - state["last"] - interval))
        state["last"] = now

    def scroll() -> None:
        bar = window.grid.verticalScrollBar()
        bar.setValue(bar.value() + 240 if bar.value() < bar.maximum() else 0)

    loop = QEventLoop()
    window.indexing_finished.connect(lambda summary: (state.update(summary=summary), loop.quit()))
    probe_timer, scroll_timer, limit = QTimer(), QTimer(), QTimer()
    probe_timer.timeout.connect(tick)
    scroll_timer.timeout.connect(scroll)
    limit.setSingleShot(True)
    limit.timeout.connect(loop.quit)
    sampler = StallSampler(state) if sample_stacks else None
    if sampler is not None:
        sampler.start()
    started = time.perf_counter()
    probe_timer.start(int(interval * 1000))
    scroll_timer.start(40)
    limit.start(int(seconds_limit * 1000))
    loop.exec()
    probe_timer.stop()
    scroll_timer.stop()
    seconds = time.perf_counter() - started
    stall_stacks = sampler.stop() if sampler is not None else None
    rows = window.model.rowCount()
    window.close()
    app.processEvents()
    lateness.sort()
    summary = state["summary"]
    return {
        "grid_rows": rows,
        "indexed_in_app": getattr(summary, "indexed", None),
        "finished": summary is not None,
        "seconds": round(seconds, 1),
        "samples": len(lateness),
        "worst_ms": round(lateness[-1] * 1000, 1) if lateness else None,
        "p99_ms": round(lateness[int(0.99 * (len(lateness) - 1))] * 1000, 1) if lateness else None,
        "over_100ms": sum(1 for late in lateness if late > 0.1),
        **({"stall_stacks": stall_stacks} if stall_stacks is not None else {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--library", type=int, default=10_000, help="photos in the library at the end")
    parser.add_argument("--new", type=int, default=1_000, help="photos indexed while the app is open")
    parser.add_argument("--limit", type=float, default=1800, help="seconds to wait for the app's index run")
    parser.add_argument("--stacks", action="store_true", help="sample the GUI thread's stack during stalls")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="bench-gui-latency-"))
    os.environ["PHOTOORG_CACHE_DIR"] = str(work / "user-cache")
    os.environ["XDG_DATA_HOME"] = str(work / "xdg-data")

    from photoorg.library import Library
    from photoorg.roots import add_root
    from tests.helpers import TINY_ARCH, build_tiny_checkpoint, install_tiny_config

    weights = build_tiny_checkpoint(work / "model")
    install_tiny_config(work / "library")
    library = Library(work / "library")
    library.select_model(TINY_ARCH, str(weights))
    old, new = work / "Photos", work / "New photos"
    count_old = args.library - args.new
    log(f"writing {count_old:,} small photos and {args.new:,} 640x480 ones ...")
    make_photos(old, count_old, (200, 150), 0)
    make_photos(new, args.new, (640, 480), count_old)
    add_root(library.db, old)
    log("indexing the library outside the app ...")
    seconds = pre_index(library)
    log(f"   {seconds:.0f} s; opening the app and indexing {args.new:,} more while scrolling ...")
    result = probe(library, new, args.limit, args.stacks)
    result.update(library_photos=args.library, pre_index_seconds=round(seconds, 1), load=os.getloadavg()[0])
    library.close()
    print(json.dumps(result, indent=2))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "gui_latency_library.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
