"""Building blocks of the face pages: face tiles laid out in wrapping rows,
a page frame with a scrolling body, and the tick-to-select state."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QRubberBand,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetItem,
)

from photoorg.gui.theme import icon

REVIEW_FACE = 104


class FlowLayout(QLayout):
    """Lays widgets out in rows that wrap, like words."""

    def __init__(self, parent=None, spacing: int = 8) -> None:
        super().__init__(parent)
        self._items: list[QWidgetItem] = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, apply: bool) -> int:
        x, y, row_height = rect.x(), rect.y(), 0
        gap = self.spacing()
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and row_height > 0:
                x, y = rect.x(), y + row_height + gap
                row_height = 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + gap
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y()

    def clear(self) -> None:
        while self._items:
            item = self._items.pop()
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()


class FaceTile(QFrame):
    """One face with a caption and buttons underneath."""

    toggled = Signal(bool)

    def __init__(self, face, crops, caption: str, checkable: bool = False, parent=None) -> None:
        super().__init__(parent)
        self.face = face
        self.crops = crops
        self.setObjectName("FaceTile")
        self.setFixedWidth(REVIEW_FACE + 24)
        self.image = QToolButton()
        self.image.setIconSize(QSize(REVIEW_FACE, REVIEW_FACE))
        self.image.setFixedSize(REVIEW_FACE + 8, REVIEW_FACE + 8)
        self.image.setCheckable(checkable)
        self.image.setAutoRaise(True)
        self.image.setToolTip(f"{face.path}\nquality {face.quality:.2f}")
        self.image.toggled.connect(self.toggled)
        self.caption = QLabel(caption)
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons.setSpacing(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.image, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.caption)
        layout.addLayout(self.buttons)
        self.refresh_image()

    def refresh_image(self) -> None:
        pixmap = self.crops.pixmap(self.face)
        if pixmap is not None and not pixmap.isNull():
            self.image.setIcon(QIcon(pixmap))
        elif self.crops.failed(self.face):
            self.image.setIcon(icon("alert-triangle"))
        else:
            self.image.setIcon(icon("user"))

    def add_button(self, icon_name: str, text: str, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name))
        button.setText(text)
        button.setToolTip(tip)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        self.buttons.addWidget(button)
        return button


def page_with_scrolling_body(page: QWidget, top, body: QWidget) -> QScrollArea:
    """Lay a face page out as a fixed bar of actions over a scrolling body."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(body)
    layout = QVBoxLayout(page)
    layout.setContentsMargins(16, 14, 16, 8)
    layout.addLayout(top)
    layout.addWidget(scroll, 1)
    return scroll


class RubberBandSelect(QObject):
    """Drag a rectangle across face tiles to tick every face it touches.

    The drag may start on the gaps between tiles or on a face itself: a press
    that moves further than the platform's drag distance becomes a band, and
    the face under it is not toggled. Faces already ticked stay ticked (as in
    a photo app, a band adds to the selection)."""

    def __init__(
        self, box: QWidget, tiles: Callable[[], list], select: Callable[[Iterable[int]], None]
    ) -> None:
        super().__init__(box)
        self.box = box
        self.band = QRubberBand(QRubberBand.Shape.Rectangle, box)
        self._tiles = tiles
        self._select = select
        self._origin: QPoint | None = None
        self._pressed: QWidget | None = None
        self._dragging = False
        box.installEventFilter(self)

    def watch(self, widget: QWidget) -> None:
        """Let a drag start on this widget too (a face tile's image)."""
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._origin = watched.mapTo(self.box, event.position().toPoint())
            self._pressed, self._dragging = watched, False
            return False
        if self._origin is None:
            return False
        if kind == QEvent.Type.MouseMove and event.buttons() & Qt.MouseButton.LeftButton:
            point = watched.mapTo(self.box, event.position().toPoint())
            if not self._dragging:
                if (point - self._origin).manhattanLength() < QApplication.startDragDistance():
                    return False
                self._dragging = True
                if isinstance(self._pressed, QAbstractButton):
                    self._pressed.setDown(False)  # a band, not a click: the face is not toggled
                self.band.show()
            self.band.setGeometry(QRect(self._origin, point).normalized())
            return True
        if kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            dragged, self._origin = self._dragging, None
            if not dragged:
                return False
            self.band.hide()
            self.select_in(self.band.geometry())
            return True
        return False

    def select_in(self, rect: QRect) -> None:
        touched = [
            tile.face.id
            for tile in self._tiles()
            if tile.image.isCheckable()
            and tile.parentWidget() is self.box
            and tile.geometry().intersects(rect)
        ]
        if touched:
            self._select(touched)


class FaceSelection:
    """Face tiles the user ticked; the page's buttons follow the count."""

    selected: set[int]
    tiles: list
    _anchor: int | None = None  # the face clicked last: Shift+click selects from it
    _extending = False

    def _toggle(self, face_id: int, on: bool) -> None:
        if on:
            self.selected.add(face_id)
        else:
            self.selected.discard(face_id)
        shift = QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier
        if on and shift and self._anchor is not None and not self._extending:
            self._select_run(self._anchor, face_id)
        if not self._extending:
            self._anchor = face_id
        self._update_buttons()

    def _select_run(self, first: int, last: int) -> None:
        """Shift+click: every face between the last one clicked and this one."""
        order = [tile.face.id for tile in self.tiles if tile.image.isCheckable()]
        if first not in order or last not in order:
            return
        a, b = sorted((order.index(first), order.index(last)))
        self.select_faces(order[a : b + 1])

    def enable_rubber_band(self, box: QWidget) -> RubberBandSelect:
        """Dragging over the tiles in ``box`` ticks them; watch each new tile's image."""
        self.rubber_band = RubberBandSelect(box, lambda: self.tiles, self.select_faces)
        return self.rubber_band

    def select_faces(self, face_ids) -> None:
        """Tick these faces (Ctrl+A, Shift+click, a rubber band, "Select all similar")."""
        wanted = set(face_ids)
        self._extending = True
        try:
            for tile in self.tiles:
                if tile.image.isCheckable() and tile.face.id in wanted:
                    tile.image.setChecked(True)
        finally:
            self._extending = False
        self._update_buttons()

    def _update_buttons(self) -> None:
        raise NotImplementedError


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
