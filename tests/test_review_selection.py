"""Selecting several faces on the review page: the hint, Shift+click runs,
Ctrl+A and "Select all similar"."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import Qt

from photoorg.faces.similar import similar_unknown_faces
from tests.faces_helpers import Faces
from tests.test_people_gui import people_gui

pytestmark = pytest.mark.gui


@pytest.fixture
def unknown_faces(library):
    faces = Faces(library.db)
    ann = [faces.face(faces.photo(), "ann") for _ in range(3)]
    bob = [faces.face(faces.photo(), "bob") for _ in range(2)]
    return ann, bob


def test_similar_unknown_faces_finds_the_same_person(library, unknown_faces):
    ann, _bob = unknown_faces
    found = similar_unknown_faces(library.db, [ann[0]], threshold=0.6)
    assert sorted(found) == sorted(ann) and found[0] == ann[0]
    assert similar_unknown_faces(library.db, [], threshold=0.6) == []


def test_review_page_selects_several_faces(qtbot, make_window, library, unknown_faces, tmp_path):
    from photoorg.roots import add_root

    ann, bob = unknown_faces
    (tmp_path / "folder").mkdir()
    add_root(library.db, tmp_path / "folder")  # a library with a folder: no welcome page
    window = make_window(library)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.grid_page, timeout=10_000)
    controller = people_gui(window)
    controller.open_review()
    page = controller.review_page
    qtbot.waitUntil(lambda: len(page.tiles) == 5, timeout=10_000)
    assert page.selection_hint.isVisible()
    assert "Shift+click" in page.selection_hint.text() and "Select all similar" in page.selection_hint.text()
    assert not page.similar_button.isEnabled()

    tile = {t.face.id: t for t in page.tiles}
    tile[ann[0]].image.click()
    assert page.selected == {ann[0]} and page.similar_button.isEnabled()
    page.select_similar()
    qtbot.waitUntil(lambda: page.selected == set(ann), timeout=10_000)
    assert all(tile[f].image.isChecked() for f in ann) and not any(tile[f].image.isChecked() for f in bob)

    # Shift+click: everything between the last face clicked and this one.
    for face in ann:
        tile[face].image.click()
    assert page.selected == set()
    order = [t.face.id for t in page.tiles]
    tile[order[0]].image.click()
    qtbot.mouseClick(tile[order[3]].image, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    assert page.selected == set(order[:4])
    assert page.name_button.text() == "Name 4 selected…"


def _mouse(widget, kind, point, buttons):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    local = QPointF(point)
    button = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    event = QMouseEvent(
        kind, local, widget.mapToGlobal(local), button, buttons, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)


def _drag(widget, start, end):
    from PySide6.QtGui import QMouseEvent

    left = Qt.MouseButton.LeftButton
    _mouse(widget, QMouseEvent.Type.MouseButtonPress, start, left)
    middle = (start + end) / 2
    _mouse(widget, QMouseEvent.Type.MouseMove, middle, left)
    _mouse(widget, QMouseEvent.Type.MouseMove, end, left)
    _mouse(widget, QMouseEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def test_a_rubber_band_selects_the_faces_it_touches(qtbot, make_window, library, unknown_faces, tmp_path):
    from PySide6.QtCore import QPoint

    from photoorg.roots import add_root

    (tmp_path / "folder").mkdir()
    add_root(library.db, tmp_path / "folder")
    window = make_window(library)
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.grid_page, timeout=10_000)
    controller = people_gui(window)
    controller.open_review()
    page = controller.review_page
    qtbot.waitUntil(lambda: len(page.tiles) == 5, timeout=10_000)
    # Laid out: the flow has placed each face (until then they all sit at 0,0).
    qtbot.waitUntil(lambda: len({t.geometry().x() for t in page.tiles}) == 5, timeout=10_000)
    assert "Drag across faces" in page.selection_hint.text()
    box = page.unknown_box
    tiles = sorted(page.tiles, key=lambda t: (t.geometry().y(), t.geometry().x()))
    assert len({t.geometry().y() for t in tiles}) == 1, "the five faces fit on one row at this size"

    # From the gap before the first face to the middle of the second: those two.
    first, second = tiles[0].geometry(), tiles[1].geometry()
    _drag(box, QPoint(first.left() - 2, first.top() + 10), second.center())
    assert page.selected == {tiles[0].face.id, tiles[1].face.id}
    assert tiles[0].image.isChecked() and not tiles[2].image.isChecked()
    assert page.name_button.text() == "Name 2 selected…"

    # Starting on a face: a drag is a band, not a click that would untick it.
    start = tiles[4].image.rect().center()
    end = tiles[4].image.mapTo(box, start) - QPoint(tiles[4].width() + tiles[3].width() // 2, 0)
    _drag(tiles[4].image, start, tiles[4].image.mapFrom(box, end))
    assert page.selected == {tiles[i].face.id for i in (0, 1, 3, 4)}
    assert not page.rubber_band.band.isVisible()

    # A plain click still toggles one face.
    tiles[4].image.click()
    assert tiles[4].face.id not in page.selected
