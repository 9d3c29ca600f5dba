"""The grid's layout maths: justified rows, square tiles, date sections, queries."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta

import pytest

from photoorg.gui.justified_layout import (
    DAY,
    MONTH,
    YEAR,
    JustifiedLayout,
    clamp_aspect,
    date_sections,
    granularity_for,
)


def test_rows_fill_the_width_exactly_and_keep_each_photos_aspect():
    rng = random.Random(1)
    aspects = [rng.choice([1.5, 0.667, 1.0, 1.78, 0.75]) for _ in range(200)]
    layout = JustifiedLayout(aspects, width=1000, row_height=180, spacing=4)
    for row in range(len(layout.row_start) - 1):  # every full row
        members = list(layout.row_range(row))
        rects = [layout.rect(i) for i in members]
        assert {round(r[3], 6) for r in rects} == {round(layout.row_h[row], 6)}, "one height per row"
        right = rects[-1][0] + rects[-1][2]
        assert right == pytest.approx(1000), "the row ends at the right edge"
        for i, r in zip(members, rects):
            assert r[2] / r[3] == pytest.approx(aspects[i]), "no letterboxing, no crop"
        for a, b in itertools.pairwise(rects):
            assert b[0] - (a[0] + a[2]) == pytest.approx(4)
        assert 0.5 * 180 < layout.row_h[row] < 2 * 180
    last = list(layout.row_range(len(layout.row_start) - 1))
    natural = sum(aspects[i] for i in last) * 180 + (len(last) - 1) * 4
    if natural < 1000:
        assert layout.rect(last[0])[3] == 180, "the last, short row is not stretched"
    short = JustifiedLayout([1.0, 1.0], width=1000, row_height=180, spacing=4)
    assert [short.rect(i) for i in (0, 1)] == [(0.0, 0.0, 180.0, 180.0), (184.0, 0.0, 180.0, 180.0)]
    assert layout.height == pytest.approx(layout.row_y[-1] + layout.row_h[-1] + 4)


def test_square_mode_fills_the_width_with_equal_tiles():
    layout = JustifiedLayout([2.0, 0.5] * 10, width=1000, row_height=150, spacing=4, square=True)
    assert layout.columns == 6
    rects = [layout.rect(i) for i in range(20)]
    assert {round(r[2], 6) for r in rects} == {round(r[3], 6) for r in rects}
    assert rects[5][0] + rects[5][2] == pytest.approx(1000)
    assert rects[6][:2] == (0.0, pytest.approx(rects[0][3] + 4))


def test_sections_start_new_rows_under_a_header_band():
    layout = JustifiedLayout(
        [1.0] * 10, width=500, row_height=100, spacing=0, sections=[(0, "A"), (3, "B")], header_height=40
    )
    assert [(s.start, s.end, s.title) for s in layout.sections] == [(0, 3, "A"), (3, 10, "B")]
    assert layout.rect(0)[1] == 40
    b = layout.sections[1]
    assert b.y == 40 + 100  # section A is one short row
    assert layout.rect(3) == (0.0, b.y + 40, 100.0, 100.0)
    assert layout.section_of(2) == 0 and layout.section_of(3) == 1
    assert layout.section_at(b.y + 1) == 1 and layout.section_at(b.y - 1) == 0


def test_queries_find_what_is_under_a_point_and_in_a_band():
    aspects = [1.5, 0.75, 1.0, 1.33, 2.0, 0.8] * 50
    layout = JustifiedLayout(aspects, width=900, row_height=160, spacing=4)
    for index in (0, 7, 101, 299):
        x, y, w, h = layout.rect(index)
        assert layout.index_at(x + w / 2, y + h / 2) == index
    assert layout.index_at(10, layout.height + 100) is None
    top, bottom = 1000.0, 1600.0
    shown = layout.visible(top, bottom)
    expected = [
        i
        for i in range(len(aspects))
        if layout.rect(i)[1] < bottom and layout.rect(i)[1] + layout.rect(i)[3] > top
    ]
    assert shown == expected
    row = layout.row_of(50)
    below = layout.nearest_in_row(row + 1, layout.rect(50)[0])
    assert layout.row_of(below) == row + 1


def test_a_panorama_wider_than_the_window_gets_a_row_of_its_own():
    layout = JustifiedLayout([4.0, 1.0], width=300, row_height=100, spacing=0)
    x, y, w, h = layout.rect(0)
    assert (x, y) == (0, 0) and w == pytest.approx(300) and h == pytest.approx(75)
    assert layout.rect(1)[1] == pytest.approx(75)


def test_date_sections_by_granularity():
    dates = [datetime(2021, 5, 3, 12), datetime(2021, 5, 3, 9), datetime(2021, 5, 1), datetime(2020, 12, 31)]
    today = datetime(2021, 6, 1)
    assert date_sections(dates, DAY, today) == [
        (0, "Monday 3 May"),
        (2, "Saturday 1 May"),
        (3, "Thursday 31 December 2020"),
    ]
    assert date_sections(dates, MONTH, today) == [(0, "May 2021"), (3, "December 2020")]
    assert date_sections(dates, YEAR, today) == [(0, "2021"), (3, "2020")]
    assert granularity_for(240) == DAY and granularity_for(160) == MONTH and granularity_for(100) == YEAR


def test_aspect_of_a_photo_turned_a_quarter():
    assert clamp_aspect(400, 300) == pytest.approx(4 / 3)
    assert clamp_aspect(400, 300, rotation=90) == pytest.approx(3 / 4)
    assert clamp_aspect(None, 300) == 1.0
    assert clamp_aspect(10000, 100) == 4.0


def test_a_hundred_thousand_photos_lay_out_and_answer_queries():
    """Correctness at scale (the timing is in benchmarks/justified_layout.py)."""
    rng = random.Random(7)
    aspects = [rng.choice([1.5, 0.667, 1.33, 0.75, 1.0]) for _ in range(100_000)]
    start = datetime(2024, 1, 1)
    dates = [start - timedelta(hours=3 * i) for i in range(100_000)]
    layout = JustifiedLayout(aspects, 1200, 180, 4, date_sections(dates, MONTH), header_height=44)
    assert layout.row_start[0] == 0 and sorted(layout.row_start) == layout.row_start
    middle = layout.height / 2
    shown = layout.visible(middle, middle + 900)
    assert 10 < len(shown) < 200
    assert all(layout.rect(i)[1] < middle + 900 for i in shown)
