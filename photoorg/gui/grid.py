"""The thumbnail grid: a list model over plain rows, a painting delegate, and
the view with zoom.

The model holds the rows in memory (100,000 rows is a few MB) and is updated by
diff: when indexing adds photos, only the new rows are inserted, so the
selection and scroll position stay where the user left them.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen, QWheelEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from photoorg.browse import PhotoRow
from photoorg.gui.images import Thumbnails
from photoorg.gui.theme import ACCENT, icon

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
SCORE_ROLE = Qt.ItemDataRole.UserRole + 3
#: a stack's cover: (members, expanded) (see photoorg.gui.stacks); None for other photos
STACK_ROLE = Qt.ItemDataRole.UserRole + 4

MIN_CELL, MAX_CELL, DEFAULT_CELL = 96, 320, 176


class PhotoGridModel(QAbstractListModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[PhotoRow] = []
        self._scores: dict[int, float] = {}
        self._row_of: dict[int, int] = {}
        self._stacks: dict[int, tuple[int, bool]] = {}

    # -- Qt model API ---------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        if role == ID_ROLE:
            return row.id
        if role == SCORE_ROLE:
            return self._scores.get(row.id)
        if role == STACK_ROLE:
            return self._stacks.get(row.id)
        if role == Qt.ItemDataRole.DisplayRole:
            return row.name
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{row.path}\n{row.date:%Y-%m-%d %H:%M}"
            score = self._scores.get(row.id)
            return tip + (f"\nrelevance {score:.3f}" if score is not None else "")
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    # -- content ----------------------------------------------------------------------------

    @property
    def rows(self) -> list[PhotoRow]:
        return self._rows

    @property
    def scores(self) -> dict[int, float]:
        return self._scores

    def row_for_id(self, photo_id: int) -> int | None:
        return self._row_of.get(photo_id)

    def ids(self) -> list[int]:
        return [row.id for row in self._rows]

    def set_rows(self, rows: Sequence[PhotoRow], scores: dict[int, float] | None = None) -> None:
        """Show these rows, changing as little as possible.

        When the surviving rows keep their relative order (the usual case:
        indexing added or removed photos), rows are removed and inserted in
        runs, which keeps selection and scroll. Anything else resets.
        """
        rows = list(rows)
        scores = scores or {}
        if rows == self._rows:  # the usual refresh during indexing: compared in C
            if scores != self._scores:
                self._scores = scores
                if rows:
                    self.dataChanged.emit(self.index(0), self.index(len(rows) - 1))
            return
        old_ids = [row.id for row in self._rows]
        new_ids = [row.id for row in rows]
        if old_ids == new_ids:
            self._replace_in_place(rows, scores)
            return
        new_set, old_set = set(new_ids), set(old_ids)
        surviving_old = [i for i in old_ids if i in new_set]
        surviving_new = [i for i in new_ids if i in old_set]
        if surviving_old != surviving_new or len(new_ids) != len(new_set):
            self.beginResetModel()
            self._rows, self._scores = rows, scores
            self._index()
            self.endResetModel()
            return
        self._rows = list(self._rows)  # others (the viewer) may hold the old list
        # Removals, from the end so earlier row numbers stay valid.
        for start, end in reversed(_runs([r for r, i in enumerate(old_ids) if i not in new_set])):
            self.beginRemoveRows(QModelIndex(), start, end)
            del self._rows[start : end + 1]
            self.endRemoveRows()
        # Insertions, in order: each run lands at its final position.
        by_id = {row.id: row for row in rows}
        for start, end in _runs([r for r, i in enumerate(new_ids) if i not in old_set]):
            self.beginInsertRows(QModelIndex(), start, end)
            self._rows[start:start] = [by_id[i] for i in new_ids[start : end + 1]]
            self.endInsertRows()
        # Surviving rows may have changed too (a rating): take the new ones.
        self._rows, self._scores = rows, scores
        self._index()
        if rows:
            self.dataChanged.emit(self.index(0), self.index(len(rows) - 1))

    def _replace_in_place(self, rows: list[PhotoRow], scores: dict[int, float]) -> None:
        """Same photos in the same order; some of their details changed."""
        changed = [i for i, (old, new) in enumerate(zip(self._rows, rows)) if old != new]
        self._rows, self._scores = rows, scores
        if changed:
            self.dataChanged.emit(self.index(min(changed)), self.index(max(changed)))

    def _index(self) -> None:
        self._row_of = {row.id: i for i, row in enumerate(self._rows)}

    def photo_count(self) -> int:
        """The photos shown, those inside closed stacks included (a heading's count)."""
        return len(self._rows) + sum(count - 1 for count, open_ in self._stacks.values() if not open_)

    def set_stacks(self, stacks: dict[int, tuple[int, bool]]) -> None:
        """The stack covers among the rows, and their (members, expanded)."""
        changed = {i for i in set(stacks) ^ set(self._stacks)} | {
            i for i in stacks if self._stacks.get(i) != stacks[i]
        }
        self._stacks = dict(stacks)
        for photo_id in changed:
            row = self._row_of.get(photo_id)
            if row is not None:
                self.dataChanged.emit(self.index(row), self.index(row))

    def rows_with_hashes(self, hashes: set[str]) -> list[int]:
        return [i for i, row in enumerate(self._rows) if row.content_hash in hashes]


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for position in positions:
        if runs and runs[-1][1] == position - 1:
            runs[-1] = (runs[-1][0], position)
        else:
            runs.append((position, position))
    return runs


class PhotoDelegate(QStyledItemDelegate):
    """Paints a thumbnail centred in its cell, with the favourite heart and stars."""

    def __init__(self, loader: Thumbnails, view: PhotoGridView) -> None:
        super().__init__(view)
        self.loader = loader
        self.view = view

    def sizeHint(self, option, index) -> QSize:
        return self.view.gridSize()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        row: PhotoRow | None = index.data(ROW_ROLE)
        if row is None:
            return
        painter.save()
        rect = option.rect.adjusted(4, 4, -4, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        size = self.view.cell_size - 8
        pixmap = self.loader.pixmap(row.content_hash, row.path, size)
        if pixmap is not None and not pixmap.isNull():
            ratio = pixmap.devicePixelRatio() or 1.0
            w, h = int(pixmap.width() / ratio), int(pixmap.height() / ratio)
            target = QRect(rect.x() + (rect.width() - w) // 2, rect.y() + (rect.height() - h) // 2, w, h)
            painter.drawPixmap(target, pixmap)  # corners are rounded in the pixmap
            frame = target
        else:
            placeholder = QColor(palette.color(QPalette.ColorRole.Text))
            placeholder.setAlpha(18)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(placeholder)
            frame = rect.adjusted(6, 6, -6, -6)
            painter.drawRoundedRect(frame, 6, 6)
            if self.loader.failed(row.content_hash, size):
                icon("alert-triangle").paint(
                    painter,
                    frame.adjusted(
                        frame.width() // 3, frame.height() // 3, -frame.width() // 3, -frame.height() // 3
                    ),
                )
        if selected or row.favorite or row.rating:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected:
            pen = QPen(ACCENT, 3)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(frame.adjusted(-2, -2, 2, 2), 8, 8)
        if option.state & QStyle.StateFlag.State_HasFocus and not selected:
            painter.setPen(QPen(ACCENT, 1, Qt.PenStyle.DashLine))
            painter.drawRoundedRect(frame.adjusted(-2, -2, 2, 2), 8, 8)
        self._badges(painter, frame, row)
        painter.restore()

    def _badges(self, painter: QPainter, frame: QRect, row: PhotoRow) -> None:
        if row.favorite:
            icon("heart-filled", "#ef4444").paint(painter, QRect(frame.right() - 24, frame.top() + 6, 18, 18))
        if row.rating:
            stars = "★" * row.rating
            font = QFont(painter.font())
            font.setPixelSize(12)
            painter.setFont(font)
            metrics = painter.fontMetrics()
            width = metrics.horizontalAdvance(stars) + 10
            badge = QRect(frame.left() + 6, frame.bottom() - 22, width, 18)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 140))
            painter.drawRoundedRect(badge, 9, 9)
            painter.setPen(QColor("#fbbf24"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, stars)


class PhotoGridView(QListView):
    cell_size_changed = Signal(int)
    activated_photo = Signal(int)  # photo id: double-click or Enter

    def __init__(self, loader: Thumbnails, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("Grid")
        self.cell_size = DEFAULT_CELL
        # List mode laid out left to right with wrapping is a grid too, but Qt
        # lays it out in segments: IconMode keeps a rectangle per item, which
        # takes a second to build for 100,000 photos.
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionRectVisible(True)  # rubber band
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)
        self.setSpacing(0)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setMouseTracking(False)
        self.setGridSize(QSize(self.cell_size + 4, self.cell_size + 4))
        self.delegate = PhotoDelegate(loader, self)
        self.setItemDelegate(self.delegate)
        self.loader = loader
        loader.ready.connect(self._thumbnails_ready)
        self.doubleClicked.connect(self._activate)

    def set_cell_size(self, size: int) -> None:
        size = max(MIN_CELL, min(MAX_CELL, int(size)))
        if size == self.cell_size:
            return
        self.cell_size = size
        self.loader.clear()
        self._fit_columns()
        self.viewport().update()
        self.cell_size_changed.emit(size)

    def _fit_columns(self) -> None:
        """Spread the columns over the whole width, so no ragged gap is left at
        the right edge; thumbnails stay at the chosen size."""
        width = max(1, self.viewport().width() - 1)
        columns = max(1, width // (self.cell_size + 4))
        size = QSize(width // columns, self.cell_size + 4)
        if size != self.gridSize():
            self.setGridSize(size)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_columns()

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

    def _activate(self, index) -> None:
        photo_id = index.data(ID_ROLE)
        if photo_id is not None:
            self.activated_photo.emit(photo_id)

    def _thumbnails_ready(self, keys: list) -> None:
        self.viewport().update()

    def selected_ids(self) -> list[int]:
        rows = sorted(index.row() for index in self.selectionModel().selectedIndexes())
        model = self.model()
        return [model.index(r, 0).data(ID_ROLE) for r in rows]
