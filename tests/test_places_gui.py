"""Places and text in the app: the sidebar section, the map and its clusters,
and the text panel, installed through the GUI extension interface."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets")

from photoorg.gui.features.map_view import MapPage, clusters_at
from photoorg.gui.features.text import matched, text_section
from photoorg.gui.sidebar import Scope
from photoorg.roots import add_root
from tests.test_gui import wait_grid, wait_indexed
from tests.test_tags_gui import _sidebar_labels


def test_clusters_merge_from_afar_and_split_up_close():
    paris = [(1, 48.85, 2.35), (2, 48.86, 2.30), (3, 48.80, 2.45)]
    lisbon = [(4, 38.71, -9.14)]
    world = clusters_at(paris + lisbon, scale=2.0)  # 2 px a degree: the whole world on screen
    assert sorted(c.count for c in world) == [1, 3]
    close = clusters_at(paris, scale=20_000.0)  # a few km across the screen
    assert len(close) == 3
    [city] = [c for c in world if c.count == 3]
    south, west, north, east = city.bounds
    assert (south, west, north, east) == (48.80, 2.30, 48.86, 2.45)


def test_places_section_map_and_cluster_show_the_photos(qtbot, make_window, library, photo_folder):
    add_root(library.db, photo_folder)
    window = make_window(library)
    wait_indexed(qtbot, window)
    wait_grid(qtbot, window, lambda n: n == 5)
    qtbot.waitUntil(lambda: "Arezzo" in _sidebar_labels(window, "PLACES"), timeout=20_000)
    assert _sidebar_labels(window, "PLACES")[:2] == ["Map", "Italy"]

    window.sidebar.select_scope(Scope("place", "Arezzo", "Arezzo, Italy"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    assert window.model.rows[0].path.endswith("beach.jpg")

    window.sidebar.select_scope(Scope("map", None, "Map"))
    page = next(p for p in window.findChildren(MapPage))
    qtbot.waitUntil(lambda: page.isVisible() and len(page.canvas._clusters) == 1, timeout=10_000)
    assert "1 photo" in page.heading.text()
    page.canvas.cluster_clicked.emit(page.canvas._clusters[0])
    qtbot.waitUntil(lambda: window.grid.isVisible() and window.model.rowCount() == 1, timeout=10_000)
    assert window.model.rows[0].path.endswith("beach.jpg")


def test_text_panel_is_selectable_and_matches_fold_accents(qtbot):
    assert matched("Café Lisboa", ["cafe"]) and not matched("Café Lisboa", ["porto"])
    assert text_section({"text": []}) is None
    box = text_section({"text": [{"text": "TOTAL 12.50", "box": [0, 0, 10, 10], "confidence": 0.9}]})
    qtbot.addWidget(box)
    from PySide6.QtWidgets import QPlainTextEdit

    view = box.findChild(QPlainTextEdit)
    assert view.isReadOnly() and view.toPlainText() == "TOTAL 12.50"
