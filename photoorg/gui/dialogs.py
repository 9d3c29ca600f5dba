"""Small windows and pages: keyboard shortcuts and the list of files that need
attention (the welcome page is :mod:`photoorg.gui.welcome`)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

#: the window's own keys; capabilities add theirs (AppContext.add_shortcut)
SHORTCUTS = [
    ("Ctrl+F", "Search"),
    ("Enter / double-click", "Open the photo"),
    ("Esc", "Back to the grid; clear the search"),
    ("Arrow keys", "Move in the grid; previous / next in the viewer"),
    ("Shift+click, Ctrl+click, drag", "Select several photos"),
    ("Ctrl+A", "Select all"),
    ("0 – 5", "Rate the selected photos"),
    ("F", "Favourite / unfavourite"),
    ("Ctrl+D", "Add to an album"),
    ("Ctrl+Shift+F", "Find similar photos"),
    ("Ctrl+C", "Copy the file path"),
    ("Del", "Move to the system trash (asks first)"),
    ("Ctrl++ / Ctrl+- / Ctrl+wheel", "Bigger / smaller thumbnails"),
    ("Ctrl+0 / Ctrl+1", "Viewer: fit / 100%"),
    ("I", "Viewer: show or hide the information panel"),
    ("R", "Viewer: rotate clockwise (the file is not changed)"),
    ("S", "Viewer: slideshow"),
    ("B", "Viewer: show or hide the boxes (faces, text)"),
    ("Click or drag on text, Ctrl+C", "Viewer: select and copy the text read in the photo"),
    ("Wheel, pinch, drag", "Viewer: zoom and pan"),
    ("F11", "Full screen"),
    ("Ctrl+O", "Add a folder"),
    ("F5", "Rescan the folders"),
    ("Ctrl+,", "Settings"),
    ("F1", "This list"),
]


class ShortcutsDialog(QDialog):
    def __init__(self, shortcuts: list[tuple[str, str]], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setMinimumSize(460, 520)
        table = QTableWidget(len(shortcuts), 2)
        table.setHorizontalHeaderLabels(["Keys", "Does"])
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (keys, what) in enumerate(shortcuts):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(what))
        table.resizeColumnToContents(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)


class AttentionPage(QWidget):
    """Files that could not be read, folders that could not be opened, and
    photos a stage failed on, each with the reason."""

    retry_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        title = QLabel("Needs attention")
        title.setObjectName("Heading")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setObjectName("Muted")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["File or folder", "What went wrong"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        retry = QPushButton("Try these again")
        retry.clicked.connect(self.retry_requested)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(retry)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)

    def show_failures(self, items: list[dict]) -> None:
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            path = QTableWidgetItem(item["path"])
            path.setToolTip(item["path"])
            reason = QTableWidgetItem(item["reason"])
            reason.setToolTip(item["reason"])
            self.table.setItem(row, 0, path)
            self.table.setItem(row, 1, reason)
        self.summary.setText(
            "Nothing needs attention."
            if not items
            else f"{len(items)} item(s) could not be indexed. The rest of the library is fine. "
            "Files that changed or became readable are picked up by the next scan."
        )
        self.table.setVisible(bool(items))
        self.table.resizeRowsToContents()
