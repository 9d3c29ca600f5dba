"""Selecting and copying the text read in a photo, on the photo itself.

The viewer draws boxes over a photo; a box that carries text (the text
capability's lines) can be selected like text in a document, as Apple's Live
Text does: the pointer turns into a text cursor over a line, a click selects
the line, a drag selects every line it crosses, Shift+click extends the
selection, and Ctrl+C (or the context menu) copies the selected lines, in
reading order. The geometry of the boxes on screen is the canvas's; this
module keeps the selection and turns it into text.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QGuiApplication

#: pixels the pointer must move, button down, before a press becomes a drag
DRAG_DISTANCE = 4

#: a box over the photo: (x, y, w, h, label) or, for a line of text, (x, y, w, h, label, text)
OverlayBox = tuple


def box_text(box: OverlayBox) -> str:
    """The selectable text of a box ("" for a face or object box)."""
    return str(box[5]) if len(box) > 5 and box[5] else ""


class TextSelection:
    """Which text boxes are selected, and the drag that is selecting them."""

    def __init__(self) -> None:
        self.selected: set[int] = set()
        self._anchor: int | None = None
        self._drag_from: QPointF | None = None

    @property
    def dragging(self) -> bool:
        return self._drag_from is not None

    def clear(self) -> None:
        self.selected.clear()
        self._anchor = None
        self._drag_from = None

    @staticmethod
    def hit(point: QPointF, rects: Sequence[tuple[int, QRectF]]) -> int | None:
        """The text box under ``point`` (rects: (box index, its rectangle on screen))."""
        for index, rect in rects:
            if rect.adjusted(-3, -3, 3, 3).contains(point):
                return index
        return None

    def press(self, point: QPointF, rects: Sequence[tuple[int, QRectF]], extend: bool) -> bool:
        """A press on the photo; True when it starts selecting (on a line of text)."""
        index = self.hit(point, rects)
        if index is None:
            self.clear()
            return False
        if extend and self._anchor is not None:
            low, high = sorted((self._anchor, index))
            self.selected = {i for i, _ in rects if low <= i <= high}
        else:
            self.selected = {index}
            self._anchor = index
        self._drag_from = point
        return True

    def drag(self, point: QPointF, rects: Sequence[tuple[int, QRectF]]) -> None:
        """Every line the dragged rectangle touches, and the line it started on."""
        if self._drag_from is None:
            return
        moved = point - self._drag_from
        if abs(moved.x()) + abs(moved.y()) < DRAG_DISTANCE:
            return  # a hand's tremor on a click (or a Shift+click) is not a drag
        # Widened by a pixel: a drag straight down is a rectangle with no width.
        band = QRectF(self._drag_from, point).normalized().adjusted(-1, -1, 1, 1)
        self.selected = {i for i, rect in rects if rect.intersects(band)}
        if self._anchor is not None:
            self.selected.add(self._anchor)

    def release(self) -> None:
        self._drag_from = None

    def text(self, boxes: Sequence[OverlayBox], everything: bool = False) -> str:
        """The selected lines (or all of them), in the order they were read."""
        return "\n".join(
            box_text(box)
            for index, box in enumerate(boxes)
            if box_text(box) and (everything or index in self.selected)
        )


def copy_to_clipboard(text: str) -> bool:
    if not text:
        return False
    QGuiApplication.clipboard().setText(text)
    return True
