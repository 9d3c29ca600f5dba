"""The search field, filter chips, sort toggle and relevance cut-off.

It only collects what the user wants; the main window turns it into a core
query (text + :class:`SearchFilters`) and runs it off the GUI thread.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photoorg.gui.theme import icon
from photoorg.search.filters import SearchFilters

DEFAULT_CUTOFF = 0.18  # cosine; CLIP ViT-B-32 puts real matches around 0.25-0.35


class Chip(QToolButton):
    """A filter chip: shows its value, opens a menu, clears with a click on x."""

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("Chip")
        self.title = title
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.menu_ = QMenu(self)
        self.setMenu(self.menu_)
        self.set_value(None)

    def set_value(self, text: str | None) -> None:
        self.setText(f"{self.title}: {text}" if text else f"{self.title} ▾")
        self.setProperty("active", "true" if text else "false")
        self.style().unpolish(self)
        self.style().polish(self)


class DateRangeDialog(QDialog):
    def __init__(self, parent=None, start: date | None = None, end: date | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Date range")
        today = date.today()
        self.start = QDateEdit(QDate(start or today.replace(month=1, day=1)))
        self.end = QDateEdit(QDate(end or today))
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        form = QFormLayout()
        form.addRow("From", self.start)
        form.addRow("To", self.end)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def range(self) -> tuple[date, date]:
        a, b = self.start.date().toPython(), self.end.date().toPython()
        return (a, b) if a <= b else (b, a)


class SearchBar(QWidget):
    #: the query changed (debounced while typing)
    changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.filters = SearchFilters()
        self._extra_chips: list = []
        self.field = QLineEdit()
        self.field.setObjectName("SearchField")
        self.field.setPlaceholderText(
            'Search: "kids on a beach at sunset", tag:dog, person:Alice …  (Ctrl+F)'
        )
        self.field.setClearButtonEnabled(True)
        self.field.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.field.setMinimumWidth(320)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(350)
        self._debounce.timeout.connect(self.changed)
        self.field.textEdited.connect(lambda _: self._debounce.start())
        self.field.returnPressed.connect(self._now)

        self.sort = QComboBox()
        self.sort.addItems(["Relevance", "Date"])
        self.sort.setToolTip("Order search results by relevance or by date")
        self.sort.currentIndexChanged.connect(lambda _: self.changed.emit())

        self.cutoff = QSlider(Qt.Orientation.Horizontal)
        self.cutoff.setRange(0, 40)
        self.cutoff.setValue(int(DEFAULT_CUTOFF * 100))
        self.cutoff.setFixedWidth(110)
        self.cutoff.setToolTip("Relevance cut-off: hide results less similar than this")
        self.cutoff_label = QLabel()
        self.cutoff_label.setObjectName("Muted")
        self.cutoff.valueChanged.connect(self._cutoff_changed)
        self._cutoff_changed(self.cutoff.value(), emit=False)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.field, 1)
        self.sort_label = QLabel("Sort")
        # Ranking controls mean something only for a text query: hidden while browsing.
        self.query_controls = (self.sort_label, self.sort, self.cutoff_label, self.cutoff)
        for widget in self.query_controls:
            top.addWidget(widget)
        self.field.textChanged.connect(self._show_query_controls)
        self._show_query_controls()

        self.date_chip = Chip("Date")
        self.folder_chip = Chip("Folder")
        self.camera_chip = Chip("Camera")
        self.chips_row = QHBoxLayout()
        self.chips_row.setContentsMargins(0, 0, 0, 0)
        for chip in (self.date_chip, self.folder_chip, self.camera_chip):
            self.chips_row.addWidget(chip)
        self.chips_row.addStretch(1)
        self.notice = QLabel()
        self.notice.setObjectName("Notice")
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.RichText)
        self.notice.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(self.chips_row)
        layout.addWidget(self.notice)
        self.set_choices([], [])

    # -- state ---------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self.field.text().strip()

    @property
    def sort_by_date(self) -> bool:
        return self.sort.currentIndex() == 1

    @property
    def min_score(self) -> float:
        return self.cutoff.value() / 100.0

    def _show_query_controls(self, *_args) -> None:
        for widget in self.query_controls:
            widget.setVisible(bool(self.text))

    def set_text(self, text: str) -> None:
        self.field.setText(text)
        self._now()

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _now(self) -> None:
        self._debounce.stop()
        self.changed.emit()

    def _cutoff_changed(self, value: int, emit: bool = True) -> None:
        self.cutoff_label.setText(f"Relevance ≥ {value / 100:.2f}")
        if emit and self.text:
            self._debounce.start()

    # -- chips ---------------------------------------------------------------------------------

    def set_choices(self, folders: list[str], cameras: list[str]) -> None:
        """Refill the chip menus (after indexing found new folders or cameras)."""
        self._fill_date_menu()
        menu = self.folder_chip.menu_
        menu.clear()
        self._add(menu, "Any folder", lambda: self._set(folder=None))
        menu.addSeparator()
        for folder in folders:
            self._add(menu, folder, lambda f=folder: self._set(folder=f))
        menu = self.camera_chip.menu_
        menu.clear()
        self._add(menu, "Any camera", lambda: self._set(camera=None))
        menu.addSeparator()
        for camera in cameras:
            self._add(menu, camera, lambda c=camera: self._set(camera=c))

    def _fill_date_menu(self) -> None:
        menu = self.date_chip.menu_
        menu.clear()
        today = date.today()
        self._add(menu, "Any time", lambda: self._set(date_from=None, date_to=None))
        menu.addSeparator()
        self._add(
            menu, "Last 30 days", lambda: self._set(date_from=today - timedelta(days=30), date_to=today)
        )
        self._add(
            menu, "This year", lambda: self._set(date_from=today.replace(month=1, day=1), date_to=today)
        )
        last = today.year - 1
        self._add(
            menu, "Last year", lambda: self._set(date_from=date(last, 1, 1), date_to=date(last, 12, 31))
        )
        self._add(menu, "Custom range…", self._custom_range)

    def _add(self, menu: QMenu, text: str, slot) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(slot)
        return action

    def _custom_range(self) -> None:
        dialog = DateRangeDialog(self, self.filters.date_from, self.filters.date_to)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            start, end = dialog.range()
            self._set(date_from=start, date_to=end)

    def _set(self, **changes) -> None:
        self.set_filter(**changes)

    def set_filter(self, **changes) -> None:
        """Change some filters (a chip's menu) and run the query again."""
        self.filters = replace(self.filters, **changes)
        self._refresh_chips()
        self.changed.emit()

    def add_chip(self, title: str, value_of) -> Chip:
        """A feature's chip (Tag, Person): ``value_of(filters)`` says what it
        shows; the feature fills ``chip.menu_`` and calls ``set_filter``."""
        chip = Chip(title)
        self.chips_row.insertWidget(self.chips_row.count() - 1, chip)
        self._extra_chips.append((chip, value_of))
        return chip

    def set_filters(self, filters: SearchFilters) -> None:
        self.filters = filters
        self._refresh_chips()

    def _refresh_chips(self) -> None:
        f = self.filters
        if f.date_from or f.date_to:
            start = f.date_from.isoformat() if f.date_from else "…"
            end = f.date_to.isoformat() if f.date_to else "…"
            self.date_chip.set_value(f"{start} – {end}")
        else:
            self.date_chip.set_value(None)
        self.folder_chip.set_value(f.folder.rstrip("/").rsplit("/", 1)[-1] if f.folder else None)
        self.camera_chip.set_value(f.camera)
        for chip, value_of in self._extra_chips:
            chip.set_value(value_of(f))
