"""Located objects in the real main window: labelled boxes with their
confidence in the viewer, hidden and shown with B, and the details panel's
Objects section; screenshots of the viewer in both themes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets")
pytest.importorskip("skimage")

from PIL import Image
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication, QLabel

from photoorg.gui.app import apply_look
from photoorg.objects.store import SOURCE_DETECTOR, SOURCE_TILE, LocatedObject, save_objects
from photoorg.photos import find_photo
from photoorg.roots import add_root

pytestmark = pytest.mark.gui


def test_viewer_shows_labelled_object_boxes_and_b_toggles_them(qtbot, make_window, library, tmp_path):
    skimage_data = pytest.importorskip("skimage.data")
    folder = tmp_path / "Photos"
    folder.mkdir()
    Image.fromarray(skimage_data.chelsea()).save(folder / "chelsea.jpg", quality=92)
    add_root(library.db, folder)
    window = make_window(library)
    with qtbot.waitSignal(window.indexing_finished, timeout=300_000):
        pass
    photo = find_photo(library.db, folder / "chelsea.jpg")
    with library.db.transaction() as s:
        save_objects(
            s, photo.id, SOURCE_DETECTOR, [LocatedObject("cat", (60, 20, 300, 270), 0.91, SOURCE_DETECTOR)]
        )
        save_objects(
            s, photo.id, SOURCE_TILE, [LocatedObject("tabby cat", (0, 0, 270, 180), 0.55, SOURCE_TILE)]
        )
    window.refresh_all()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=20_000)

    window.grid.selectionModel().setCurrentIndex(
        window.model.index(0), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    qtbot.waitUntil(lambda: window.details.findChild(QLabel, "PhotoObjects") is not None, timeout=20_000)
    assert "cat 91%" in window.details.findChild(QLabel, "PhotoObjects").text()
    out = Path(os.environ.get("PHOTOORG_SCREENSHOTS") or tmp_path)
    for theme in ("light", "dark"):
        apply_look(QApplication.instance(), theme)
        qtbot.wait(200)
        assert window.grab().save(str(out / f"details-objects-{theme}.png"))

    window.open_viewer(photo.id)
    canvas = window.viewer.canvas
    qtbot.waitUntil(lambda: "cat 91%" in [box[4] for box in canvas.overlays], timeout=20_000)
    assert (60, 20, 300, 270, "cat 91%") in canvas.overlays
    assert (0, 0, 270, 180, "tabby cat 55%") in canvas.overlays
    qtbot.waitUntil(lambda: canvas.pixmap is not None, timeout=20_000)
    for theme in ("light", "dark"):
        apply_look(QApplication.instance(), theme)
        qtbot.wait(200)
        assert window.grab().save(str(out / f"viewer-objects-{theme}.png"))
    apply_look(QApplication.instance(), "light")
    qtbot.keyClick(window.viewer, Qt.Key.Key_B)
    assert not canvas.show_overlays
    qtbot.keyClick(window.viewer, Qt.Key.Key_B)
    assert canvas.show_overlays
    qtbot.keyClick(window.viewer, Qt.Key.Key_Escape)


def test_the_detector_is_offered_on_all_photos_and_adopted_from_a_file(qtbot, make_window, library, tmp_path):
    torch = pytest.importorskip("torch")
    from PySide6.QtWidgets import QMenu

    from photoorg.gui.features.objects import ObjectsGui
    from photoorg.gui.sidebar import ALL
    from photoorg.objects import detector

    weights = tmp_path / "ssdlite.pth"
    torch.manual_seed(0)
    torch.save(detector.build_untrained().state_dict(), weights)  # made by the test, loaded for real
    window = make_window(library)
    gui = next(c for c in window.capabilities if isinstance(c, ObjectsGui))
    menu = QMenu(window)
    gui._sidebar_menu(menu, ALL)
    assert [a.text() for a in menu.actions()] == ["Object detector…"]

    gui._adopt(weights)  # what "Use a file…" does with the chosen file
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage().startswith("Object detector on"), timeout=60_000
    )
    assert detector.detector_choice(library.db).weights == weights.resolve()
