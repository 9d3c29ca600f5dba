"""The details panel: everything the index knows about the current photo."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photoorg.gui.theme import icon
from photoorg.photos import photo_details
from photoorg.scan.thumbnails import ThumbnailCache
from photoorg.store.db import Database

PREVIEW_SIDE = 220


def details_with_preview(db: Database, thumbnails: ThumbnailCache, photo_id: int) -> dict:
    """The photo's details with its preview decoded (worker thread): the panel
    only turns the image into a pixmap."""

    def lookup(content_hash: str) -> str | None:
        path = thumbnails.path_for(content_hash)
        return str(path) if path.is_file() else None

    details = photo_details(db, photo_id, lookup)
    thumb = details.get("thumbnail")
    image = QImage(thumb) if thumb else QImage()
    if not image.isNull():
        image = image.scaled(
            PREVIEW_SIDE,
            PREVIEW_SIDE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    details["preview"] = image
    return details


def section_box(title: str) -> tuple[QWidget, QVBoxLayout]:
    """A titled section of the details panel, for a capability to fill."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 8, 0, 0)
    heading = QLabel(title)
    heading.setObjectName("SectionTitle")
    layout.addWidget(heading)
    return box, layout


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


class StarRating(QWidget):
    rated = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.buttons = []
        for stars in range(1, 6):
            button = QToolButton()
            button.setAutoRaise(True)
            button.setToolTip(f"{stars} star{'s' if stars > 1 else ''} (key {stars})")
            button.clicked.connect(lambda _=False, n=stars: self.rated.emit(0 if n == self.value else n))
            layout.addWidget(button)
            self.buttons.append(button)
        layout.addStretch(1)
        self.set_value(0)

    def set_value(self, value: int) -> None:
        self.value = value
        for i, button in enumerate(self.buttons, start=1):
            button.setIcon(icon("star-filled", "#f59e0b") if i <= value else icon("star"))


class DetailsPanel(QScrollArea):
    rating_requested = Signal(int)
    favorite_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("DetailsPanel")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(240)
        body = QWidget()
        body.setObjectName("DetailsPanel")
        self.layout_ = QVBoxLayout(body)
        self.layout_.setContentsMargins(12, 12, 12, 12)
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(160)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.stars = StarRating()
        self.stars.rated.connect(self.rating_requested)
        self.favorite = QToolButton()
        self.favorite.setAutoRaise(True)
        self.favorite.setToolTip("Favourite (F)")
        self.favorite.clicked.connect(self.favorite_requested)
        marks = QHBoxLayout()
        marks.addWidget(self.stars)
        marks.addWidget(self.favorite)
        self.extra = QVBoxLayout()
        self.layout_.addWidget(self.preview)
        self.layout_.addWidget(self.title)
        self.layout_.addLayout(marks)
        self.layout_.addLayout(self.form)
        self.layout_.addLayout(self.extra)
        self.layout_.addStretch(1)
        self.setWidget(body)
        #: features add sections (tags, people): details dict -> widget or None
        self.section_builders: list[Callable[[dict], QWidget | None]] = []
        self.show_details(None)

    def _clear(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        while self.extra.count():
            item = self.extra.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()

    def show_selection_count(self, count: int) -> None:
        self._clear()
        self.preview.clear()
        self.title.setText(f"{count:,} photos selected")
        self.stars.setVisible(True)
        self.stars.set_value(0)
        self.favorite.setVisible(True)
        self.favorite.setIcon(icon("heart"))

    def show_details(self, details: dict | None) -> None:
        self._clear()
        if details is None:
            self.preview.clear()
            self.title.setText("No photo selected")
            self.stars.setVisible(False)
            self.favorite.setVisible(False)
            return
        self.stars.setVisible(True)
        self.favorite.setVisible(True)
        preview = details.get("preview")
        if preview is not None and not preview.isNull():
            self.preview.setPixmap(QPixmap.fromImage(preview))
        else:
            self.preview.clear()
        self.title.setText(_breakable(details["filename"]))
        self.stars.set_value(details["rating"])
        self.favorite.setIcon(icon("heart-filled", "#ef4444") if details["favorite"] else icon("heart"))
        rows = [
            ("Folder", details["folder"]),
            ("Size", human_size(details["size"])),
            ("Dimensions", f"{details['width']} × {details['height']}" if details["width"] else None),
            ("Taken", (details["taken_at"] or "").replace("T", " ") or None),
            ("Modified", details["modified"].replace("T", " ") if not details["taken_at"] else None),
            ("Camera", details["camera"]),
            ("Lens", details["lens"]),
            ("Location", _location(details["gps"])),
            ("Format", details["format"]),
            ("Albums", ", ".join(details["albums"]) or None),
            ("Problem", details["error"]),
        ]
        for label, value in rows:
            if value:
                text = QLabel(_breakable(str(value)) if label == "Folder" else str(value))
                text.setWordWrap(True)
                text.setTextInteractionFlags(
                    Qt.TextInteractionFlag.TextSelectableByMouse
                    | Qt.TextInteractionFlag.LinksAccessibleByMouse
                )
                text.setOpenExternalLinks(True)
                if label == "Folder":
                    text.setToolTip(details["path"])
                self.form.addRow(label, text)
        for build in self.section_builders:
            widget = build(details)
            if widget is not None:
                self.extra.addWidget(widget)


def _breakable(path: str, every: int = 18) -> str:
    """Let a long path wrap (after separators, and inside long names) instead
    of widening the panel."""
    out, run = [], 0
    for char in path:
        out.append(char)
        run += 1
        if char in "/\\_-. " or run >= every:
            out.append("\u200b")
            run = 0
    return "".join(out)


def _location(gps: dict | None) -> str | None:
    if not gps:
        return None
    lat, lon = gps["lat"], gps["lon"]
    # A link the user chooses to open; nothing is looked up on their behalf.
    url = f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=15/{lat:.6f}/{lon:.6f}"
    return f'{lat:.5f}, {lon:.5f} <a href="{url}">map</a>'
