"""Live Text: the lines read in a photo are selected and copied on the photo itself."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtWidgets import QApplication

from photoorg.roots import add_root
from photoorg.text.store import StoredLine, save_lines
from tests.test_gui import select_row, wait_grid, wait_indexed

pytestmark = pytest.mark.gui

LINES = ("OPEN DAILY", "Bakery Lisboa", "Pastéis 1,20 €")


@pytest.fixture
def viewer_with_text(qtbot, make_window, tiny_model, photo_folder):
    add_root(tiny_model.db, photo_folder)
    window = make_window(tiny_model)
    wait_indexed(qtbot, window)
    wait_grid(qtbot, window, lambda n: n == 5)
    select_row(window, 0)
    row = window.model.rows[0]
    # Three lines, one under the other, in the photo's full-size pixels.
    lines = [
        StoredLine(text, (20, 20 + 60 * i, max(40, row.width // 2), 40), 0.95) for i, text in enumerate(LINES)
    ]
    with tiny_model.db.transaction() as s:
        save_lines(s, row.id, lines)
    window.open_viewer(row.id)
    canvas = window.viewer.canvas
    qtbot.waitUntil(lambda: len(canvas.overlays) == 3 and canvas.pixmap is not None, timeout=10_000)
    QGuiApplication.clipboard().clear()
    return window, canvas


def _send(canvas, kind, point: QPointF, modifiers=Qt.KeyboardModifier.NoModifier):
    left = Qt.MouseButton.LeftButton
    button = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseMove else left
    buttons = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseButtonRelease else left
    QApplication.sendEvent(
        canvas, QMouseEvent(kind, point, canvas.mapToGlobal(point), button, buttons, modifiers)
    )


def test_lines_are_selected_on_the_photo_and_copied(qtbot, viewer_with_text):
    _window, canvas = viewer_with_text
    rects = canvas.overlay_rects()
    assert [box[5] for box in canvas.overlays] == list(LINES)  # each box carries its line

    # A click on a line selects it; Ctrl+C copies it, not the file's path (the window's Ctrl+C).
    _send(canvas, QMouseEvent.Type.MouseButtonPress, rects[1].center())
    _send(canvas, QMouseEvent.Type.MouseButtonRelease, rects[1].center())
    assert canvas.text_selection.selected == {1}
    qtbot.keyClick(canvas, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "Bakery Lisboa"

    # A drag from the first line down to the third selects all three, in reading order.
    _send(canvas, QMouseEvent.Type.MouseButtonPress, rects[0].center())
    _send(canvas, QMouseEvent.Type.MouseMove, rects[1].center())
    _send(canvas, QMouseEvent.Type.MouseMove, rects[2].center())
    _send(canvas, QMouseEvent.Type.MouseButtonRelease, rects[2].center())
    assert canvas.text_selection.selected == {0, 1, 2}
    qtbot.keyClick(canvas, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "\n".join(LINES)

    # Shift+click extends from the line clicked first.
    _send(canvas, QMouseEvent.Type.MouseButtonPress, rects[2].center())
    _send(canvas, QMouseEvent.Type.MouseButtonRelease, rects[2].center())
    shift = Qt.KeyboardModifier.ShiftModifier
    _send(canvas, QMouseEvent.Type.MouseButtonPress, rects[1].center(), shift)
    _send(canvas, QMouseEvent.Type.MouseButtonRelease, rects[1].center(), shift)
    assert canvas.text_selection.selected == {1, 2}


def test_a_click_off_the_text_clears_and_esc_keeps_the_viewer_open(qtbot, viewer_with_text):
    window, canvas = viewer_with_text
    rects = canvas.overlay_rects()
    _send(canvas, QMouseEvent.Type.MouseButtonPress, rects[0].center())
    _send(canvas, QMouseEvent.Type.MouseButtonRelease, rects[0].center())
    # Esc first clears the selection; the viewer stays.
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert not canvas.text_selection.selected
    assert window.pages.currentWidget() is window.viewer
    _send(canvas, QMouseEvent.Type.MouseButtonPress, rects[0].center())
    _send(canvas, QMouseEvent.Type.MouseButtonRelease, rects[0].center())
    outside = QPointF(canvas.width() - 5, canvas.height() - 5)
    _send(canvas, QMouseEvent.Type.MouseButtonPress, outside)
    _send(canvas, QMouseEvent.Type.MouseButtonRelease, outside)
    assert not canvas.text_selection.selected
    # With nothing selected, Ctrl+C is the window's "Copy path" again.
    qtbot.keyClick(canvas, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text().endswith(window.viewer.current.name)
    # Hidden boxes can't be selected.
    canvas.show_overlays = False
    _send(canvas, QMouseEvent.Type.MouseButtonPress, rects[0].center())
    assert not canvas.text_selection.selected
