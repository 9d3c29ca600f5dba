"""The full-size viewer: fit or 100%, wheel and pinch zoom, pan, previous/next
with neighbours preloaded, full screen, Esc back to the grid.

Images are decoded off the GUI thread by the core (EXIF orientation applied),
at screen size first and at full resolution when the user zooms past it.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QGestureEvent, QMenu, QPinchGesture, QWidget

from photoorg.browse import PhotoRow
from photoorg.gui.live_text import TextSelection, box_text, copy_to_clipboard
from photoorg.gui.workers import WorkerPool
from photoorg.scan.imageio import load_upright

CACHE_IMAGES = 5


log = logging.getLogger(__name__)


def _log_overlay_failure(message: str) -> None:
    log.warning("viewer overlays: %s", message)


def _decode(path: str, min_side: int) -> QImage:
    image = load_upright(path, min_side)
    qimage = QImage(image.tobytes(), image.width, image.height, image.width * 3, QImage.Format.Format_RGB888)
    return qimage.copy()  # own the pixels: the bytes object goes away


class ImageCanvas(QWidget):
    """Paints one image with a zoom and an offset; the user drags to pan."""

    zoom_changed = Signal(float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.grabGesture(Qt.GestureType.PinchGesture)
        self.pixmap: QPixmap | None = None
        self.source_size = None  # full-resolution size of the photo, for "100%"
        self.fit = True
        self.scale = 1.0
        self.offset = QPointF(0, 0)
        self._drag_from: QPointF | None = None
        self.message = ""
        # Boxes drawn over the photo (faces, lines of text): (x, y, w, h, label)
        # in the photo's displayed full-size pixels, plus the line's text for
        # a line of text, which can then be selected and copied (live_text.py).
        self._overlays: list[tuple] = []
        self.text_selection = TextSelection()
        self.show_overlays = True
        #: degrees clockwise the user turned the photo (stored in the library, the file is untouched)
        self.rotation = 0

    def set_image(self, image: QImage | None, source_size=None, keep_view: bool = False) -> None:
        old_pixmap = self.pixmap
        self.pixmap = QPixmap.fromImage(image) if image is not None and not image.isNull() else None
        if keep_view and old_pixmap is not None and self.pixmap is not None and not self.fit:
            # A sharper version of the same photo arrived: keep what the user sees.
            self.scale *= old_pixmap.width() / self.pixmap.width()
        else:
            self.fit = True
        self.source_size = source_size
        self.message = ""
        self.update()

    def show_message(self, text: str) -> None:
        self.pixmap = None
        self.message = text
        self.update()

    @property
    def overlays(self) -> list[tuple]:
        return self._overlays

    @overlays.setter
    def overlays(self, boxes: list[tuple]) -> None:
        self._overlays = list(boxes)
        self.text_selection.clear()

    # -- geometry ---------------------------------------------------------------------------

    def shown_size(self) -> tuple[int, int]:
        """The pixmap's size as shown: a quarter turn swaps its sides."""
        w, h = self.pixmap.width(), self.pixmap.height()
        return (h, w) if self.rotation % 180 == 90 else (w, h)

    def fit_scale(self) -> float:
        if self.pixmap is None or self.pixmap.width() == 0:
            return 1.0
        w, h = self.shown_size()
        return min(self.width() / w, self.height() / h, 1.0)

    def effective_scale(self) -> float:
        return self.fit_scale() if self.fit else self.scale

    def zoom_percent(self) -> float:
        """Zoom relative to the photo's full resolution."""
        if self.pixmap is None:
            return 100.0
        full_width = self.source_size[0] if self.source_size else self.pixmap.width()
        return 100.0 * self.effective_scale() * self.pixmap.width() / max(1, full_width)

    def set_fit(self) -> None:
        self.fit = True
        self.offset = QPointF(0, 0)
        self.update()
        self.zoom_changed.emit(self.zoom_percent())

    def set_actual_size(self) -> None:
        if self.pixmap is None:
            return
        full_width = self.source_size[0] if self.source_size else self.pixmap.width()
        self.fit = False
        self.scale = full_width / self.pixmap.width()
        self.offset = QPointF(0, 0)
        self.update()
        self.zoom_changed.emit(self.zoom_percent())

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        if self.pixmap is None:
            return
        old = self.effective_scale()
        new = max(0.02, min(old * factor, 32.0))
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        # Keep the point under the cursor where it is.
        centre = QPointF(self.width() / 2, self.height() / 2) + self.offset
        self.offset += (anchor - centre) * (1 - new / old)
        self.fit = False
        self.scale = new
        self.update()
        self.zoom_changed.emit(self.zoom_percent())

    # -- events ---------------------------------------------------------------------------------

    def _placement(self) -> tuple[QRectF, QTransform]:
        """Where the unturned photo is drawn (around the origin) and the turn
        that puts it on the widget."""
        scale = self.effective_scale()
        w, h = self.pixmap.width() * scale, self.pixmap.height() * scale
        offset = QPointF(0, 0) if self.fit else self.offset
        centre = QPointF(self.width() / 2 + offset.x(), self.height() / 2 + offset.y())
        turn = QTransform().translate(centre.x(), centre.y()).rotate(self.rotation)
        return QRectF(-w / 2, -h / 2, w, h), turn

    def overlay_rects(self) -> list[QRectF]:
        """Each overlay box's rectangle on the widget (it turns with the photo)."""
        if self.pixmap is None:
            return []
        target, turn = self._placement()
        full_width = self.source_size[0] if self.source_size and self.source_size[0] else self.pixmap.width()
        ratio = target.width() / max(1, full_width)
        return [
            turn.mapRect(QRectF(target.x() + x * ratio, target.y() + y * ratio, w * ratio, h * ratio))
            for x, y, w, h, *_ in self._overlays
        ]

    def _text_rects(self) -> list[tuple[int, QRectF]]:
        if not self.show_overlays:
            return []
        return [(i, rect) for i, rect in enumerate(self.overlay_rects()) if box_text(self._overlays[i])]

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#111111"))
        if self.pixmap is None:
            painter.setPen(QColor("#bbbbbb"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message or "Loading…")
            return
        # Drawn unturned around the centre, then the painter turns it (and the boxes with it).
        target, turn = self._placement()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.effective_scale() < 2.0)
        painter.setTransform(turn)
        painter.drawPixmap(target, self.pixmap, QRectF(self.pixmap.rect()))
        painter.resetTransform()
        if self._overlays and self.show_overlays:
            self._paint_overlays(painter)

    def _paint_overlays(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = self.text_selection.selected
        for index, (box, overlay) in enumerate(zip(self.overlay_rects(), self._overlays, strict=True)):
            label = overlay[4]
            # The box turns with the photo; its label stays upright. A selected
            # line of text is filled, as selected text is in a document.
            painter.setPen(QPen(QColor("#facc15"), 2))
            painter.setBrush(QColor(59, 130, 246, 110) if index in selected else Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(box, 4, 4)
            if label:
                metrics = painter.fontMetrics()
                text_rect = QRectF(
                    box.x(), box.bottom() + 3, metrics.horizontalAdvance(label) + 12, metrics.height() + 4
                )
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(0, 0, 0, 170))
                painter.drawRoundedRect(text_rect, 4, 4)
                painter.setPen(QColor("#ffffff"))
                painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, label)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.15**steps, event.position())
        event.accept()

    def _gesture_event(self, event) -> bool:
        if event.type() == QEvent.Type.Gesture:
            pinch = event.gesture(Qt.GestureType.PinchGesture) if isinstance(event, QGestureEvent) else None
            if isinstance(pinch, QPinchGesture):
                self.zoom_by(pinch.scaleFactor(), pinch.centerPoint())
                return True
        if (
            event.type() == QEvent.Type.NativeGesture
            and event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture
        ):
            self.zoom_by(1.0 + event.value(), event.position())
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            extend = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            had_selection = bool(self.text_selection.selected)
            if self.text_selection.press(event.position(), self._text_rects(), extend):
                self.update()
                event.accept()
                return
            if had_selection:
                self.update()
            if not self.fit:
                self._drag_from = event.position()
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.text_selection.dragging:
            self.text_selection.drag(event.position(), self._text_rects())
            self.update()
        elif self._drag_from is not None:
            self.offset += event.position() - self._drag_from
            self._drag_from = event.position()
            self.update()
        elif TextSelection.hit(event.position(), self._text_rects()) is not None:
            self.setCursor(Qt.CursorShape.IBeamCursor)
        else:
            self.unsetCursor()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag_from = None
        self.text_selection.release()
        self.unsetCursor()
        super().mouseReleaseEvent(event)

    # -- copying the text in the photo ------------------------------------------------------

    def copy_selected_text(self) -> bool:
        return copy_to_clipboard(self.text_selection.text(self._overlays))

    def event(self, event) -> bool:
        # Ctrl+C copies the selected lines, not the window's "Copy path".
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and event.matches(QKeySequence.StandardKey.Copy)
            and self.text_selection.selected
        ):
            event.accept()
            return True
        return self._gesture_event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy) and self.copy_selected_text():
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and self.text_selection.selected:
            self.text_selection.clear()
            self.update()
            event.accept()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        everything = self.text_selection.text(self._overlays, everything=True)
        if not everything or not self.show_overlays:
            super().contextMenuEvent(event)
            return
        menu = QMenu(self)
        selected = self.text_selection.text(self._overlays)
        copy = menu.addAction("Copy text", self.copy_selected_text)
        copy.setEnabled(bool(selected))
        menu.addAction("Copy all text in the photo", lambda: copy_to_clipboard(everything))
        menu.exec(event.globalPos())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if TextSelection.hit(event.position(), self._text_rects()) is not None:
            return  # on a line of text a double click selects it (the press did), not zoom
        if self.fit:
            self.set_actual_size()
        else:
            self.set_fit()


class Viewer(QWidget):
    """Shows one photo of a list; the list is the grid's current rows."""

    closed = Signal()
    current_changed = Signal(int)  # photo id
    fullscreen_toggled = Signal()
    #: "name · 3 of 20 · 100%": shown by the on-screen controls, which fade
    info_changed = Signal(str)

    def __init__(self, tasks: WorkerPool, parent=None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.canvas = ImageCanvas(self)
        self.info_text = ""
        self.canvas.zoom_changed.connect(lambda _: self._update_caption())
        self.rows: list[PhotoRow] = []
        self.position = 0
        self._images: OrderedDict[tuple[str, int], QImage] = OrderedDict()
        self._pending: set[tuple[str, int]] = set()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        #: features draw boxes over the photo: function(PhotoRow) -> [(x, y, w, h, label)],
        #: called off the GUI thread
        self.overlay_providers: list = []
        #: the grid's thumbnail of a photo when it is in memory (PhotoRow -> QPixmap | None): shown,
        #: sharpened a moment later, while a photo not decoded in advance loads, instead of a blank frame
        self.thumbnail_for = None

    def resizeEvent(self, event) -> None:
        self.canvas.setGeometry(self.rect())
        self._update_caption()
        super().resizeEvent(event)

    def screen_side(self) -> int:
        screen = self.screen()
        size = screen.size() if screen is not None else self.size()
        return max(size.width(), size.height(), 800)

    def open(self, rows: list[PhotoRow], position: int) -> None:
        self.rows = rows
        self.show_position(position)
        self.canvas.setFocus()

    @property
    def current(self) -> PhotoRow | None:
        return self.rows[self.position] if 0 <= self.position < len(self.rows) else None

    def show_position(self, position: int) -> None:
        if not self.rows:
            return
        self.position = max(0, min(position, len(self.rows) - 1))
        row = self.rows[self.position]
        key = (row.path, self.screen_side())
        image = self._images.get(key)
        self.canvas.rotation = row.rotation
        if image is not None:
            self.canvas.set_image(image, (row.width, row.height))
        else:
            thumbnail = self.thumbnail_for(row) if self.thumbnail_for is not None else None
            if thumbnail is not None and not thumbnail.isNull():
                self.canvas.set_image(thumbnail.toImage(), (row.width, row.height))
            else:
                self.canvas.show_message("Loading…")
            self._load(row, self.screen_side(), show=True)
        self._update_caption()
        self._load_overlays(row)
        self.current_changed.emit(row.id)
        # Neighbours decode while the user looks at this one.
        for neighbour in (self.position + 1, self.position - 1):
            if 0 <= neighbour < len(self.rows):
                self._load(self.rows[neighbour], self.screen_side(), show=False)

    def _load_overlays(self, row: PhotoRow) -> None:
        self.canvas.overlays = []
        if not self.overlay_providers:
            return
        providers = list(self.overlay_providers)

        def collect():
            return [box for provider in providers for box in provider(row)]

        def done(boxes) -> None:
            if self.current is not None and self.current.id == row.id:
                self.canvas.overlays = boxes
                self.canvas.update()

        # Boxes are extras: a failure is logged, the photo shows without them.
        self.tasks.submit(
            collect, done, lambda message: log.warning("overlays: %s", message), key="viewer-overlays"
        )

    def _load(self, row: PhotoRow, side: int, show: bool, keep_view: bool = False) -> None:
        key = (row.path, side)
        if key in self._pending:
            return
        self._pending.add(key)

        def done(image: QImage) -> None:
            self._pending.discard(key)
            self._images[key] = image
            while len(self._images) > CACHE_IMAGES:
                self._images.popitem(last=False)
            current = self.current
            if (
                current is not None
                and current.path == row.path
                and (show or keep_view or self.canvas.pixmap is None)
            ):
                self.canvas.set_image(image, (row.width, row.height), keep_view=keep_view)
                self._update_caption()

        def failed(message: str) -> None:
            self._pending.discard(key)
            current = self.current
            if current is not None and current.path == row.path:
                self.canvas.show_message(f"Can't show this photo: {message}")

        self.tasks.submit(lambda: _decode(row.path, side), done, failed)

    def _update_caption(self) -> None:
        row = self.current
        self.info_text = (
            ""
            if row is None
            else f"{row.name}  ·  {self.position + 1:,} of {len(self.rows):,}"
            f"  ·  {self.canvas.zoom_percent():.0f}%"
        )
        self.info_changed.emit(self.info_text)

    def set_rows(self, rows: list[PhotoRow]) -> None:
        """The grid's rows changed (a rating, a rotation): keep showing the same photo."""
        current = self.current
        self.rows = rows
        if current is None:
            return
        for position, row in enumerate(rows):
            if row.id == current.id:
                self.position = position
                if row.rotation != self.canvas.rotation:
                    self.canvas.rotation = row.rotation
                    self.canvas.set_fit()
                break
        self._update_caption()

    def actual_size(self) -> None:
        row = self.current
        if row is None:
            return
        self.canvas.set_actual_size()
        full_side = max(row.width or 0, row.height or 0)
        if full_side > self.screen_side():
            self._load(row, full_side, show=False, keep_view=True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, modifiers = event.key(), event.modifiers()
        if key == Qt.Key.Key_Escape:
            self.closed.emit()
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Space, Qt.Key.Key_PageDown):
            self.show_position(self.position + 1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Backspace, Qt.Key.Key_PageUp):
            self.show_position(self.position - 1)
        elif key == Qt.Key.Key_Home:
            self.show_position(0)
        elif key == Qt.Key.Key_End:
            self.show_position(len(self.rows) - 1)
        elif key == Qt.Key.Key_F11:
            self.fullscreen_toggled.emit()
        elif modifiers & Qt.KeyboardModifier.ControlModifier and key == Qt.Key.Key_0:
            self.canvas.set_fit()
        elif modifiers & Qt.KeyboardModifier.ControlModifier and key == Qt.Key.Key_1:
            self.actual_size()
        elif key == Qt.Key.Key_B and not modifiers:
            self.canvas.show_overlays = not self.canvas.show_overlays
            self.canvas.update()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.canvas.zoom_by(1.25)
        elif key == Qt.Key.Key_Minus:
            self.canvas.zoom_by(0.8)
        else:
            super().keyPressEvent(event)
