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
