"""The photo grid as a photo app shows it: justified rows (or square tiles),
sticky date headers, a timeline scrubber, and checkmarks on hover.

The view keeps the :class:`PhotoGridModel` and the selection model of Qt's
item views, so selection, keyboard navigation and the rest of the window work
as with any list view; only the geometry is its own, from
:mod:`photoorg.gui.justified_layout` (O(visible) per repaint). The scroll
position is anchored to the photo at the top of the viewport, so resizing the
window or zooming keeps that photo in view.

Longer than most modules: painting, hit-testing and scrolling of one custom
view, which share its layout cache.
"""

from __future__ import annotations

from bisect import bisect_right
from math import ceil

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QRect,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen, QRegion, QWheelEvent
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyleOptionViewItem

from photoorg.browse import PhotoRow
from photoorg.gui.grid import DEFAULT_CELL, ID_ROLE, MAX_CELL, MIN_CELL, STACK_ROLE
from photoorg.gui.grid_tiles import CHECK_SIZE, TileDelegate, thumbnail_bucket
from photoorg.gui.images import Thumbnails
from photoorg.gui.justified_layout import (
    MONTH,
    JustifiedLayout,
    clamp_aspect,
    date_sections,
    granularity_for,
    section_title,
)
from photoorg.gui.scrubber import WIDTH as SCRUBBER_WIDTH
from photoorg.gui.scrubber import TimelineScrubber
from photoorg.gui.stacks import badge_rect
from photoorg.gui.theme import SELECTION

SPACING = 4
HEADER_HEIGHT = 44


class JustifiedGridView(QAbstractItemView):
    cell_size_changed = Signal(int)
    activated_photo = Signal(int)  # photo id: double-click or Enter
    square_changed = Signal(bool)
    stack_clicked = Signal(int)  # a stack's cover: its count was clicked (open or close it)

    # Qt calls the view's virtuals (indexAt, scrollTo...) from inside its own
    # constructor, before __init__ below has run: an exception there would
    # unwind through C++. These class-level defaults keep those calls safe.
    cell_size = DEFAULT_CELL
    square = False
    sections_enabled = True
    hovered_row = -1
    scrubber: TimelineScrubber | None = None
    _layout: JustifiedLayout | None = None
    _aspects: list[float] = []  # replaced, never mutated
    _dates: list = []
    _band: tuple[QPoint, QPoint] | None = None
    _ids: list[int] = []  # the photo ids the layout was made for (to keep the scroll anchor)
    _dirty = False

    def __init__(self, loader: Thumbnails, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("Grid")
        self.cell_size = DEFAULT_CELL
        self.square = False
        #: date headers make sense only for photos in date order (not for search results by relevance)
        self.sections_enabled = True
        self.loader = loader
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # The scrubber is the scroll bar: it shows where in time the user is.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        self.delegate = TileDelegate(loader, self)
        self.setItemDelegate(self.delegate)
        self.scrubber = TimelineScrubber(self)
        self.scrubber.jump_requested.connect(self._jump_to_fraction)
        loader.ready.connect(self._thumbnails_ready)
        self.doubleClicked.connect(self._activate)

    # -- model ------------------------------------------------------------------------------

    def setModel(self, model) -> None:
        super().setModel(model)
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset, model.layoutChanged):
            signal.connect(self._model_changed)
        model.dataChanged.connect(self._data_changed)
        self._refresh_from_model()

    def _rows(self) -> list[PhotoRow]:
        model = self.model()
        return model.rows if model is not None else []

    def _model_changed(self, *_args) -> None:
        # One diff from indexing can insert rows in many runs: lay out once, when
        # the layout is next needed (a query, a paint), not once per run.
        self._dirty = True
        self.viewport().update()

    def _data_changed(self, top_left, bottom_right, _roles=()) -> None:
        if not self._dirty:
            rows = self._rows()
            for i in range(
                max(0, top_left.row()), min(bottom_right.row() + 1, len(rows), len(self._aspects))
            ):
                row = rows[i]
                if (
                    row.date != self._dates[i]
                    or clamp_aspect(row.width, row.height, row.rotation) != self._aspects[i]
                ):
                    self._dirty = True  # a photo was turned, or its date corrected
                    break
        self.viewport().update()

    def _refresh_from_model(self) -> None:
        rows = self._rows()
        self._aspects = [clamp_aspect(r.width, r.height, r.rotation) for r in rows]
        self._dates = [r.date for r in rows]
        self._dirty = False
        self._relayout(keep_anchor=True)
        self._ids = [r.id for r in rows]

    # -- layout -----------------------------------------------------------------------------

    @property
    def granularity(self) -> str:
        return granularity_for(self.cell_size)

    def layout_width(self) -> int:
        return max(1, self.viewport().width() - SCRUBBER_WIDTH - SPACING)

    def grid_layout(self) -> JustifiedLayout:
        if self._dirty:
            self._refresh_from_model()
        elif self._layout is None:
            self._relayout(keep_anchor=False)
        return self._layout

    def _relayout(self, keep_anchor: bool) -> None:
        if self._dirty:
            self._refresh_from_model()  # lays out too
            return
        anchor = self._anchor() if keep_anchor and self._layout is not None else None
        sections = (
            date_sections(self._dates, self.granularity) if self.sections_enabled and self._dates else ()
        )
        self._layout = JustifiedLayout(
            self._aspects,
            self.layout_width(),
            self.cell_size,
            SPACING,
            sections,
            header_height=HEADER_HEIGHT,
            square=self.square,
        )
        self._update_scroll_range()
        if anchor is not None:
            self._restore_anchor(anchor)
        self.viewport().update()
        if self.scrubber is not None:
            self.scrubber.set_marks(self._year_marks())

    def _anchor(self) -> tuple[int, float] | None:
        """The photo at the top of the viewport (by id: rows may have been
        inserted above it) and how far down it the top is."""
        layout = self._layout
        top = self.verticalScrollBar().value()
        if layout is None or not layout.count or top <= 0:
            return None
        row = layout.rows_between(top, top + 1)
        if not row:
            return None
        first = layout.row_start[row[0]]
        if first >= len(self._ids):
            return None
        _, y, _, h = layout.rect(first)
        return self._ids[first], (top - y) / max(1.0, h)

    def _restore_anchor(self, anchor: tuple[int, float]) -> None:
        photo_id, fraction = anchor
        index = self.model().row_for_id(photo_id) if self.model() is not None else None
        if index is None or index >= self._layout.count:
            return
        _, y, _, h = self._layout.rect(index)
        self.verticalScrollBar().setValue(int(y + fraction * h))

    def _year_marks(self) -> list[tuple[float, str]]:
        """Where each year starts, as a fraction of the scroll range (the scrubber's labels)."""
        layout = self._layout
        if layout is None or not layout.count or not self.sections_enabled:
            return []
        marks, year = [], None
        span = max(1.0, layout.height - self.viewport().height())
        for section in layout.sections:
            moment = self._dates[section.start]
            if moment.year != year:
                year = moment.year
                marks.append((min(1.0, section.y / span), str(year)))
        return marks

    def label_at_fraction(self, fraction: float) -> str:
        """ "May 2019": the month of the photos at this point of the scroll range."""
        layout = self.grid_layout()
        if not layout.count:
            return ""
        span = max(0.0, layout.height - self.viewport().height())
        y = fraction * span
        # The row at y, or the first of the section whose header is at y.
        first_of_section = (
            layout.row_of(layout.sections[layout.section_at(y)].start) if layout.sections else 0
        )
        row = max(first_of_section, bisect_right(layout.row_y, y) - 1)
        moment = self._dates[layout.row_start[min(row, len(layout.row_start) - 1)]]
        return section_title(moment, MONTH)

    def _jump_to_fraction(self, fraction: float) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(int(fraction * bar.maximum()))

    def _update_scroll_range(self) -> None:
        layout = self._layout
        height = ceil(layout.height) if layout is not None else 0
        bar = self.verticalScrollBar()
        bar.setRange(0, max(0, height - self.viewport().height()))
        bar.setPageStep(self.viewport().height())
        bar.setSingleStep(48)
        if self.scrubber is None:
            return
        self.scrubber.setGeometry(
            self.viewport().x() + self.viewport().width() - self.scrubber.width(),
            self.viewport().y(),
            self.scrubber.width(),
            self.viewport().height(),
        )

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._layout is None or abs(self._layout.width - self.layout_width()) >= 1:
            self._relayout(keep_anchor=True)
        else:
            self._update_scroll_range()

    def set_cell_size(self, size: int) -> None:
        size = max(MIN_CELL, min(MAX_CELL, int(size)))
        if size == self.cell_size:
            return
        bucket = thumbnail_bucket(self.cell_size)
        self.cell_size = size
        if thumbnail_bucket(size) != bucket:
            self.loader.clear()
        self._relayout(keep_anchor=True)
        self.cell_size_changed.emit(size)

    def set_square(self, square: bool) -> None:
        if square != self.square:
            self.square = square
            self._relayout(keep_anchor=True)
            self.square_changed.emit(square)

    def set_sections_enabled(self, enabled: bool) -> None:
        if enabled != self.sections_enabled:
            self.sections_enabled = enabled
            self._relayout(keep_anchor=False)

    # -- QAbstractItemView geometry ------------------------------------------------------------

    def _to_view(self, rect: tuple[float, float, float, float]) -> QRect:
        x, y, w, h = rect
        top = self.verticalScrollBar().value()
        return QRectF(x, y - top, w, h).toAlignedRect().adjusted(0, 0, -1, -1)

    def visualRect(self, index: QModelIndex) -> QRect:
        if not index.isValid() or index.row() >= self.grid_layout().count:
            return QRect()
        return self._to_view(self.grid_layout().rect(index.row()))

    def indexAt(self, point: QPoint) -> QModelIndex:
        found = self.grid_layout().index_at(point.x(), point.y() + self.verticalScrollBar().value())
        return self.model().index(found, 0) if found is not None and self.model() else QModelIndex()

    def scrollTo(self, index: QModelIndex, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        if not index.isValid():
            return
        _, y, _, h = self.grid_layout().rect(index.row())
        bar = self.verticalScrollBar()
        top, height = bar.value(), self.viewport().height()
        sticky = HEADER_HEIGHT if self.sections_enabled else 0
        if hint == QAbstractItemView.ScrollHint.PositionAtTop or y - sticky < top:
            bar.setValue(int(y - sticky))
        elif hint == QAbstractItemView.ScrollHint.PositionAtCenter:
            bar.setValue(int(y + h / 2 - height / 2))
        elif y + h > top + height:
            bar.setValue(int(y + h - height + SPACING))

    def horizontalOffset(self) -> int:
        return 0

    def verticalOffset(self) -> int:
        return self.verticalScrollBar().value()

    def isIndexHidden(self, index) -> bool:
        return False

    def moveCursor(self, action, modifiers) -> QModelIndex:
        layout = self.grid_layout()
        current = self.currentIndex()
        count = layout.count
        if not count:
            return QModelIndex()
        row = current.row() if current.isValid() else 0
        Action = QAbstractItemView.CursorAction
        if action in (Action.MoveRight, Action.MoveNext):
            row += 1
        elif action in (Action.MoveLeft, Action.MovePrevious):
            row -= 1
        elif action in (Action.MoveDown, Action.MoveUp):
            line = layout.row_of(row) + (1 if action == Action.MoveDown else -1)
            if 0 <= line < len(layout.row_start):
                x, _, w, _ = layout.rect(row)
                row = layout.nearest_in_row(line, x + w / 2)
        elif action in (Action.MovePageDown, Action.MovePageUp):
            x, y, w, _h = layout.rect(row)
            step = self.viewport().height() * (1 if action == Action.MovePageDown else -1)
            target = layout.rows_between(y + step, y + step + 1)
            if target:
                row = layout.nearest_in_row(target[0], x + w / 2)
            else:
                row = count - 1 if step > 0 else 0
        elif action == Action.MoveHome:
            row = 0
        elif action == Action.MoveEnd:
            row = count - 1
        return self.model().index(max(0, min(count - 1, row)), 0)

    def setSelection(self, rect: QRect, command) -> None:
        layout = self.grid_layout()
        top = self.verticalScrollBar().value()
        area = QRectF(rect.normalized()).translated(0, top)
        selection = QItemSelection()
        model = self.model()
        run: list[int] = []
        for index in layout.visible(area.top(), area.bottom()):
            x, y, w, h = layout.rect(index)
            if QRectF(x, y, w, h).intersects(area) or (
                area.width() == 0 and QRectF(x, y, w, h).contains(area.topLeft())
            ):
                if run and run[-1] == index - 1:
                    run.append(index)
                else:
                    if run:
                        selection.select(model.index(run[0], 0), model.index(run[-1], 0))
                    run = [index]
        if run:
            selection.select(model.index(run[0], 0), model.index(run[-1], 0))
        self.selectionModel().select(selection, command)

    def visualRegionForSelection(self, selection) -> QRegion:
        return QRegion(self.viewport().rect())

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        # Not a pixel scroll: the sticky header and the scrubber are drawn on top.
        self.viewport().update()
        if self.scrubber is not None:
            self.scrubber.update()

    # -- painting -----------------------------------------------------------------------------

    @property
    def selecting(self) -> bool:
        """With a selection going, every tile shows its check, as in a photo app."""
        model = self.selectionModel()
        return model is not None and model.hasSelection()

    def check_rect(self, tile: QRect) -> QRect:
        return QRect(tile.x() + 8, tile.y() + 8, CHECK_SIZE, CHECK_SIZE)

    def paintEvent(self, event) -> None:
        layout = self.grid_layout()
        painter = QPainter(self.viewport())
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.Base))
        top = self.verticalScrollBar().value()
        bottom = top + self.viewport().height()
        model, selection = self.model(), self.selectionModel()
        current = self.currentIndex()
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        for row in layout.visible(top, bottom):
            index = model.index(row, 0)
            option.rect = self._to_view(layout.rect(row))
            option.state = QStyle.StateFlag.State_Enabled
            if selection.isSelected(index):
                option.state |= QStyle.StateFlag.State_Selected
            if index == current and self.hasFocus():
                option.state |= QStyle.StateFlag.State_HasFocus
            self.delegate.paint(painter, option, index)
        if layout.sections and self.sections_enabled:
            self._paint_headers(painter, layout, top, bottom)
        if self._band is not None:
            band = QRect(self._band[0] - QPoint(0, top), self._band[1] - QPoint(0, top)).normalized()
            fill = QColor(SELECTION)
            fill.setAlpha(50)
            painter.setPen(QPen(SELECTION, 1))
            painter.setBrush(fill)
            painter.drawRect(band)
        painter.end()

    def _paint_headers(self, painter: QPainter, layout: JustifiedLayout, top: float, bottom: float) -> None:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        font = QFont(self.font())
        font.setPixelSize(15)
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        width = self.layout_width()
        first = layout.section_at(top)
        # Headers in view, then the pinned one: the section the top of the view is in,
        # pushed up by the next section's header as it arrives.
        for number in range(first, len(layout.sections)):
            section = layout.sections[number]
            if section.y > bottom:
                break
            self._paint_header(
                painter, QRectF(0, section.y - top, width, HEADER_HEIGHT), section.title, base, text
            )
        pinned = layout.sections[first]
        y = 0.0
        if first + 1 < len(layout.sections):
            y = min(0.0, layout.sections[first + 1].y - top - HEADER_HEIGHT)
        if pinned.y < top:
            self._paint_header(painter, QRectF(0, y, width, HEADER_HEIGHT), pinned.title, base, text)

    @staticmethod
    def _paint_header(painter: QPainter, rect: QRectF, title: str, background: QColor, text: QColor) -> None:
        painter.fillRect(rect, background)
        painter.setPen(text)
        painter.drawText(
            rect.adjusted(4, 0, 0, -4), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, title
        )

    def header_titles(self) -> list[str]:
        """The section titles in view, top first (the pinned one included)."""
        layout = self.grid_layout()
        if not layout.sections or not self.sections_enabled:
            return []
        top = self.verticalScrollBar().value()
        bottom = top + self.viewport().height()
        first = layout.section_at(top)
        return [s.title for s in layout.sections[first:] if s.y <= bottom]

    # -- input ----------------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        index = self.indexAt(event.position().toPoint())
        if (
            index.isValid()
            and event.button() == Qt.MouseButton.LeftButton
            and index.data(STACK_ROLE) is not None
            and badge_rect(self.visualRect(index)).contains(event.position().toPoint())
        ):
            self.stack_clicked.emit(index.data(ID_ROLE))
            event.accept()
            return
        if (
            index.isValid()
            and event.button() == Qt.MouseButton.LeftButton
            and self.check_rect(self.visualRect(index)).contains(event.position().toPoint())
        ):
            # The check toggles this photo, keeping the rest of the selection.
            self.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.Toggle)
            self.viewport().update()
            event.accept()
            return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and not index.isValid():
            start = event.position().toPoint() + QPoint(0, self.verticalScrollBar().value())
            self._band = (start, start)

    def mouseMoveEvent(self, event) -> None:
        point = event.position().toPoint()
        index = self.indexAt(point)
        row = index.row() if index.isValid() else -1
        if row != self.hovered_row:
            model = self.model()
            for old_or_new in (self.hovered_row, row):  # repaint the two tiles, not the view
                if old_or_new >= 0 and model is not None:
                    self.viewport().update(self.visualRect(model.index(old_or_new, 0)).adjusted(-2, -2, 2, 2))
            self.hovered_row = row
        if self._band is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._band = (self._band[0], point + QPoint(0, self.verticalScrollBar().value()))
            self.viewport().update()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._band is not None:
            self._band = None
            self.viewport().update()
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:
        self.hovered_row = -1
        self.viewport().update()
        super().leaveEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            step = 16 if event.angleDelta().y() > 0 else -16
            self.set_cell_size(self.cell_size + step)
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._activate(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _thumbnails_ready(self, _keys: list) -> None:
        self.viewport().update()

    def _activate(self, index) -> None:
        photo_id = index.data(ID_ROLE)
        if photo_id is not None:
            self.activated_photo.emit(photo_id)

    def selected_ids(self) -> list[int]:
        rows = sorted(index.row() for index in self.selectionModel().selectedIndexes())
        model = self.model()
        return [model.index(r, 0).data(ID_ROLE) for r in rows]
