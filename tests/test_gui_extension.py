"""A capability plugs into the window through the AppContext alone, and the
GUI-thread guard that every window test runs under really catches blocking work."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu

from photoorg import browse
from photoorg.gui import main_window
from photoorg.gui.extension import AppContext
from photoorg.gui.sidebar import Scope, SidebarEntry
from photoorg.roots import add_root
from tests.gui_guard import no_blocking_work_on_the_gui_thread
from tests.test_gui import wait_grid, wait_indexed

pytestmark = pytest.mark.gui


class ToyPage(QLabel):
    def __init__(self) -> None:
        super().__init__("Toys")
        self.shown: list[Scope] = []

    def show_scope(self, scope: Scope) -> None:
        self.shown.append(scope)

    def refresh(self) -> None:
        pass


class ToyCapability:
    """What the next capability (places, text in photos...) would look like."""

    def install(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.section_threads: list[str] = []
        self.marked: list[list[int]] = []
        self.page = ToyPage()
        ctx.add_page("toy", self.page)
        ctx.add_sidebar_section("toys", "Toys", self.entries, order=90)
        ctx.add_shortcut("Y", "Mark as a toy", self.mark, listed_after="F")
        ctx.add_photo_action(self.photo_menu)

    def entries(self, library) -> list[SidebarEntry]:
        self.section_threads.append(threading.current_thread().name)
        count = browse.counts(library.db)["all"]
        return [SidebarEntry("Teddy", Scope("toy", 1, "Teddy"), count, "heart")]

    def mark(self) -> None:
        self.marked.append(self.ctx.selected_ids())

    def photo_menu(self, menu: QMenu, photo_ids: list[int]) -> None:
        menu.addAction(f"Play with {len(photo_ids)} photo(s)", lambda: None)


def test_a_toy_capability_adds_a_section_a_page_a_shortcut_and_a_menu_action(
    qtbot, make_window, tiny_model, photo_folder, monkeypatch
):
    monkeypatch.setattr(main_window, "CAPABILITIES", (*main_window.CAPABILITIES, ToyCapability))
    add_root(tiny_model.db, photo_folder)
    window = make_window(tiny_model)
    toy = next(c for c in window.capabilities if isinstance(c, ToyCapability))
    assert isinstance(toy.ctx, AppContext) and not isinstance(toy.ctx, QMainWindow)
    wait_indexed(qtbot, window)
    wait_grid(qtbot, window, lambda n: n == 5)

    # The sidebar section, built off the GUI thread, placed after the others.
    def toy_items():
        headers = [window.sidebar.topLevelItem(i) for i in range(window.sidebar.topLevelItemCount())]
        header = next(h for h in headers if h.text(0) == "TOYS")
        return header, [header.child(j).text(0) for j in range(header.childCount())]

    qtbot.waitUntil(lambda: toy_items()[1] == ["Teddy"], timeout=10_000)
    header, _ = toy_items()
    assert window.sidebar.indexOfTopLevelItem(header) == window.sidebar.topLevelItemCount() - 1
    assert toy.section_threads and all(name.startswith("photoorg-task") for name in toy.section_threads)

    # Its page shows for its scope, instead of the grid.
    window.sidebar.select_scope(Scope("toy", 1, "Teddy"))
    assert window.pages.currentWidget() is toy.page
    assert toy.page.shown == [Scope("toy", 1, "Teddy")]
    window.sidebar.select_scope(Scope("all", None, "All photos"))
    assert window.pages.currentWidget() is window.grid_page

    # The shortcut acts on the selection from the grid and is listed after F.
    window.grid.setFocus()
    window.grid.selectionModel().setCurrentIndex(
        window.model.index(0), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    qtbot.keyClick(window.grid, Qt.Key.Key_Y)
    assert toy.marked == [[window.model.rows[0].id]]
    keys = [k for k, _ in window.shortcuts()]
    assert keys[keys.index("F") + 1] == "Y"

    # Its action is in the photo menu.
    menu = window.actions_.build_photo_menu([window.model.rows[0].id])
    assert "Play with 1 photo(s)" in [action.text() for action in menu.actions()]


def test_the_guard_catches_gui_code_reading_the_database_on_the_gui_thread(library, photo_folder):
    from photoorg.gui.settings_dialog import load_settings

    add_root(library.db, photo_folder)
    with no_blocking_work_on_the_gui_thread() as violations:
        library.db.get_setting("anything")  # a test checking a result: not the app
        worker = threading.Thread(target=load_settings, args=(library,), name="photoorg-check")
        worker.start()
        worker.join()
        assert violations == []  # off the GUI thread is where it belongs
        load_settings(library)  # GUI code on the GUI thread: caught
    kinds = {v.splitlines()[0] for v in violations}
    assert "a database connection on the GUI thread:" in kinds
    assert "posixpath.isdir on the GUI thread:" in kinds  # a root's folder checked on disk
