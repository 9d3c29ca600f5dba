"""The timeline scrubber on the grid's right edge (Google Photos' fast scroll).

Years are marked along it; under the cursor a bubble says which month the
photos there are from, and a click or a drag jumps there. It asks the view for
labels (``label_at_fraction``) and tells it where to go (``jump_requested``);
it knows nothing about photos itself.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QLabel, QWidget

WIDTH = 44


class TimelineScrubber(QWidget):
    #: a fraction of the scroll range, from 0 (top) to 1 (bottom)
    jump_requested = Signal(float)

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self.setObjectName("Scrubber")
        self.view = view
        self.setFixedWidth(WIDTH)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("")
        self.marks: list[tuple[float, str]] = []
        self.hover_y: float | None = None
        self.bubble = QLabel(view)
        self.bubble.setObjectName("ScrubberBubble")
        self.bubble.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.bubble.hide()

    def set_marks(self, marks: list[tuple[float, str]]) -> None:
        self.marks = marks
        self.update()

    def _fraction(self, y: float) -> float:
        return max(0.0, min(1.0, y / max(1, self.height())))

    # -- painting ----------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        font = QFont(self.font())
        font.setPixelSize(11)
        painter.setFont(font)
        # Year labels, skipping any that would overlap the one above.
        last_bottom = -100.0
        height = self.height()
        for fraction, label in self.marks:
            y = fraction * (height - 14)
            if y < last_bottom + 2:
                continue
            painter.setPen(text)
            painter.drawText(QRectF(0, y, WIDTH - 6, 14), Qt.AlignmentFlag.AlignRight, label)
            last_bottom = y + 14
        bar = self.view.verticalScrollBar()
        if bar.maximum() > 0:
            handle = QColor(text)
            handle.setAlpha(150 if self.hover_y is not None else 90)
            y = bar.value() / bar.maximum() * (height - 28)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(handle)
            painter.drawRoundedRect(QRectF(WIDTH - 5, y, 4, 28), 2, 2)
        if self.hover_y is not None:
            line = QColor(palette.color(QPalette.ColorRole.Highlight))
            painter.fillRect(QRectF(0, self.hover_y - 1, WIDTH, 2), line)
        painter.end()

    # -- input ---------------------------------------------------------------------------

    def label_at(self, y: float) -> str:
        return self.view.label_at_fraction(self._fraction(y))

    def mouseMoveEvent(self, event) -> None:
        y = event.position().y()
        self.hover_y = y
        text = self.label_at(y)
        if text:
            self.bubble.setText(text)
            self.bubble.adjustSize()
            bubble_y = int(max(0, min(self.height() - self.bubble.height(), y - self.bubble.height() / 2)))
            self.bubble.move(self.x() - self.bubble.width() - 6, self.y() + bubble_y)
            self.bubble.show()
            self.bubble.raise_()
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.jump_requested.emit(self._fraction(y))
        self.update()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.jump_requested.emit(self._fraction(event.position().y()))

    def leaveEvent(self, event) -> None:
        self.hover_y = None
        self.bubble.hide()
        self.update()
        super().leaveEvent(event)
