"""The details panel: everything the index knows about the current photo."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photoorg.gui.justified_layout import MONTH_NAMES
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


class CaptionEdit(QLineEdit):
    """The photo's caption, saved to the library when the user presses Enter or leaves the field."""

    edited = Signal(int, str)  # photo id, caption

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("Caption")
        self.setPlaceholderText("Add a caption…")
        self.setToolTip("A caption or description, kept in the library (the file is not changed)")
        self.photo_id: int | None = None
        self._saved = ""
        self.editingFinished.connect(self._finish)

    def show_caption(self, photo_id: int | None, caption: str | None) -> None:
        self.photo_id = photo_id
        self._saved = caption or ""
        self.setText(self._saved)
        self.setCursorPosition(0)

    def _finish(self) -> None:
        text = self.text().strip()
        if self.photo_id is not None and text != self._saved:
            self._saved = text
            self.edited.emit(self.photo_id, text)


class DetailsPanel(QScrollArea):
    rating_requested = Signal(int)
    favorite_requested = Signal()
    #: photo id, new caption
    caption_edited = Signal(int, str)

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
        self.caption = CaptionEdit()
        self.caption.edited.connect(self.caption_edited)
        self.extra = QVBoxLayout()
        self.layout_.addWidget(self.preview)
        self.layout_.addWidget(self.title)
        self.layout_.addLayout(marks)
        self.layout_.addWidget(self.caption)
        self.layout_.addLayout(self.form)
        self.layout_.addLayout(self.extra)
        self.layout_.addStretch(1)
        self.setWidget(body)
        #: features add sections (tags, people): details dict -> widget or None
        self.section_builders: list[Callable[[dict], QWidget | None]] = []
        self._gps: dict | None = None
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
        self.caption.hide()
        self.stars.setVisible(True)
        self.stars.set_value(0)
        self.favorite.setVisible(True)
        self.favorite.setIcon(icon("heart"))

    def show_details(self, details: dict | None) -> None:
        self._clear()
        if details is None:
            self.preview.clear()
            self.title.setText("No photo selected")
            self.caption.hide()
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
        self.caption.show()
        self.caption.show_caption(details["id"], details.get("caption"))
        self._gps = details["gps"]
        for label, value in detail_rows(details):
            text = QLabel(_breakable(str(value)) if label == "Folder" else str(value))
            text.setWordWrap(True)
            text.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.LinksAccessibleByMouse
            )
            if label == "Place":
                # The coordinates are one click away; the map opens only when the user asks.
                text.setObjectName("PlaceLabel")
                text.linkActivated.connect(lambda link, label=text: self._place_link(link, label))
            else:
                text.setOpenExternalLinks(True)
            if label == "Folder":
                text.setToolTip(details["path"])
            self.form.addRow(label, text)
        for build in self.section_builders:
            widget = build(details)
            if widget is not None:
                self.extra.addWidget(widget)

    def _place_link(self, link: str, label: QLabel) -> None:
        if link == "coordinates" and self._gps:
            label.setText(f"{label.text().split(' <a')[0]}<br>{_location(self._gps)}")
            label.setOpenExternalLinks(True)


def taken_label(iso: str | None) -> str | None:
    """ "Sunday 14 July 2019, 16:30": the date as people say it, weekday first."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{moment:%A} {moment.day} {MONTH_NAMES[moment.month - 1]} {moment.year}, {moment:%H:%M}"


def exposure_rows(exposure: dict | None) -> list[tuple[str, str]]:
    exposure = exposure or {}
    rows = []
    if "aperture" in exposure:
        rows.append(("Aperture", f"f/{exposure['aperture']:g}"))
    if "shutter" in exposure:
        rows.append(("Shutter", exposure["shutter"]))
    if "iso" in exposure:
        rows.append(("ISO", str(exposure["iso"])))
    if "focal_length_mm" in exposure:
        focal = f"{exposure['focal_length_mm']:g} mm"
        if exposure.get("focal_length_35mm"):
            focal += f" ({exposure['focal_length_35mm']} mm full-frame)"
        rows.append(("Focal length", focal))
    return rows


def detail_rows(details: dict) -> list[tuple[str, str]]:
    """The panel's label/value rows for one photo, in reading order; empty ones left out."""
    width, height = details.get("width"), details.get("height")
    if width and height and details.get("rotation", 0) % 180 == 90:
        width, height = height, width
    dimensions = f"{width} × {height}" if width and height else None
    if dimensions and width * height >= 1_000_000:
        dimensions += f" ({width * height / 1e6:.1f} MP)"
    # The places capability's detail provider adds {"city", "region", "country", ...}.
    found = details.get("place") or {}
    place = ", ".join(part for part in (found.get("city"), found.get("country")) if part)
    gps = details.get("gps")
    if gps and place:
        where = f'{html.escape(place)} <a href="coordinates">coordinates</a>'
    else:
        where = _location(gps)
    rows = [
        ("Taken", taken_label(details.get("taken_at"))),
        ("Modified", taken_label(details["modified"]) if not details.get("taken_at") else None),
        ("Place", where),
        ("Camera", details.get("camera")),
        ("Lens", details.get("lens")),
        *exposure_rows(details.get("exposure")),
        ("Dimensions", dimensions),
        ("File size", human_size(details["size"])),
        ("Format", details.get("format")),
        ("Folder", details.get("folder")),
        ("Albums", ", ".join(details.get("albums") or []) or None),
        ("Problem", details.get("error")),
    ]
    return [(label, value) for label, value in rows if value]


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
