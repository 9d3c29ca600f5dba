"""People in the real main window, driven like a user would: the People
view, naming a person inline, their photos in the grid, face boxes in the
viewer, the details panel, and the review screen."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

pytest.importorskip("PySide6.QtWidgets")
pytest.importorskip("dlib")
pytest.importorskip("skimage")

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QInputDialog, QLabel, QLineEdit
from sqlalchemy import select

from photoorg.faces import people
from photoorg.gui.sidebar import ALL
from photoorg.roots import add_root, list_roots
from photoorg.store.schema import Face, Person, Photo
from tests.faces_helpers import portrait_folder

pytestmark = pytest.mark.gui


@pytest.fixture
def indexed(qtbot, make_window, library, tmp_path):
    """A window over a library of three photos of the astronaut and a cat,
    indexed by the window itself."""
    add_root(library.db, portrait_folder(tmp_path / "Photos"))
    window = make_window(library)
    with qtbot.waitSignal(window.indexing_finished, timeout=180_000):
        pass
    return window


def sidebar_texts(window) -> list[str]:
    texts = []
    for i in range(window.sidebar.topLevelItemCount()):
        header = window.sidebar.topLevelItem(i)
        texts.append(header.text(0))
        texts.extend(header.child(j).text(0) for j in range(header.childCount()))
    return texts


def people_gui(window):
    """The installed People capability (found the way the window lists it)."""
    from photoorg.gui.features.people import PeopleGui

    return next(c for c in window.capabilities if isinstance(c, PeopleGui))


def person_named(library, name):
    with library.db.session() as s:
        return s.scalar(select(Person).where(Person.name == name))


def test_people_view_name_inline_and_see_their_photos(qtbot, indexed, library):
    window = indexed
    qtbot.waitUntil(lambda: "All people" in sidebar_texts(window), timeout=10_000)
    assert "PEOPLE" in sidebar_texts(window)

    # The People view: one card, for the astronaut, with her face cut from the photo.
    controller = people_gui(window)
    controller.open_people()
    page = controller.people_page
    assert window.pages.currentWidget() is page
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10_000)
    card = page.model.people[0]
    assert card.name is None and card.photo_count == 3 and card.face_count == 3
    qtbot.waitUntil(lambda: any((library.paths.root / "faces").rglob("*.jpg")), timeout=10_000)
    qtbot.waitUntil(lambda: controller.crops.pixmap(card.cover) is not None, timeout=10_000)

    # Click the name, type one, Enter.
    view = page.view
    index = page.model.index(0)
    rect = view.visualRect(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.delegate.name_rect(rect).center())
    editor = view.viewport().findChild(QLineEdit)
    assert editor is not None and editor.isVisible()
    qtbot.keyClicks(editor, "Eileen")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: person_named(library, "Eileen") is not None, timeout=10_000)
    qtbot.waitUntil(lambda: "Eileen" in sidebar_texts(window), timeout=10_000)
    qtbot.waitUntil(
        lambda: page.model.rowCount() == 1 and page.model.people[0].name == "Eileen", timeout=10_000
    )

    # Click the face: the grid shows her photos.
    rect = view.visualRect(page.model.index(0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.delegate.face_rect(rect).center())
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.grid_page, timeout=10_000)
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=10_000)
    assert window.scope.kind == "person"
    assert sorted(r.name for r in window.model.rows) == [
        "astronaut.jpg",
        "astronaut_exif8.jpg",
        "mirrored.jpg",
    ]

    # The search field: person: with the other filters, from All photos.
    window.sidebar.select_scope(ALL)
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=10_000)
    window.search.set_text("person:Eileen")
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=10_000)
    root = list_roots(library.db)[0].path
    window.search.set_text(f"person:Eileen folder:{root}/sideways")
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    window.search.set_text("person:Nobody")
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=10_000)
    window.search.set_text("")
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=10_000)

    # The details panel names the people in the selected photo.
    row = next(i for i, r in enumerate(window.model.rows) if r.name == "mirrored.jpg")
    window.grid.selectionModel().setCurrentIndex(
        window.model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    qtbot.waitUntil(lambda: window.details.findChild(QLabel, "PeopleInPhoto") is not None, timeout=10_000)
    label = window.details.findChild(QLabel, "PeopleInPhoto")
    assert "Eileen" in label.text()

    # The viewer draws her face with her name; B hides the boxes.
    window.open_viewer(window.model.rows[row].id)
    canvas = window.viewer.canvas
    # (the objects capability may add its own labelled boxes beside the face's)
    qtbot.waitUntil(lambda: any(box[4] == "Eileen" for box in canvas.overlays), timeout=10_000)
    faces = [box for box in canvas.overlays if box[4] == "Eileen" or not box[4]]
    assert len(faces) == 1
    x, _, w, _, name = faces[0]
    assert name == "Eileen" and 300 < x < 420 and w > 100
    qtbot.waitUntil(lambda: canvas.pixmap is not None, timeout=10_000)
    qtbot.keyClick(window.viewer, Qt.Key.Key_B)
    assert not canvas.show_overlays
    qtbot.keyClick(window.viewer, Qt.Key.Key_Escape)

    # Her faces: select one that is someone else, "Not Eileen".
    controller.open_faces(card.id, "Eileen")
    faces_page = controller.faces_page
    assert window.pages.currentWidget() is faces_page
    qtbot.waitUntil(lambda: len(faces_page.tiles) == 3, timeout=10_000)
    tile = next(t for t in faces_page.tiles if t.face.path.endswith("mirrored.jpg"))
    qtbot.mouseClick(tile.image, Qt.MouseButton.LeftButton)
    assert faces_page.not_button.isEnabled() and "Not Eileen" in faces_page.not_button.text()
    qtbot.mouseClick(faces_page.not_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _face(library, tile.face.id).person_id is None, timeout=10_000)
    qtbot.waitUntil(lambda: len(faces_page.tiles) == 2, timeout=10_000)

    # Hide her: the People view is empty unless hidden people are shown.
    controller.hide([card.id])
    qtbot.waitUntil(lambda: person_named(library, "Eileen").hidden, timeout=10_000)
    controller.open_people()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=10_000)
    page.show_hidden.setChecked(True)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.model.people[0].hidden, timeout=10_000)


def _add_face(library, photo_name: str, descriptor: np.ndarray, x: int) -> int:
    with library.db.transaction() as s:
        photo_id = s.scalar(select(Photo.id).where(Photo.path.like(f"%/{photo_name}")))
        face = Face(
            photo_id=photo_id,
            x=x,
            y=60,
            w=100,
            h=100,
            descriptor=descriptor.astype(np.float32),
            landmarks=None,
            quality=0.6,
            detector="hog",
            created_at=datetime.now(),
        )
        s.add(face)
        s.flush()
        return face.id


def test_review_screen_accepts_suggestions_and_names_unknown_faces(qtbot, indexed, library, monkeypatch):
    window = indexed
    with library.db.session() as s:
        person = s.scalar(select(Person))
        vectors = [
            np.asarray(v) for v in s.scalars(select(Face.descriptor).where(Face.person_id == person.id))
        ]
    people.name_person(library.db, person.id, "Eileen")
    # Two more faces on the cat photo: one that looks a bit like her (too far
    # to be placed on its own), and a stranger.
    rng = np.random.default_rng(3)
    noise = rng.normal(size=128)
    lookalike = _add_face(library, "cat.jpg", vectors[0] + noise / np.linalg.norm(noise) * 0.55, 40)
    stranger = _add_face(library, "cat.jpg", rng.normal(size=128) * 0.07, 300)
    from photoorg.faces.cluster import cluster_faces

    cluster_faces(library.db)  # as after an index run

    controller = people_gui(window)
    controller.open_review()
    page = controller.review_page
    assert window.pages.currentWidget() is page
    qtbot.waitUntil(lambda: len(page.tiles) == 2, timeout=10_000)
    suggestion = next(t for t in page.tiles if t.face.id == lookalike)
    assert "Is this <b>Eileen</b>?" in suggestion.caption.text()
    yes = next(b for b in suggestion.findChildren(type(suggestion.image)) if b.text() == "Yes")
    qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _face(library, lookalike).assigned_by == "user", timeout=10_000)
    assert _face(library, lookalike).person_id == person.id
    qtbot.waitUntil(lambda: [t.face.id for t in page.tiles] == [stranger], timeout=10_000)

    # Select the stranger, "Name selected…", type a new name: a new person.
    tile = page.tiles[0]
    qtbot.mouseClick(tile.image, Qt.MouseButton.LeftButton)
    assert page.selected == {stranger} and page.name_button.isEnabled()
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("Grandpa", True))
    qtbot.mouseClick(page.name_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: person_named(library, "Grandpa") is not None, timeout=10_000)
    grandpa = person_named(library, "Grandpa")
    assert _face(library, stranger).person_id == grandpa.id
    qtbot.waitUntil(lambda: page.tiles == [] and page.empty.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: "Grandpa" in sidebar_texts(window), timeout=10_000)

    # "Not this person" from a photo's people (the photo menu's action).
    controller.not_this_person([stranger])
    qtbot.waitUntil(lambda: _face(library, stranger).person_id is None, timeout=10_000)
    assert person_named(library, "Grandpa") is not None  # a named person stays, even without faces


def _face(library, face_id):
    with library.db.session() as s:
        return s.get(Face, face_id)
