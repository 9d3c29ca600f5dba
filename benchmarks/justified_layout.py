"""How long the grid's layout takes for a large library (100,000 photos).

Builds the justified layout with month sections, then answers the queries a
repaint makes (the rows in view and each visible photo's rectangle). Prints
the times; run with ``python benchmarks/justified_layout.py [count]``.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta

from photoorg.gui.justified_layout import MONTH, JustifiedLayout, date_sections


def main(count: int = 100_000) -> None:
    rng = random.Random(0)
    aspects = [rng.choice([1.5, 0.667, 1.33, 0.75, 1.0, 1.78]) for _ in range(count)]
    start = datetime(2024, 1, 1)
    dates = [start - timedelta(hours=2 * i) for i in range(count)]
    t0 = time.perf_counter()
    sections = date_sections(dates, MONTH)
    t1 = time.perf_counter()
    layout = JustifiedLayout(aspects, 1200, 180, 4, sections, header_height=44)
    t2 = time.perf_counter()
    square = JustifiedLayout(aspects, 1200, 180, 4, sections, header_height=44, square=True)
    t3 = time.perf_counter()
    repaints = 1000
    for _k in range(repaints):
        top = rng.random() * layout.height
        for index in layout.visible(top, top + 900):
            layout.rect(index)
    t4 = time.perf_counter()
    print(
        f"{count:,} photos, {len(sections)} sections, {len(layout.row_start):,} rows: "
        f"sections {1000 * (t1 - t0):.1f} ms, justified layout {1000 * (t2 - t1):.1f} ms, "
        f"square layout {1000 * (t3 - t2):.1f} ms, one repaint's queries {1000 * (t4 - t3) / repaints:.3f} ms"
    )
    del square


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
