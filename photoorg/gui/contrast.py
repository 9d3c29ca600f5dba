"""WCAG 2 contrast of the app's text colours, in both themes.

``text_pairs`` lists every text colour the app draws and the surface it is
drawn on (the palette's roles, the stylesheet's muted text and sidebar, the
selection, the viewer's bars over a white photo); the tests require 4.5:1,
WCAG AA for normal text, for each.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

from photoorg.gui.theme import SELECTION, surface_colours

AA_TEXT = 4.5


def _channel(value: float) -> float:
    value /= 255.0
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: QColor) -> float:
    return (
        0.2126 * _channel(colour.red()) + 0.7152 * _channel(colour.green()) + 0.0722 * _channel(colour.blue())
    )


def over(top: QColor, bottom: QColor) -> QColor:
    """``top`` (possibly translucent) painted on an opaque ``bottom``."""
    a = top.alphaF()
    return QColor(
        round(top.red() * a + bottom.red() * (1 - a)),
        round(top.green() * a + bottom.green() * (1 - a)),
        round(top.blue() * a + bottom.blue() * (1 - a)),
    )


def contrast_ratio(foreground: QColor, background: QColor) -> float:
    """(L1 + 0.05) / (L2 + 0.05), from 1 to 21; a translucent foreground is blended first."""
    shown = over(foreground, background)
    lighter, darker = sorted((relative_luminance(shown), relative_luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_pairs(palette: QPalette) -> list[tuple[str, QColor, QColor]]:
    """(what, text colour, background) for the text the app draws."""
    role = palette.color
    R = QPalette.ColorRole
    surfaces = surface_colours(palette)
    window, base, sidebar = role(R.Window), role(R.Base), surfaces["sidebar"]
    muted = surfaces["muted"]
    white = QColor("white")
    viewer_bar = over(QColor(0, 0, 0, 150), white)  # the bar over the brightest photo
    return [
        ("window text on window", role(R.WindowText), window),
        ("text on base (grid headers, fields)", role(R.Text), base),
        ("button text on button", role(R.ButtonText), role(R.Button)),
        ("sidebar and details text", role(R.WindowText), sidebar),
        ("muted text on window", muted, window),
        ("muted text on base", muted, base),
        ("muted text on sidebar and details", muted, sidebar),
        ("placeholder on base", role(R.PlaceholderText), base),
        ("link on window", role(R.Link), window),
        ("link on sidebar", role(R.Link), sidebar),
        ("highlighted text on highlight", role(R.HighlightedText), role(R.Highlight)),
        ("white on the selection colour (sidebar, buttons, scrubber)", white, SELECTION),
        ("tooltip text on tooltip", role(R.ToolTipText), role(R.ToolTipBase)),
        ("viewer controls on a white photo", QColor("#f5f5f5"), viewer_bar),
    ]
