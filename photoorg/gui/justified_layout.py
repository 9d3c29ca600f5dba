"""The grid's geometry, as plain maths: justified rows grouped in date sections.

A justified row holds photos at their own aspect ratio, all at one height,
scaled so the row fills the width exactly (Google Photos, Flickr). A section
(a day, a month or a year) starts with a header band and ends with a row that
is left at the target height rather than stretched.

Everything is built from prefix sums of the aspect ratios, so that:

- building costs O(rows) bisections over one list (100,000 photos: a few tens
  of milliseconds, measured in ``benchmarks/justified_layout.py``);
- a photo's rectangle, the photo under a point and the rows inside a band of
  the viewport are each a bisection, so painting costs O(visible).

No Qt here: rectangles are ``(x, y, w, h)`` tuples of floats.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate

MIN_ASPECT, MAX_ASPECT = 0.25, 4.0

Rect = tuple[float, float, float, float]


def clamp_aspect(width: int | None, height: int | None, rotation: int = 0) -> float:
    """A photo's width / height as shown (quarter turns swap them); 1 when unknown."""
    if not width or not height:
        return 1.0
    if rotation % 180 == 90:
        width, height = height, width
    return max(MIN_ASPECT, min(MAX_ASPECT, width / height))


@dataclass(frozen=True)
class Section:
    start: int  # first photo
    end: int  # one past the last photo
    y: float  # top of the header band
    title: str


class JustifiedLayout:
    """Rows and section headers for ``aspects`` laid out ``width`` wide.

    ``sections`` are ``(first photo, title)`` pairs in order (the first must
    start at 0); without them the photos form one untitled section. With
    ``square`` every photo takes a square tile of ``row_height``: a plain grid
    that still fills the width.
    """

    def __init__(
        self,
        aspects: Sequence[float],
        width: float,
        row_height: float,
        spacing: float = 4.0,
        sections: Sequence[tuple[int, str]] = (),
        header_height: float = 0.0,
        square: bool = False,
    ) -> None:
        self.count = len(aspects)
        self.width = max(1.0, float(width))
        self.row_height = max(8.0, float(row_height))
        self.spacing = spacing
        self.header_height = header_height if sections else 0.0
        self.square = square
        if square:
            # Square tiles, as many as fit, then stretched so no gap is left at the right.
            columns = max(1, int((self.width + spacing) // (self.row_height + spacing)))
            side = (self.width - (columns - 1) * spacing) / columns
            self.columns = columns
            self._prefix = [float(i) for i in range(self.count + 1)]
            self._target = side
        else:
            self.columns = 0
            self._prefix = [0.0, *accumulate(float(a) for a in aspects)]
            self._target = self.row_height
        self.row_start: list[int] = []  # first photo of each row
        self.row_y: list[float] = []
        self.row_h: list[float] = []
        self.sections: list[Section] = []
        # q[k] = prefix[k] * target + k * spacing grows with k; a row from i
        # to j fills the width once q[j] >= q[i] + width + spacing.
        self._q = [p * self._target + k * spacing for k, p in enumerate(self._prefix)]
        self._build(sections or [(0, "")])
        self._section_starts = [s.start for s in self.sections]
        self._section_ys = [s.y for s in self.sections]
        self.height = self._bottom

    # -- building ---------------------------------------------------------------------------

    def _build(self, sections: Sequence[tuple[int, str]]) -> None:
        y = 0.0
        bounds = [start for start, _ in sections] + [self.count]
        for (start, title), end in zip(sections, bounds[1:]):
            if end <= start:
                continue
            self.sections.append(Section(start, end, y, title))
            y += self.header_height
            y = self._rows(start, end, y)
        self._bottom = y

    def _rows(self, start: int, end: int, y: float) -> float:
        prefix, width, spacing, target = self._prefix, self.width, self.spacing, self._target
        if self.square:
            for first in range(start, end, self.columns):
                self._add_row(first, y, target)
                y += target + spacing
            return y
        q = self._q
        i = start
        while i < end:
            j = bisect_left(q, q[i] + width + spacing, i + 1, end + 1)
            if j > end:  # the section's last row is short: keep the target height
                self._add_row(i, y, target)
                y += target + spacing
                break
            j = max(j, i + 1)
            gaps = (j - i - 1) * spacing
            height = (width - gaps) / max(1e-6, prefix[j] - prefix[i])
            self._add_row(i, y, height)
            y += height + spacing
            i = j
        return y

    def _add_row(self, first: int, y: float, height: float) -> None:
        self.row_start.append(first)
        self.row_y.append(y)
        self.row_h.append(height)

    # -- queries ------------------------------------------------------------------------------

    def row_of(self, index: int) -> int:
        return bisect_right(self.row_start, index) - 1

    def rect(self, index: int) -> Rect:
        """Where photo ``index`` sits, in content coordinates."""
        row = self.row_of(index)
        first, height = self.row_start[row], self.row_h[row]
        prefix = self._prefix
        x = (prefix[index] - prefix[first]) * height + (index - first) * self.spacing
        width = (prefix[index + 1] - prefix[index]) * height
        return (x, self.row_y[row], width, height)

    def row_range(self, row: int) -> range:
        # Rows never span two sections: the next row starts where this one ends.
        end = self.row_start[row + 1] if row + 1 < len(self.row_start) else self.count
        return range(self.row_start[row], end)

    def rows_between(self, top: float, bottom: float) -> range:
        """The rows that overlap the band from ``top`` to ``bottom``."""
        if not self.row_y:
            return range(0)
        first = max(0, bisect_right(self.row_y, top) - 1)
        if self.row_y[first] + self.row_h[first] < top:
            first += 1
        last = bisect_right(self.row_y, bottom)
        return range(first, max(first, last))

    def visible(self, top: float, bottom: float) -> list[int]:
        return [i for row in self.rows_between(top, bottom) for i in self.row_range(row)]

    def index_at(self, x: float, y: float) -> int | None:
        row = bisect_right(self.row_y, y) - 1
        if row < 0 or y > self.row_y[row] + self.row_h[row]:
            return None
        for index in self.row_range(row):
            left, _, w, _ = self.rect(index)
            if left <= x <= left + w:
                return index
        return None

    def section_of(self, index: int) -> int:
        return max(0, bisect_right(self._section_starts, index) - 1)

    def section_at(self, y: float) -> int:
        """The section whose header or photos are at content height ``y``."""
        return max(0, bisect_right(self._section_ys, y) - 1)

    def nearest_in_row(self, row: int, x: float) -> int:
        """The photo of ``row`` whose centre is closest to ``x`` (Up/Down keys)."""
        candidates = self.row_range(row)

        def distance(index: int) -> float:
            left, _, w, _ = self.rect(index)
            return abs(left + w / 2 - x)

        return min(candidates, key=distance)


# -- date sections ----------------------------------------------------------------------

MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip

DAY, MONTH, YEAR = "day", "month", "year"


def granularity_for(row_height: float) -> str:
    """Bigger thumbnails, finer sections: days, then months, then years."""
    if row_height >= 200:
        return DAY
    if row_height >= 130:
        return MONTH
    return YEAR


def section_title(moment: datetime, granularity: str, today: datetime | None = None) -> str:
    if granularity == YEAR:
        return str(moment.year)
    if granularity == MONTH:
        return f"{MONTH_NAMES[moment.month - 1]} {moment.year}"
    today = today or datetime.now()
    title = f"{moment:%A} {moment.day} {MONTH_NAMES[moment.month - 1]}"
    return title if moment.year == today.year else f"{title} {moment.year}"


def date_sections(
    dates: Sequence[datetime], granularity: str, today: datetime | None = None
) -> list[tuple[int, str]]:
    """``(first index, title)`` wherever the day, month or year changes.

    Meant for photos in date order; out of order, a period simply appears as
    more than one section, which is what the user would see anyway."""
    if granularity == YEAR:
        key = lambda d: d.year  # noqa: E731
    elif granularity == MONTH:
        key = lambda d: (d.year, d.month)  # noqa: E731
    else:
        key = lambda d: (d.year, d.month, d.day)  # noqa: E731
    sections: list[tuple[int, str]] = []
    previous = object()
    for index, moment in enumerate(dates):
        current = key(moment)
        if current != previous:
            sections.append((index, section_title(moment, granularity, today)))
            previous = current
    return sections
