"""The window behaving like a photo app: headings and counts, the sidebar's
order, the full-window viewer with its controls, rotation and captions."""

from __future__ import annotations

import pytest

from tests.helpers import open_settings_dialog

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import Qt

from photoorg.gui.sidebar import Scope, Sidebar, SidebarEntry
from photoorg.roots import add_root
from tests.test_gui import db_photo, select_row, wait_grid, wait_indexed

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, make_window, tiny_model, photo_folder):
    add_root(tiny_model.db, photo_folder)
    window = make_window(tiny_model)
    wait_indexed(qtbot, window)
    wait_grid(qtbot, window, lambda n: n == 5)
    return window


def test_heading_and_status_bar_count_what_is_shown(qtbot, window):
    qtbot.waitUntil(lambda: window.photo_app.heading.text() == "All photos · 5 photos", timeout=10_000)
    assert window.status.count_label.text() == "5 photos"
    assert not window.search.sort.isVisible() and not window.search.cutoff.isVisible()
    window.sidebar.select_scope(Scope("year", 2019, "2019"))
    qtbot.waitUntil(lambda: window.photo_app.heading.text() == "2019 · 2 photos", timeout=10_000)
    assert window.status.count_label.text() == "2 photos", "the status bar counts what the grid shows"
    window.search.set_text("beach")
    qtbot.waitUntil(lambda: window.photo_app.heading.text().startswith("“beach” · "), timeout=20_000)
    assert window.search.sort.isVisible() and window.search.cutoff.isVisible()
    assert window.status.count_label.text().endswith("results") or window.status.count_label.text().endswith(
        "result"
    )
    assert window.grid.sections_enabled is False, "no date headers over results ranked by relevance"


def test_sidebar_order_follows_use(window):
    shown = [
        window.sidebar.topLevelItem(i).text(0)
        for i in range(window.sidebar.topLevelItemCount())
        if not window.sidebar.topLevelItem(i).isHidden()
    ]
    assert shown.index("LIBRARY") < shown.index("ALBUMS") < shown.index("FOLDERS") < shown.index("TIMELINE")
    # The capabilities' sections take their places among the library's own.
    assert window.sidebar.section_keys() == [
        "library", "people", "places", "albums", "tags", "events", "folders", "timeline", "clean-up",
        "groups",
    ]  # fmt: skip


def test_long_sections_collapse_with_show_all(qtbot):
    from photoorg.gui.app import create_app

    create_app()
    sidebar = Sidebar()
    qtbot.addWidget(sidebar)
    sidebar.add_section("events", "Events", 60)  # a capability's section
    entries = [SidebarEntry(f"Event {i}", Scope("event", i, f"Event {i}"), i) for i in range(20)]
    sidebar.set_section("events", entries)
    header = sidebar._sections["events"]
    labels = [header.child(i).text(0) for i in range(header.childCount())]
    assert labels[:8] == [f"Event {i}" for i in range(8)] and labels[8] == "Show all 20" and len(labels) == 9
    assert header.child(0).toolTip(0) == "Event 0", "a cut-off name is readable in its tooltip"
    sidebar._clicked(header.child(8), 0)
    assert header.childCount() == 21 and header.child(20).text(0) == "Show fewer"
    sidebar._clicked(header.child(20), 0)
    assert header.childCount() == 9
    # The selected entry is never hidden in the collapsed part.
    sidebar.show_all("events")
    assert sidebar.select_scope(Scope("event", 15, "Event 15"), emit=False)
    sidebar._expanded_sections.clear()
    sidebar.set_section("events", entries)
    assert sidebar.current_scope().value == 15


def test_viewer_takes_the_window_and_its_controls_work(qtbot, window, tiny_model):
    select_row(window, 0)
    photo_id = window.model.rows[0].id
    window.open_viewer(photo_id)
    qtbot.waitUntil(lambda: window.viewer.canvas.pixmap is not None, timeout=10_000)
    assert not window.sidebar.isVisible() and not window.details.isVisible()
    controls = window.photo_app.controls
    assert controls.title.text().startswith(window.model.rows[0].name)

    qtbot.keyClick(window.viewer.canvas, Qt.Key.Key_I)
    assert window.details.isVisible(), "I shows the information panel"
    controls.buttons["rotate"].click()
    qtbot.waitUntil(lambda: db_photo(tiny_model, photo_id).rotation == 90, timeout=10_000)
    qtbot.waitUntil(lambda: window.viewer.canvas.rotation == 90, timeout=10_000)
    controls.buttons["favourite"].click()
    qtbot.waitUntil(lambda: db_photo(tiny_model, photo_id).favorite, timeout=10_000)
    # A photo not decoded in advance: the grid's thumbnail shows at once, never a blank frame.
    last = len(window.viewer.rows) - 1
    assert not any(key[0] == window.viewer.rows[last].path for key in window.viewer._images)
    window.viewer.show_position(last)
    assert window.viewer.canvas.pixmap is not None
    window.viewer.show_position(0)
    controls.next_button.click()
    assert window.viewer.position == 1
    controls.buttons["boxes"].click()
    assert window.viewer.canvas.show_overlays is False

    controls.fade_out()
    qtbot.waitUntil(lambda: controls.effects[0].opacity() == 0.0, timeout=3_000)
    controls.wake()
    qtbot.waitUntil(lambda: controls.effects[0].opacity() == 1.0, timeout=3_000)
    controls.buttons["slideshow"].click()
    assert controls.slideshow_running
    controls.slideshow_step.emit()
    assert window.viewer.position == 2
    controls.buttons["back"].click()
    assert window.pages.currentWidget() is window.grid_page
    assert not controls.slideshow_running
    assert window.sidebar.isVisible() and window.details.isVisible()
    # The original file is untouched; the grid shows the photo turned.
    row = window.model.rows[window.model.row_for_id(photo_id)]
    assert row.rotation == 90


def test_caption_is_saved_from_the_details_panel(qtbot, window, tiny_model):
    select_row(window, 0)
    photo_id = window.model.rows[0].id
    qtbot.waitUntil(lambda: window.details.caption.photo_id == photo_id, timeout=10_000)
    window.details.caption.setText("Grandma's garden")
    window.details.caption.editingFinished.emit()
    qtbot.waitUntil(lambda: db_photo(tiny_model, photo_id).caption == "Grandma's garden", timeout=10_000)


def test_square_or_justified_is_remembered(qtbot, window):
    window.photo_app.mode_button.click()
    assert window.grid.square is True
    assert window.settings.value("grid/square", type=bool) is True


def test_theme_is_chosen_in_settings_and_applied_at_once(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QApplication

    from photoorg.gui.app import saved_theme
    from photoorg.gui.theme import is_dark

    dialog = open_settings_dialog(window)
    qtbot.addWidget(dialog)
    assert [dialog.theme_choice.itemData(i) for i in range(dialog.theme_choice.count())] == [
        "system",
        "light",
        "dark",
    ]
    try:
        window.photo_app.apply_theme("dark")
        assert is_dark(QApplication.palette()) and saved_theme() == "dark"
        window.photo_app.apply_theme("light")
        assert not is_dark(QApplication.palette()) and saved_theme() == "light"
    finally:
        window.photo_app.apply_theme("system")


def test_details_name_the_place_with_the_coordinates_one_click_away():
    from photoorg.gui.details import detail_rows

    # "place" as the places capability's detail provider adds it to photo_details.
    details = {
        "size": 2048,
        "modified": "2019-07-14T16:30:05",
        "taken_at": "2019-07-14T16:30:05",
        "gps": {"lat": 43.4674483, "lon": 11.8851267, "alt": None},
        "place": {"city": "Arezzo", "region": "Tuscany", "country": "Italy", "country_code": "IT"},
    }
    place = dict(detail_rows(details))["Place"]
    assert place.startswith("Arezzo, Italy ") and 'href="coordinates"' in place and "43.46745" not in place
    # A photo with GPS the gazetteer could not name shows the coordinates themselves.
    assert dict(detail_rows({**details, "place": None}))["Place"].startswith("43.46745, 11.88513 ")
