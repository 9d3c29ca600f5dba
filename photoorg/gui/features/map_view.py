"""The map: where photos were taken, drawn offline.

The basemap is Natural Earth's 1:110m country outlines (public domain, shipped
in ``resources/maps``), in an equirectangular projection painted with
QPainter: no tiles, no network. Photos are gathered into clusters by a grid
in screen space, rebuilt at each zoom, so a city is one dot from afar and its
neighbourhoods separate as you zoom in. Clicking a cluster shows its photos in
the grid (an ``area`` scope: the box the cluster covers).

Wheel or +/- zooms around the cursor, dragging pans, 0 shows the whole world.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from photoorg.resources_path import resource_path

#: a cluster gathers the photos within this many pixels of each other
CLUSTER_PX = 44
MAX_ZOOM = 400.0


@dataclass
class Cluster:
    lat: float
    lon: float
    count: int
    bounds: tuple[float, float, float, float]  # south, west, north, east


def load_basemap() -> list[list[tuple[float, float]]]:
    """The countries' outer rings as (lon, lat) lists (read off the GUI thread)."""
    with open(resource_path("maps", "countries-110m.json"), encoding="utf-8") as handle:
        data = json.load(handle)
    return [[(lon, lat) for lon, lat in ring] for country in data["countries"] for ring in country["rings"]]


def clusters_at(points: list[tuple[int, float, float]], scale: float) -> list[Cluster]:
    """Grid clustering at ``scale`` pixels per degree of longitude."""
    cell = CLUSTER_PX / scale  # degrees per cell
    cells: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for _, lat, lon in points:
        cells.setdefault((math.floor(lon / cell), math.floor(lat / cell)), []).append((lat, lon))
    result = []
    for members in cells.values():
        lats = [lat for lat, _ in members]
        lons = [lon for _, lon in members]
        result.append(
            Cluster(
                sum(lats) / len(lats),
                sum(lons) / len(lons),
                len(members),
                (min(lats), min(lons), max(lats), max(lons)),
            )
        )
    return result


class MapCanvas(QWidget):
    cluster_clicked = Signal(object)  # Cluster

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 200)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._outlines: list[QPainterPath] = []
        self._rings: list[list[tuple[float, float]]] = []
        self._points: list[tuple[int, float, float]] = []
        self._clusters: list[Cluster] = []
        self._zoom = 1.0
        self._centre = (0.0, 15.0)  # lon, lat
        self._drag: QPointF | None = None
        self._dragged = False

    # -- data ------------------------------------------------------------------------------

    def set_basemap(self, rings: list[list[tuple[float, float]]]) -> None:
        self._rings = rings
        self._outlines = []
        for ring in rings:
            path = QPainterPath()
            for i, (lon, lat) in enumerate(ring):
                (path.moveTo if i == 0 else path.lineTo)(lon, -lat)
            path.closeSubpath()
            self._outlines.append(path)
        self.update()

    def set_points(self, points: list[tuple[int, float, float]]) -> None:
        self._points = points
        self._recluster()

    def fit_points(self) -> None:
        """Zoom to where the photos are (the whole world when there are none)."""
        if not self._points:
            self._zoom, self._centre = 1.0, (0.0, 15.0)
        else:
            lats = [lat for _, lat, _ in self._points]
            lons = [lon for _, _, lon in self._points]
            span = max(max(lons) - min(lons), (max(lats) - min(lats)) * 1.5, 2.0)
            self._zoom = max(1.0, min(MAX_ZOOM, 300.0 / span))
            self._centre = ((max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2)
        self._recluster()

    # -- projection ------------------------------------------------------------------------

    def _scale(self) -> float:
        """Pixels per degree."""
        return max(self.width() / 360.0, 0.5) * self._zoom

    def _to_screen(self, lon: float, lat: float) -> QPointF:
        scale = self._scale()
        return QPointF(
            self.width() / 2 + (lon - self._centre[0]) * scale,
            self.height() / 2 - (lat - self._centre[1]) * scale,
        )

    def _to_geo(self, point: QPointF) -> tuple[float, float]:
        scale = self._scale()
        lon = self._centre[0] + (point.x() - self.width() / 2) / scale
        lat = self._centre[1] - (point.y() - self.height() / 2) / scale
        return lon, lat

    def _recluster(self) -> None:
        self._clusters = clusters_at(self._points, self._scale())
        self.update()

    # -- painting --------------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
        sea = QColor("#1b2a38") if dark else QColor("#dbe8f2")
        land = QColor("#34404a") if dark else QColor("#f6f4ef")
        border = QColor("#56636e") if dark else QColor("#b9b4a8")
        painter.fillRect(self.rect(), sea)
        painter.save()
        scale = self._scale()
        painter.translate(
            self.width() / 2 - self._centre[0] * scale, self.height() / 2 + self._centre[1] * scale
        )
        painter.scale(scale, scale)
        pen = QPen(border)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(land)
        for path in self._outlines:
            painter.drawPath(path)
        painter.restore()
        accent = palette.color(QPalette.ColorRole.Highlight)
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        for cluster in self._clusters:
            centre = self._to_screen(cluster.lon, cluster.lat)
            radius = 7 + 4 * math.log10(cluster.count)
            painter.setPen(QPen(QColor("white"), 2))
            painter.setBrush(accent)
            painter.drawEllipse(centre, radius, radius)
            if cluster.count > 1:
                painter.setPen(palette.color(QPalette.ColorRole.HighlightedText))
                box = QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, _short(cluster.count))

    # -- interaction -----------------------------------------------------------------------

    def zoom_at(self, factor: float, anchor: QPointF | None = None) -> None:
        anchor = anchor or QPointF(self.width() / 2, self.height() / 2)
        before = self._to_geo(anchor)
        self._zoom = max(1.0, min(MAX_ZOOM, self._zoom * factor))
        after = self._to_geo(anchor)
        self._centre = (self._centre[0] + before[0] - after[0], self._centre[1] + before[1] - after[1])
        self._recluster()

    def wheelEvent(self, event) -> None:
        self.zoom_at(1.25 if event.angleDelta().y() > 0 else 0.8, event.position())

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_at(1.5)
        elif event.key() == Qt.Key.Key_Minus:
            self.zoom_at(1 / 1.5)
        elif event.key() == Qt.Key.Key_0:
            self.fit_points()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event) -> None:
        self._drag = event.position()
        self._dragged = False

    def mouseMoveEvent(self, event) -> None:
        if self._drag is not None and event.buttons() & Qt.MouseButton.LeftButton:
            delta = event.position() - self._drag
            if abs(delta.x()) + abs(delta.y()) > 3:
                self._dragged = True
            scale = self._scale()
            self._centre = (self._centre[0] - delta.x() / scale, self._centre[1] + delta.y() / scale)
            self._drag = event.position()
            self.update()
        else:
            cluster = self.cluster_at(event.position())
            self.setCursor(Qt.CursorShape.PointingHandCursor if cluster else Qt.CursorShape.ArrowCursor)
            self.setToolTip(f"{cluster.count} photo{'s' if cluster.count != 1 else ''}" if cluster else "")

    def mouseReleaseEvent(self, event) -> None:
        if not self._dragged:
            cluster = self.cluster_at(event.position())
            if cluster is not None:
                self.cluster_clicked.emit(cluster)
        self._drag = None

    def cluster_at(self, position: QPointF) -> Cluster | None:
        best, best_distance = None, 1e9
        for cluster in self._clusters:
            centre = self._to_screen(cluster.lon, cluster.lat)
            distance = math.hypot(centre.x() - position.x(), centre.y() - position.y())
            if distance <= 9 + 4 * math.log10(cluster.count) and distance < best_distance:
                best, best_distance = cluster, distance
        return best

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._recluster()


def _short(count: int) -> str:
    return (
        f"{count / 1000:.0f}k" if count >= 10_000 else f"{count / 1000:.1f}k" if count >= 1000 else str(count)
    )


class MapPage(QWidget):
    """The Places → Map page (a :class:`~photoorg.gui.extension.ScopePage`)."""

    def __init__(self, ctx, on_cluster) -> None:
        super().__init__()
        self._ctx = ctx
        self.heading = QLabel("Map")
        self.heading.setObjectName("Heading")
        self.hint = QLabel(
            "Scroll to zoom, drag to move, click a circle to see its photos. 0 shows them all."
        )
        self.hint.setWordWrap(True)
        self.canvas = MapCanvas(self)
        self.canvas.cluster_clicked.connect(on_cluster)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self.heading)
        layout.addWidget(self.hint)
        layout.addWidget(self.canvas, 1)
        self._basemap_loaded = False

    def show_scope(self, scope) -> None:
        self.refresh()

    def refresh(self) -> None:
        from photoorg.places.store import photo_positions

        if not self._basemap_loaded:
            self._basemap_loaded = True
            self._ctx.submit(load_basemap, self.canvas.set_basemap, key="map-basemap")
        library = self._ctx.library

        def shown(points) -> None:
            first = not self.canvas._points
            self.canvas.set_points(points)
            count = len(points)
            self.heading.setText(f"Map · {count:,} photo{'s' if count != 1 else ''} with a place")
            if first:
                self.canvas.fit_points()

        self._ctx.submit(lambda: photo_positions(library.db), shown, key="map-points")
