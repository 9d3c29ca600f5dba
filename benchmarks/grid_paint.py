"""What a scroll frame of the photo grid costs: the justified grid against
the former uniform grid (``PhotoGridView``), same photos, same run.

Thumbnails are put in the loader's memory cache first, so only painting is
timed. Prints the mean and worst frame for each view and their ratio; run
with ``QT_QPA_PLATFORM=offscreen python benchmarks/grid_paint.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QColor, QPixmap

from photoorg.browse import PhotoRow
from photoorg.gui.app import create_app
from photoorg.gui.grid import PhotoGridModel, PhotoGridView
from photoorg.gui.grid_tiles import thumbnail_bucket
from photoorg.gui.grid_view import JustifiedGridView
from photoorg.gui.images import ImageLoader, Thumbnails
from photoorg.scan.thumbnails import ThumbnailCache

SHAPES = [(320, 240), (240, 320), (320, 320), (320, 180)]


def rows(count: int) -> list[PhotoRow]:
    start = datetime(2024, 6, 30, 12)
    return [
        PhotoRow(i + 1, f"/p/{i}.jpg", f"{i:064x}", start - timedelta(hours=7 * i), *SHAPES[i % 4], 0, False)
        for i in range(count)
    ]


def fill(loader: ImageLoader, photos: list[PhotoRow], size: int) -> None:
    """Put a thumbnail for every photo in the loader's memory cache, as if loaded."""
    loader.capacity = len(photos) + 10
    for row in photos:
        scale = size / max(row.width, row.height)
        pixmap = QPixmap(round(row.width * scale), round(row.height * scale))
        pixmap.fill(QColor.fromHsv(row.id * 37 % 360, 160, 200))
        loader._pixmaps[(Thumbnails.KIND, row.content_hash, size)] = pixmap


def frames(view, steps: int = 150, step: int = 120) -> list[float]:
    app = create_app()
    times = []
    bar = view.verticalScrollBar()
    for _ in range(steps):
        bar.setValue(bar.value() + step if bar.value() < bar.maximum() else 0)
        start = time.perf_counter()
        view.viewport().repaint()
        times.append(1000 * (time.perf_counter() - start))
        app.processEvents()
    return times


def main(count: int = 1000) -> None:
    create_app()
    photos = rows(count)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, make, size in (
            ("uniform (before)", PhotoGridView, 176 - 8),
            ("justified (now)", JustifiedGridView, thumbnail_bucket(176)),
        ):
            loader = ImageLoader(threads=1)
            view = make(Thumbnails(loader, ThumbnailCache(Path(tmp) / name)))
            model = PhotoGridModel(view)
            view.setModel(model)
            view.resize(1100, 800)
            view.show()
            model.set_rows(photos)
            fill(loader, photos, size)
            frames(view, steps=20)  # warm up: the justified grid makes its tiles once
            times = frames(view)
            results[name] = (statistics.mean(times), max(times))
            loader.stop()
            view.close()
    for name, (mean, worst) in results.items():
        print(f"{name:18s} mean {mean:5.1f} ms/frame, worst {worst:5.1f} ms")
    (before_mean, before_worst), (now_mean, now_worst) = results.values()
    print(f"ratio justified/uniform: mean {now_mean / before_mean:.2f}, worst {now_worst / before_worst:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
