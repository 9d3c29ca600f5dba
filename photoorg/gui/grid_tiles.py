"""Painting one photo tile of the grid: the thumbnail filling its tile
(turned by the stored rotation, cropped only in square mode, corners rounded),
its favourite and rating marks, and the selection check.

Each tile is scaled, cropped and rounded once and then copied on every frame
(scaling 50 thumbnails per scroll frame cost more than a frame has).
"""

from __future__ import annotations

from collections import OrderedDict
from math import ceil
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from photoorg.browse import PhotoRow
from photoorg.gui.grid import ROW_ROLE, STACK_ROLE
from photoorg.gui.images import Thumbnails
from photoorg.gui.motion_preview import HoverPlayer
from photoorg.gui.stacks import paint_stack_badge
from photoorg.gui.theme import ACCENT, SELECTION, icon

if TYPE_CHECKING:
    from photoorg.gui.grid_view import JustifiedGridView

TILE_CACHE = 300  # a few screens of tiles
CHECK_SIZE = 22


def thumbnail_bucket(cell_size: int) -> int:
    """The size thumbnails are requested at: big enough for a landscape tile
    at this zoom, in steps, so a window resize does not reload them all."""
    return min(320, ceil(cell_size * 1.8 / 32.0) * 32)


class TileDelegate(QStyledItemDelegate):
    """Paints a photo filling its tile, its marks, and the selection check."""

    def __init__(self, loader: Thumbnails, view: JustifiedGridView) -> None:
        super().__init__(view)
        self.loader = loader
        self.view = view
        # Tiles scaled, cropped, turned and rounded once, then blitted: scaling
        # 50 thumbnails on every scroll frame cost more than the 10 ms a frame has.
        self._tiles: OrderedDict[tuple, QPixmap] = OrderedDict()
        # A Live Photo or video plays on its tile while hovered.
        self.motion = HoverPlayer(loader.loader, self._repaint_hovered, self)

    def _repaint_hovered(self) -> None:
        model, row = self.view.model(), self.view.hovered_row
        index = model.index(row, 0) if model is not None and 0 <= row < model.rowCount() else None
        shown: PhotoRow | None = index.data(ROW_ROLE) if index is not None else None
        if shown is None or not shown.motion:
            self.motion.stop()  # the pointer left the moving tile
            return
        self.view.viewport().update(self.view.visualRect(index))

    def sizeHint(self, option, index) -> QSize:
        return QSize(self.view.cell_size, self.view.cell_size)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        row: PhotoRow | None = index.data(ROW_ROLE)
        if row is None:
            return
        painter.save()
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = index.row() == self.view.hovered_row
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        frame = QRect(rect).adjusted(6, 6, -6, -6) if selected else QRect(rect)
        bucket = thumbnail_bucket(self.view.cell_size)
        pixmap = self.loader.pixmap(row.content_hash, row.path, bucket)
        if selected:
            tint = QColor(SELECTION)
            tint.setAlpha(60)
            painter.fillRect(rect, tint)
        moving = self.motion.frame(row.motion, bucket) if hovered and row.motion else None
        if moving is not None:
            _draw_moving(painter, moving, frame, row.rotation)
        elif pixmap is not None and not pixmap.isNull():
            painter.drawPixmap(frame.topLeft(), self._tile(pixmap, row, frame.width(), frame.height()))
        else:
            placeholder = QColor(option.palette.color(QPalette.ColorRole.Text))
            placeholder.setAlpha(22)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(placeholder)
            painter.drawRoundedRect(frame, 4, 4)
            if self.loader.failed(row.content_hash, bucket):
                side = min(frame.width(), frame.height()) / 3
                icon("alert-triangle").paint(
                    painter,
                    QRectF(frame.center().x() - side / 2, frame.center().y() - side / 2, side, side).toRect(),
                )
        if option.state & QStyle.StateFlag.State_HasFocus and not selected:
            painter.setPen(QPen(ACCENT, 2, Qt.PenStyle.DotLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(frame.adjusted(1, 1, -1, -1), 4, 4)
        if hovered and not selected:
            shade = QColor(0, 0, 0, 70)
            top = QRect(frame.x(), frame.y(), frame.width(), min(44, frame.height() // 3))
            painter.fillRect(top, shade)
        if hovered or selected or self.view.selecting:
            self._check(painter, self.view.check_rect(rect), selected)
        _badges(painter, QRectF(frame), row)
        paint_stack_badge(painter, QRectF(frame), index.data(STACK_ROLE))
        painter.restore()

    def _tile(self, pixmap: QPixmap, row: PhotoRow, width: int, height: int) -> QPixmap:
        key = (pixmap.cacheKey(), width, height, row.rotation)
        tile = self._tiles.get(key)
        if tile is not None:
            self._tiles.move_to_end(key)
            return tile
        tile = QPixmap(max(1, width), max(1, height))
        tile.fill(Qt.GlobalColor.transparent)
        painter = QPainter(tile)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        clip = QPainterPath()
        clip.addRoundedRect(QRectF(0, 0, width, height), 4, 4)
        painter.setClipPath(clip)
        _draw_filling(painter, pixmap, QRectF(0, 0, width, height), row.rotation)
        painter.end()
        self._tiles[key] = tile
        while len(self._tiles) > TILE_CACHE:
            self._tiles.popitem(last=False)
        return tile

    @staticmethod
    def _check(painter: QPainter, box: QRect, selected: bool) -> None:
        painter.setPen(QPen(QColor("white"), 2))
        painter.setBrush(SELECTION if selected else QColor(0, 0, 0, 60))
        painter.drawEllipse(QRectF(box).adjusted(1, 1, -1, -1))
        if selected:
            path = QPainterPath()
            x, y, s = box.x(), box.y(), box.width()
            path.moveTo(x + s * 0.28, y + s * 0.52)
            path.lineTo(x + s * 0.44, y + s * 0.68)
            path.lineTo(x + s * 0.74, y + s * 0.36)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)


def _draw_filling(painter: QPainter, pixmap, target: QRectF, rotation: int) -> None:
    """Draw ``pixmap`` turned by ``rotation`` to cover ``target``, cropping the
    overflow evenly (a justified tile matches the photo, so only a square tile crops)."""
    ratio = pixmap.devicePixelRatio() or 1.0
    pw, ph = pixmap.width() / ratio, pixmap.height() / ratio
    turned = rotation % 180 == 90
    shown_w, shown_h = (ph, pw) if turned else (pw, ph)
    scale = max(target.width() / max(1.0, shown_w), target.height() / max(1.0, shown_h))
    painter.save()
    painter.translate(target.center())
    painter.rotate(rotation)
    w, h = pw * scale, ph * scale
    painter.drawPixmap(QRectF(-w / 2, -h / 2, w, h), pixmap, QRectF(pixmap.rect()))
    painter.restore()


def _draw_moving(painter: QPainter, moving: tuple[QPixmap, QRect], frame: QRect, rotation: int) -> None:
    strip, part = moving
    painter.save()
    clip = QPainterPath()
    clip.addRoundedRect(QRectF(frame), 4, 4)
    painter.setClipPath(clip)
    _draw_filling(painter, strip.copy(part), QRectF(frame), rotation)
    painter.restore()


def _media_badge(painter: QPainter, frame: QRectF, text: str) -> None:
    """A capability's words on the tile (a video's duration, "RAW+JPEG", "LIVE"),
    bottom right, a play mark before a duration."""
    font = QFont(painter.font())
    font.setPixelSize(11)
    font.setBold(True)
    painter.setFont(font)
    is_duration = text[:1].isdigit()
    label = f"▶ {text}" if is_duration else text
    width = painter.fontMetrics().horizontalAdvance(label) + 12
    if width > frame.width() - 12:
        return
    badge = QRectF(frame.right() - width - 6, frame.bottom() - 24, width, 18)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 160))
    painter.drawRoundedRect(badge, 9, 9)
    painter.setPen(QColor("white"))
    painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)


def _badges(painter: QPainter, frame: QRectF, row: PhotoRow) -> None:
    if row.badge and frame.width() > 60:
        _media_badge(painter, frame, row.badge)
    if row.favorite:
        icon("heart-filled", "#ef4444").paint(
            painter, QRect(int(frame.right()) - 26, int(frame.top()) + 6, 20, 20)
        )
    if row.rating and frame.width() > 60:
        stars = "★" * row.rating
        font = QFont(painter.font())
        font.setPixelSize(12)
        painter.setFont(font)
        width = painter.fontMetrics().horizontalAdvance(stars) + 10
        badge = QRectF(frame.left() + 6, frame.bottom() - 24, width, 18)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(badge, 9, 9)
        painter.setPen(QColor("#fbbf24"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, stars)
