"""The first screen: what photoorg does and the one button that starts it.

Laid out as a centred column in a scroll area, so at any window size from
800×600 up every line shows whole (word-wrapped labels in a column of a fixed
width get their height right), and a smaller window scrolls instead of cutting.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from photoorg.gui.theme import icon

COLUMN_WIDTH = 520

POINTS = (
    ("images", "A timeline of every photo, grouped by day, month and year"),
    ("search", "Search by description: “kids on a beach at sunset”"),
    ("users", "People, tags, events and albums, found for you and yours to correct"),
    ("eye-off", "Private: nothing leaves this computer, and your files are never changed"),
)


class WelcomePage(QScrollArea):
    add_folder = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("Welcome")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        body.setObjectName("WelcomeBody")
        column = QWidget()
        # At most this wide, narrower in a small window: the labels wrap to fit.
        column.setMaximumWidth(COLUMN_WIDTH)
        column.setMinimumWidth(260)
        self.title = QLabel("Welcome to photoorg")
        self.title.setObjectName("Heading")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel(
            "Add the folders that hold your photos. photoorg reads them where they are, never moves or "
            "uploads them, and builds a private index on this computer."
        )
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.button = QPushButton(icon("folder-plus", "white"), "  Add folder…")
        self.button.setObjectName("Primary")
        self.button.clicked.connect(self.add_folder)
        self.note = QLabel("Indexing runs in the background; you can browse right away.")
        self.note.setObjectName("Muted")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(14)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        self.points = []
        for icon_name, text in POINTS:
            row = QHBoxLayout()
            row.setSpacing(10)
            mark = QLabel()
            mark.setPixmap(icon(icon_name).pixmap(20, 20))
            mark.setFixedWidth(22)
            label = QLabel(text)
            label.setWordWrap(True)
            self.points.append(label)
            row.addWidget(mark, 0, Qt.AlignmentFlag.AlignTop)
            row.addWidget(label, 1)
            layout.addLayout(row)
        layout.addSpacing(6)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.note)
        # Centred by stretches, not by an alignment flag: an aligned widget gets
        # its size hint, and wrapped labels then lose their last lines.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(column, 10)
        row.addStretch(1)
        outer = QVBoxLayout(body)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addStretch(2)
        outer.addLayout(row)
        outer.addStretch(3)
        self.setWidget(body)

    def labels(self) -> list[QLabel]:
        return [self.title, self.text, *self.points, self.note]
