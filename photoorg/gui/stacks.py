"""Stacks in the grid: several photos shown as one cover with a count (a
burst), expanded in place on a click of the count.

Generic: capabilities register stack providers through
:meth:`photoorg.gui.extension.AppContext.add_grid_stacks`; a provider gets
the library and the ids the grid is about to show (off the GUI thread) and
returns ``{cover id: [member ids, cover first]}``. Collapsing is a pure
function over the rows, so the model's diffing keeps selection and scroll
when a stack opens or closes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter

from photoorg.browse import PhotoRow
from photoorg.gui.theme import icon
from photoorg.library import Library

#: library, ids to show -> {cover id: member ids, cover first}; runs off the GUI thread
StackProvider = Callable[[Library, list[int]], dict[int, list[int]]]

#: (members, expanded) of a stack's cover, for painting its badge
StackInfo = tuple[int, bool]


def load_stacks(providers: Sequence[StackProvider], library: Library, rows: Sequence[PhotoRow]) -> dict:
    """Every provider's stacks among ``rows`` (worker thread); a photo joins the first
    stack that claims it."""
    stacks: dict[int, list[int]] = {}
    if not providers or not rows:
        return stacks
    ids = [row.id for row in rows]
    claimed: set[int] = set()
    for provider in providers:
        for cover, members in provider(library, ids).items():
            members = [m for m in members if m not in claimed]
            if cover in members and len(members) > 1:
                stacks[cover] = members
                claimed.update(members)
    return stacks


def collapse(
    rows: Sequence[PhotoRow], stacks: dict[int, list[int]], expanded: set[int]
) -> tuple[list[PhotoRow], dict[int, StackInfo]]:
    """The rows to show: each stack at the place of its first member, as its
    cover alone, or (expanded) as its cover followed by the other members."""
    member_of = {m: cover for cover, members in stacks.items() for m in members}
    by_id = {row.id: row for row in rows}
    shown: list[PhotoRow] = []
    placed: set[int] = set()
    info: dict[int, StackInfo] = {}
    for row in rows:
        cover = member_of.get(row.id)
        if cover is None:
            shown.append(row)
            continue
        if cover in placed:
            continue
        placed.add(cover)
        members = [m for m in stacks[cover] if m in by_id]
        open_ = cover in expanded
        shown.extend(by_id[m] for m in (members if open_ else members[:1]))
        info[cover] = (len(members), open_)
    return shown, info


@dataclass
class GridStacks:
    """The grid's stacks now: the full rows, the stacks among them, the open ones."""

    rows: list[PhotoRow]
    stacks: dict[int, list[int]]
    expanded: set[int]

    def shown(self) -> tuple[list[PhotoRow], dict[int, StackInfo]]:
        return collapse(self.rows, self.stacks, self.expanded)

    def toggle(self, cover: int) -> bool:
        """Open or close a stack; False when ``cover`` is no stack's cover."""
        if cover not in self.stacks:
            return False
        self.expanded ^= {cover}
        return True


def badge_rect(frame: QRect | QRectF) -> QRect:
    """Where a cover's count is drawn, and clicked: the tile's top-left corner."""
    return QRect(int(frame.left()) + 6, int(frame.top()) + 6, 44, 22)


def paint_stack_badge(painter: QPainter, frame: QRectF, info: StackInfo | None) -> None:
    if info is None:
        return
    count, open_ = info
    box = QRectF(badge_rect(frame))
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(37, 99, 235, 230) if open_ else QColor(0, 0, 0, 160))
    painter.drawRoundedRect(box, 11, 11)
    font = QFont(painter.font())
    font.setPixelSize(12)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    glyph = QRectF(box.left() + 6, box.top() + 4, 14, 14)
    icon("minus" if open_ else "layers", "white").paint(painter, glyph.toRect())
    painter.drawText(box.adjusted(18, 0, -2, 0), Qt.AlignmentFlag.AlignCenter, str(count))
    painter.restore()
