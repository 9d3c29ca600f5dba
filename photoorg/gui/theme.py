"""Look and feel: icons recoloured to the palette, and a light stylesheet on top
of the system's own light or dark palette (the app follows the system)."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from photoorg.resources_path import resource_path

ACCENT = QColor("#3b82f6")
#: the accent behind white text (selection, primary buttons): #3b82f6 gives
#: white text only 3.7:1, below WCAG AA; this shade gives 5.2:1
SELECTION = QColor("#2563eb")
#: muted text is the text colour at this opacity: 4.5:1 or better on every surface in both themes
MUTED_ALPHA = 170


def resource_text(*parts: str) -> str | None:
    try:
        return resource_path(*parts).read_text(encoding="utf-8")
    except OSError:
        return None


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def text_color() -> QColor:
    return QApplication.palette().color(QPalette.ColorRole.WindowText)


@cache
def _svg(name: str) -> str | None:
    return resource_text("icons", f"{name}.svg")


def icon(name: str, color: QColor | str | None = None) -> QIcon:
    """A crisp icon from resources/icons, drawn in the palette's text colour."""
    colour = QColor(color) if color is not None else text_color()
    return _icon(name, colour.name())


@cache
def _icon(name: str, colour: str) -> QIcon:
    svg = _svg(name)
    result = QIcon()
    if svg is None:
        return result
    renderer = QSvgRenderer(QByteArray(svg.replace("currentColor", colour).encode("utf-8")))
    if not renderer.isValid():
        return result
    for size in (16, 20, 24, 32, 48):
        for ratio in (1.0, 2.0):
            pixmap = QPixmap(QSize(int(size * ratio), int(size * ratio)))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            renderer.render(painter)
            painter.end()
            result.addPixmap(pixmap)
    return result


def surface_colours(palette: QPalette) -> dict[str, QColor]:
    """The colours the stylesheet adds to the palette's own (the contrast
    test checks text against every one of them)."""
    dark = is_dark(palette)
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    border = QColor(text)
    border.setAlpha(40)
    subtle = QColor(text)
    subtle.setAlpha(MUTED_ALPHA)
    chip = QColor(text)
    chip.setAlpha(22)
    return {
        "sidebar": window.darker(108) if not dark else window.lighter(115),
        "border": border,
        "muted": subtle,
        "chip": chip,
    }


def stylesheet(palette: QPalette) -> str:
    base = palette.color(QPalette.ColorRole.Base)
    colours = surface_colours(palette)
    sidebar, border, subtle, chip = (colours[k] for k in ("sidebar", "border", "muted", "chip"))
    accent = ACCENT.name()
    rgba = lambda c: f"rgba({c.red()}, {c.green()}, {c.blue()}, {c.alpha()})"  # noqa: E731
    return f"""
    QWidget#Sidebar, QTreeWidget#Sidebar {{
        background: {sidebar.name()};
        border: none;
    }}
    QTreeWidget#Sidebar::item {{ padding: 3px 8px 3px 2px; }}
    QTreeWidget#Sidebar::item:selected {{ background: transparent; color: white; }}
    QTreeWidget#Sidebar::branch:selected {{ background: transparent; }}
    QLineEdit#SearchField {{
        border: 1px solid {rgba(border)};
        border-radius: 16px;
        padding: 6px 12px 6px 30px;
        background: {base.name()};
        font-size: 14px;
    }}
    QLineEdit#SearchField:focus {{ border: 1px solid {accent}; }}
    QToolButton#Chip {{
        border: 1px solid {rgba(border)};
        border-radius: 12px;
        padding: 3px 10px;
        background: {rgba(chip)};
    }}
    QToolButton#Chip::menu-indicator {{ image: none; width: 0px; }}
    QToolButton#Chip[active="true"] {{
        border: 1px solid {accent};
        color: {accent};
    }}
    QLabel#Muted {{ color: {rgba(subtle)}; }}
    QLabel#Notice {{
        border-radius: 8px; padding: 6px 10px;
        background: {rgba(chip)};
    }}
    QLabel#Heading {{ font-size: 22px; font-weight: 600; }}
    QLabel#SectionTitle {{ font-weight: 600; color: {rgba(subtle)}; }}
    QListView#Grid, QAbstractItemView#Grid {{ border: none; background: {base.name()}; }}
    QLabel#ScrubberBubble {{
        background: {SELECTION.name()}; color: white; border-radius: 10px; padding: 3px 10px;
        font-weight: 600;
    }}
    QWidget#DetailsPanel {{ background: {sidebar.name()}; }}
    QFrame#Separator {{ color: {rgba(border)}; }}
    QPushButton#Primary {{
        background: {SELECTION.name()}; color: white; border: none; border-radius: 8px; padding: 8px 18px;
        font-weight: 600;
    }}
    QPushButton#Primary:hover {{ background: {SELECTION.darker(110).name()}; }}
    QStatusBar QLabel {{ padding: 0 6px; }}
    """
