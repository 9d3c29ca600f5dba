"""The main window: sidebar, search, grid, details, viewer and status bar.

Everything that touches the database or a model runs off the GUI thread
(``TaskRunner``); the window only applies answers. Every action here is a call
into the core that the CLI can make too.
"""

from __future__ import annotations

import html
import logging
import os
import subprocess
import sys
from datetime import date

from PySide6.QtCore import QByteArray, QItemSelectionModel, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QSlider,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photoorg import browse, organize
from photoorg.errors import PhotoorgError
from photoorg.gui.details import DetailsPanel
from photoorg.gui.dialogs import AttentionPage, ShortcutsDialog
from photoorg.gui.grid import DEFAULT_CELL, MAX_CELL, MIN_CELL, PhotoGridModel
from photoorg.gui.grid_view import JustifiedGridView
from photoorg.gui.indexing import IndexController
from photoorg.gui.search_bar import SearchBar
from photoorg.gui.sidebar import ALL, Scope, Sidebar, SidebarEntry, folder_entries, timeline_entries
from photoorg.gui.tasks import TaskRunner
from photoorg.gui.theme import icon
from photoorg.gui.thumbnail_loader import ThumbnailLoader
from photoorg.gui.viewer import Viewer
from photoorg.gui.welcome import WelcomePage
from photoorg.library import Library
from photoorg.progress import Progress
from photoorg.resources_path import resource_path
from photoorg.roots import add_root
from photoorg.search.engine import SORT_DATE, SORT_RELEVANCE, SearchUnavailable
from photoorg.search.filters import SearchFilters

log = logging.getLogger(__name__)

SEARCH_LIMIT = 1000

SHORTCUTS = [
    ("Ctrl+F", "Search"),
    ("Enter / double-click", "Open the photo"),
    ("Esc", "Back to the grid; clear the search"),
    ("Arrow keys", "Move in the grid; previous / next in the viewer"),
    ("Shift+click, Ctrl+click, drag", "Select several photos"),
    ("Ctrl+A", "Select all"),
    ("0 – 5", "Rate the selected photos"),
    ("F", "Favourite / unfavourite"),
    ("Ctrl+D", "Add to an album"),
    ("Ctrl+Shift+F", "Find similar photos"),
    ("Ctrl+C", "Copy the file path"),
    ("Del", "Move to the system trash (asks first)"),
    ("Ctrl++ / Ctrl+- / Ctrl+wheel", "Bigger / smaller thumbnails"),
    ("Ctrl+0 / Ctrl+1", "Viewer: fit / 100%"),
    ("I", "Viewer: show or hide the information panel"),
    ("R", "Viewer: rotate clockwise (the file is not changed)"),
    ("S", "Viewer: slideshow"),
    ("B", "Viewer: show or hide face boxes"),
    ("Wheel, pinch, drag", "Viewer: zoom and pan"),
    ("F11", "Full screen"),
    ("Ctrl+O", "Add a folder"),
    ("F5", "Rescan the folders"),
    ("Ctrl+,", "Settings"),
    ("F1", "This list"),
]

# Features map their sidebar scopes to filters here (tags, people, events...).
SCOPE_FILTERS: dict = {}


def scope_filters(scope: Scope) -> SearchFilters:
    if scope.kind == "favorites":
        return SearchFilters(favorites_only=True)
    if scope.kind == "folder":
        return SearchFilters(folder=scope.value)
    if scope.kind == "year":
        return SearchFilters(date_from=date(scope.value, 1, 1), date_to=date(scope.value, 12, 31))
    if scope.kind == "month":
        from photoorg.search.query import parse_date

        year, month = scope.value
        text = f"{year}-{month:02d}"
        return SearchFilters(date_from=parse_date(text), date_to=parse_date(text, end=True))
    if scope.kind == "album":
        return SearchFilters(album_id=scope.value)
    if scope.kind in SCOPE_FILTERS:
        return SCOPE_FILTERS[scope.kind](scope)
    return SearchFilters()


class MainWindow(QMainWindow):
    #: an indexing run finished (tests wait for this)
    indexing_finished = Signal(object)
    #: the grid shows new content (after a scope change, a search, or indexing)
    grid_updated = Signal()

    def __init__(self, library: Library, settings: QSettings | None = None) -> None:
        super().__init__()
        self.library = library
        self.settings = settings or QSettings("photoorg", "photoorg")
        self.setWindowTitle("photoorg")
        self.setWindowIcon(QIcon(str(resource_path("photoorg.svg"))))
        self.tasks = TaskRunner(threads=3, name="photoorg-task", parent=self)
        self.loader = ThumbnailLoader(library.thumbnails, threads=2, parent=self)
        self.indexing = IndexController(library, self)
        self.scope: Scope = ALL
        self._closing = False
        self.model_missing = ""  # why search by meaning can't run, while it can't
        #: offer the model dialog by itself once per library
        self.offer_model_dialog = True
        # Extension points for features (see photoorg/features.py):
        #: key -> function(library) -> list[SidebarEntry], computed off the GUI thread
        self.sidebar_sections: dict = {}
        #: function(window, menu, photo_ids) adding entries to the photo menu
        self.photo_menu_extensions: list = []
        #: function(window, menu, scope) adding entries to a sidebar item's menu
        self.sidebar_menu_extensions: list = []
        #: function(window) called after any refresh of the sidebar and grid
        self.refresh_listeners: list = []
        #: scope kind -> page widget with show_scope(scope), shown instead of the grid
        self.scope_pages: dict = {}
        self.last_error = ""

        self._build_widgets()
        self._build_actions()
        self._build_menus()
        self._connect()
        from photoorg.features import install_gui_features

        install_gui_features(self)
        from photoorg.gui.photo_app import install as install_photo_app

        self.photo_app = install_photo_app(self)
        self._restore_state()
        self.refresh_all()
        QTimer.singleShot(0, self._start_background_scan)

    # -- construction ------------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.sidebar = Sidebar()
        self.search = SearchBar()
        self.model = PhotoGridModel(self)
        self.grid = JustifiedGridView(self.loader)
        self.grid.setModel(self.model)
        self.grid.set_cell_size(int(self.settings.value("grid/cell", DEFAULT_CELL)))
        self.details = DetailsPanel()
        self.viewer = Viewer(self.tasks)
        self.welcome = WelcomePage()
        self.attention = AttentionPage()
        self.empty = QLabel("No photos here.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("Muted")

        self.grid_page = QWidget()
        grid_layout = QVBoxLayout(self.grid_page)
        grid_layout.setContentsMargins(12, 10, 12, 0)
        grid_layout.addWidget(self.search)
        self.grid_stack = QStackedWidget()
        self.grid_stack.addWidget(self.grid)
        self.grid_stack.addWidget(self.empty)
        grid_layout.addWidget(self.grid_stack, 1)

        self.pages = QStackedWidget()
        for page in (self.welcome, self.grid_page, self.viewer, self.attention):
            self.pages.addWidget(page)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.pages)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([230, 900, 280])
        self.setCentralWidget(self.splitter)

        status = self.statusBar()
        self.status_label = QLabel("Ready")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.pause_button = QToolButton()
        self.pause_button.setIcon(icon("pause"))
        self.pause_button.setToolTip("Pause indexing")
        self.pause_button.setAutoRaise(True)
        self.cancel_button = QToolButton()
        self.cancel_button.setIcon(icon("stop"))
        self.cancel_button.setToolTip("Stop indexing (it continues where it stopped next time)")
        self.cancel_button.setAutoRaise(True)
        self.count_label = QLabel()
        self.count_label.setObjectName("Muted")
        self.zoom = QSlider(Qt.Orientation.Horizontal)
        self.zoom.setRange(MIN_CELL, MAX_CELL)
        self.zoom.setValue(self.grid.cell_size)
        self.zoom.setFixedWidth(110)
        self.zoom.setToolTip("Thumbnail size (Ctrl + wheel)")
        self.zoom.valueChanged.connect(self.grid.set_cell_size)
        self.grid.cell_size_changed.connect(self.zoom.setValue)
        for widget in (self.pause_button, self.cancel_button):
            widget.hide()
        status.addWidget(self.status_label, 1)
        status.addPermanentWidget(self.count_label)
        zoom_icon = QLabel()
        zoom_icon.setPixmap(icon("image").pixmap(16, 16))
        status.addPermanentWidget(zoom_icon)
        status.addPermanentWidget(self.zoom)
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.pause_button)
        status.addPermanentWidget(self.cancel_button)

    def _action(self, text: str, slot, shortcut=None, icon_name: str | None = None, widget=None) -> QAction:
        action = QAction(text, widget or self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if widget is not None:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            widget.addAction(action)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.add_folder_action = self._action("Add folder…", self.add_folder, "Ctrl+O", "folder-plus")
        self.rescan_action = self._action("Rescan folders", lambda: self.indexing.start(), "F5", "refresh")
        self.settings_action = self._action("Settings…", self.open_settings, "Ctrl+,", "settings")
        self.quit_action = self._action("Quit", self.close, QKeySequence.StandardKey.Quit)
        self.shortcuts_action = self._action("Keyboard shortcuts", self.show_shortcuts, "F1", "keyboard")
        self.fullscreen_action = self._action("Full screen", self.toggle_fullscreen, "F11", "maximize")
        self.details_action = self._action("Details panel", self.toggle_details, "Ctrl+I", "info")
        self.details_action.setCheckable(True)
        self.details_action.setChecked(True)
        self.zoom_in_action = self._action(
            "Bigger thumbnails",
            lambda: self.grid.set_cell_size(self.grid.cell_size + 24),
            "Ctrl++",
            "zoom-in",
        )
        self.zoom_out_action = self._action(
            "Smaller thumbnails",
            lambda: self.grid.set_cell_size(self.grid.cell_size - 24),
            "Ctrl+-",
            "zoom-out",
        )
        QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search)
        QShortcut(QKeySequence("Ctrl+="), self, lambda: self.grid.set_cell_size(self.grid.cell_size + 24))

        # Actions on the selection: live on the grid and the viewer only, so typing
        # a digit or an F into the search field never rates or favourites.
        self.photo_actions: list[QAction] = []
        for target in (self.grid, self.viewer):
            actions = [
                self._action("Favourite", self.toggle_favorite, "F", "heart", widget=target),
                self._action("Find similar", self.find_similar, "Ctrl+Shift+F", "sparkles", widget=target),
                self._action(
                    "Copy path", self.copy_paths, QKeySequence.StandardKey.Copy, "copy", widget=target
                ),
                self._action("Add to album…", self.add_to_album_dialog, "Ctrl+D", "album", widget=target),
                self._action(
                    "Move to trash…",
                    self.trash_selected,
                    QKeySequence.StandardKey.Delete,
                    "trash",
                    widget=target,
                ),
            ]
            for stars in range(6):
                actions.append(
                    self._action(
                        f"{stars} stars" if stars != 1 else "1 star",
                        lambda _=False, n=stars: self.rate(n),
                        str(stars),
                        widget=target,
                    )
                )
            self.photo_actions.extend(actions)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for action in (self.add_folder_action, self.rescan_action, self.settings_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = bar.addMenu("&View")
        for action in (
            self.zoom_in_action,
            self.zoom_out_action,
            self.details_action,
            self.fullscreen_action,
        ):
            view_menu.addAction(action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction("About photoorg", self.show_about)

    def _connect(self) -> None:
        self.welcome.add_folder.connect(self.add_folder)
        self.sidebar.scope_selected.connect(self.set_scope)
        self.sidebar.context_requested.connect(self._sidebar_menu)
        self.search.changed.connect(self.refresh_grid)
        self.search.notice.linkActivated.connect(self._notice_link)
        self.grid.activated_photo.connect(self.open_viewer)
        self.grid.customContextMenuRequested.connect(self._grid_menu)
        self.grid.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.grid.cell_size_changed.connect(lambda size: self.settings.setValue("grid/cell", size))
        self.details.rating_requested.connect(self.rate)
        self.details.favorite_requested.connect(self.toggle_favorite)
        self.viewer.closed.connect(self.close_viewer)
        self.viewer.fullscreen_toggled.connect(self.toggle_fullscreen)
        self.viewer.current_changed.connect(self._show_details_for)
        self.attention.retry_requested.connect(self._retry_failed)
        self.indexing.started.connect(self._index_started)
        self.indexing.progress.connect(self._index_progress)
        self.indexing.notice.connect(self._index_notice)
        self.indexing.photos_changed.connect(self._photos_changed)
        self.indexing.finished.connect(self._index_finished)
        self.indexing.failed.connect(self._index_failed)
        self.indexing.paused_changed.connect(self._paused_changed)
        self.pause_button.clicked.connect(self._toggle_pause)
        self.cancel_button.clicked.connect(self.indexing.cancel)

    # -- state -------------------------------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1360, 860)
        sizes = self.settings.value("window/splitter")
        if isinstance(sizes, QByteArray):
            self.splitter.restoreState(sizes)
        self._restored_scope_key = self.settings.value("view/scope", "all:None")
        self.search.sort.setCurrentIndex(int(self.settings.value("view/sort", 0)))

    def _save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("view/scope", self.scope.key())
        self.settings.setValue("view/sort", self.search.sort.currentIndex())
        self.settings.sync()

    def closeEvent(self, event) -> None:
        self._closing = True
        self._save_state()
        self.indexing.cancel()
        self.indexing.wait(60)
        self.loader.stop()
        self.tasks.shutdown()
        super().closeEvent(event)

    # -- loading data ------------------------------------------------------------------------------

    def refresh_all(self) -> None:
        self.refresh_sidebar()
        self.refresh_grid()
        for listener in self.refresh_listeners:
            listener(self)

    def refresh_sidebar(self) -> None:
        db = self.library.db

        def load():
            return {
                "counts": browse.counts(db),
                "folders": browse.folder_tree(db),
                "timeline": browse.timeline(db),
                "albums": browse.albums(db),
                "cameras": browse.cameras(db),
                "extra": {key: build(self.library) for key, build in self.sidebar_sections.items()},
            }

        self.tasks.submit("sidebar", load, self._apply_sidebar, self._show_error)

    def _apply_sidebar(self, data: dict) -> None:
        counts = data["counts"]
        self.sidebar.set_section(
            "library",
            [
                SidebarEntry("All photos", ALL, counts["all"], "images"),
                SidebarEntry(
                    "Favourites", Scope("favorites", None, "Favourites"), counts["favorites"], "heart"
                ),
                SidebarEntry(
                    "Needs attention",
                    Scope("attention", None, "Needs attention"),
                    counts["attention"],
                    "alert-triangle",
                ),
            ],
        )
        self.sidebar.set_section("folders", folder_entries(data["folders"]), "Add a folder to begin")
        self.sidebar.set_section("timeline", timeline_entries(data["timeline"]))
        albums = [
            SidebarEntry(a.name, Scope("album", a.id, a.name), a.count, "album") for a in data["albums"]
        ]
        albums.append(SidebarEntry("New album…", Scope("new-album", None, "New album"), None, "plus"))
        self.sidebar.set_section("albums", albums)
        for key, entries in data["extra"].items():
            self.sidebar.set_section(key, entries, "")
        self.search.set_choices([node.path for node in data["folders"]], data["cameras"])
        restored = Scope(*self._scope_parts(self._restored_scope_key))
        if self.sidebar.current_scope() is None and not self.sidebar.select_scope(restored, emit=False):
            self.sidebar.select_scope(ALL, emit=False)
        has_roots = bool(data["folders"])
        if not has_roots and self.pages.currentWidget() is not self.viewer:
            self.pages.setCurrentWidget(self.welcome)
        elif has_roots and self.pages.currentWidget() is self.welcome:
            self.pages.setCurrentWidget(self.grid_page)

    @staticmethod
    def _scope_parts(key: str) -> tuple:
        kind, _, value = str(key).partition(":")
        return (kind, None if value == "None" else value)

    def current_filters(self) -> SearchFilters:
        return scope_filters(self.scope).merged(self.search.filters)

    def refresh_grid(self) -> None:
        if self.scope.kind in self.scope_pages:
            return
        if self.scope.kind == "attention":
            from photoorg.status import failures

            self.tasks.submit(
                "attention", lambda: failures(self.library.db), self.attention.show_failures, self._show_error
            )
            return
        text = self.search.text
        filters = self.current_filters()
        engine = self.library.search
        db = self.library.db
        sort = SORT_DATE if self.search.sort_by_date else SORT_RELEVANCE
        min_score = self.search.min_score

        def load():
            if not text:
                return browse.list_photos(db, filters), {}, ""
            try:
                results = engine.search(text, filters, limit=SEARCH_LIMIT, min_score=min_score, sort=sort)
            except SearchUnavailable as exc:
                return [], {}, str(exc)
            scores = {hit.photo_id: hit.score for hit in results.hits if hit.score is not None}
            rows = browse.rows_for_ids(db, [hit.photo_id for hit in results.hits])
            return rows, scores, results.notice

        if text:
            self.statusBar().showMessage("Searching…")
            self.setCursor(Qt.CursorShape.BusyCursor)
        self.tasks.submit("grid", load, self._apply_grid, self._grid_failed)

    def _grid_failed(self, message: str) -> None:
        self.unsetCursor()
        self.statusBar().clearMessage()
        self._show_error(message)

    def _apply_grid(self, result) -> None:
        self.unsetCursor()
        if self.statusBar().currentMessage() == "Searching…":
            self.statusBar().clearMessage()
        rows, scores, notice = result
        self.model.set_rows(rows, scores)
        self.grid_stack.setCurrentWidget(self.grid if rows else self.empty)
        if not rows:
            self.empty.setText(
                "No photos match."
                if self.search.text or self.search.filters.active
                else "No photos here yet."
                if self.scope.kind != "all"
                else "No photos yet. Indexing shows them here as it finds them."
            )
        if notice:
            notice = html.escape(notice)
            if "rank by meaning" in notice:
                notice += ' <a href="get-model">Get the model…</a>'
        self.search.show_notice(notice)
        if self.viewer.isVisible():
            self.viewer.set_rows(self.model.rows)
        self._selection_changed()
        self.grid_updated.emit()

    # -- navigation --------------------------------------------------------------------------------

    def set_scope(self, scope: Scope) -> None:
        if scope.kind == "new-album":
            self.create_album()
            return
        self.scope = scope
        self.setWindowTitle(f"{scope.label or 'All photos'} — photoorg")
        if scope.kind in self.scope_pages:
            page = self.scope_pages[scope.kind]
            self.pages.setCurrentWidget(page)
            page.show_scope(scope)
            return
        if scope.kind == "attention":
            self.pages.setCurrentWidget(self.attention)
        elif self.pages.currentWidget() is not self.welcome:
            self.pages.setCurrentWidget(self.grid_page)
        self.refresh_grid()

    def focus_search(self) -> None:
        if self.pages.currentWidget() in (self.viewer, self.attention):
            self.pages.setCurrentWidget(self.grid_page)
        self.search.field.setFocus()
        self.search.field.selectAll()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self.pages.currentWidget() is self.grid_page:
            if self.search.text:
                self.search.set_text("")
            else:
                self.grid.clearSelection()
            return
        super().keyPressEvent(event)

    def open_viewer(self, photo_id: int) -> None:
        row = self.model.row_for_id(photo_id)
        if row is None:
            return
        self.pages.setCurrentWidget(self.viewer)
        self.viewer.open(self.model.rows, row)

    def close_viewer(self) -> None:
        current = self.viewer.current
        if self.isFullScreen():
            self.showNormal()
        self.pages.setCurrentWidget(self.grid_page)
        if current is not None:
            row = self.model.row_for_id(current.id)
            if row is not None:
                index = self.model.index(row)
                self.grid.selectionModel().setCurrentIndex(
                    index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                )
                self.grid.scrollTo(index)
        self.grid.setFocus()

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def toggle_details(self) -> None:
        self.details.setVisible(not self.details.isVisible())
        self.details_action.setChecked(self.details.isVisible())

    # -- selection and details ---------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        if self.pages.currentWidget() is self.viewer and self.viewer.current is not None:
            return [self.viewer.current.id]
        return self.grid.selected_ids()

    def _selection_changed(self) -> None:
        ids = self.grid.selected_ids()
        if len(ids) == 1:
            self._show_details_for(ids[0])
        elif ids:
            self.details.show_selection_count(len(ids))
        else:
            self.details.show_details(None)

    def _show_details_for(self, photo_id: int) -> None:
        from photoorg.photos import photo_details

        def lookup(content_hash: str) -> str | None:
            path = self.library.thumbnails.path_for(content_hash)
            return str(path) if path.is_file() else None

        self.tasks.submit(
            "details",
            lambda: photo_details(self.library.db, photo_id, lookup),
            self.details.show_details,
            self._show_error,
        )

    # -- organising --------------------------------------------------------------------------------

    def _write(self, fn, message: str = "") -> None:
        """Run a change off the GUI thread (the indexer may hold the write lock
        for a moment), then refresh what it affects."""

        def done(_):
            if message:
                self.statusBar().showMessage(message, 4000)
            self.refresh_all()
            ids = self.selected_ids()
            if len(ids) == 1:
                self._show_details_for(ids[0])

        self.tasks.submit(None, fn, done, self._show_error)

    def rate(self, stars: int) -> None:
        ids = self.selected_ids()
        if ids:
            self._write(
                lambda: organize.set_rating(self.library.db, ids, stars),
                f"Rated {len(ids)} photo(s) {stars} star(s)",
            )

    def toggle_favorite(self) -> None:
        ids = self.selected_ids()
        if ids:
            self._write(lambda: organize.toggle_favorite(self.library.db, ids))

    def create_album(self, photo_ids: list[int] | None = None) -> None:
        name, ok = QInputDialog.getText(self, "New album", "Album name:")
        if not ok or not name.strip():
            return

        def create():
            album = organize.create_album(self.library.db, name)
            if photo_ids:
                organize.add_to_album(self.library.db, album, photo_ids)
            return album

        self._write(create, f"Created album “{name.strip()}”")

    def add_to_album_dialog(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        albums = browse.albums(self.library.db)
        names = [a.name for a in albums] + ["New album…"]
        name, ok = QInputDialog.getItem(self, "Add to album", f"Add {len(ids)} photo(s) to:", names, 0, False)
        if not ok:
            return
        if name == "New album…":
            self.create_album(ids)
            return
        album = next(a.id for a in albums if a.name == name)
        self._write(lambda: organize.add_to_album(self.library.db, album, ids), f"Added to “{name}”")

    def remove_from_current_album(self) -> None:
        ids = self.selected_ids()
        if ids and self.scope.kind == "album":
            album = self.scope.value
            self._write(
                lambda: organize.remove_from_album(self.library.db, album, ids), "Removed from the album"
            )

    def rename_album(self, scope: Scope) -> None:
        name, ok = QInputDialog.getText(self, "Rename album", "New name:", text=scope.label)
        if ok and name.strip():
            self._write(lambda: organize.rename_album(self.library.db, scope.value, name))

    def delete_album(self, scope: Scope) -> None:
        answer = QMessageBox.question(
            self,
            "Delete album",
            f"Delete the album “{scope.label}”?\n\nIts photos stay in the library and on disk.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            if self.scope.key() == scope.key():
                self.sidebar.select_scope(ALL)
            self._write(lambda: organize.delete_album(self.library.db, scope.value), "Album deleted")

    def trash_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        answer = QMessageBox.question(
            self,
            "Move to trash",
            f"Move {len(ids)} file(s) to the system trash?\n\nYou can restore them from the trash.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        if self.pages.currentWidget() is self.viewer:
            self.close_viewer()

        def trash():
            result = organize.move_to_trash(self.library.db, ids)
            if result.failed:
                path, reason = next(iter(result.failed.items()))
                raise PhotoorgError(
                    f"{len(result.failed)} file(s) could not be moved to the trash ({path}: {reason})."
                )
            return result

        self._write(trash, f"Moved {len(ids)} file(s) to the trash")

    def copy_paths(self) -> None:
        paths = [
            self.model.rows[self.model.row_for_id(i)].path
            for i in self.selected_ids()
            if self.model.row_for_id(i) is not None
        ]
        if paths:
            QGuiApplication.clipboard().setText("\n".join(paths))
            self.statusBar().showMessage("Copied the path" + ("s" if len(paths) > 1 else ""), 3000)

    def find_similar(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        if self.pages.currentWidget() is self.viewer:
            self.close_viewer()
        photo_id = ids[0]
        engine = self.library.search
        db = self.library.db

        def load():
            hits = engine.similar(photo_id, limit=SEARCH_LIMIT)
            return (
                browse.rows_for_ids(db, [h.photo_id for h in hits]),
                {h.photo_id: h.score for h in hits},
                "",
            )

        self.search.field.clear()
        self.search.show_notice("Photos that look like the selected one.")
        self.tasks.submit("grid", load, self._apply_grid, lambda message: self.search.show_notice(message))

    def _path_of(self, photo_id: int) -> str | None:
        row = self.model.row_for_id(photo_id)
        return self.model.rows[row].path if row is not None else None

    def show_in_file_manager(self) -> None:
        ids = self.selected_ids()
        path = self._path_of(ids[0]) if ids else None
        if not path:
            return
        try:
            if sys.platform == "darwin":
                subprocess.Popen(["open", "-R", path])
            elif sys.platform == "win32":
                subprocess.Popen(["explorer", "/select,", path])
            else:
                QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(path)))
        except OSError as exc:
            self._show_error(f"Can't open the file manager: {exc}")

    def open_with_default_app(self) -> None:
        for photo_id in self.selected_ids()[:10]:
            path = self._path_of(photo_id)
            if path:
                QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    # -- menus -------------------------------------------------------------------------------------

    def _grid_menu(self, position) -> None:
        if not self.grid.indexAt(position).isValid():
            return
        ids = self.selected_ids()
        menu = QMenu(self)
        menu.addAction(icon("image"), "Open", lambda: self.open_viewer(ids[0]))
        menu.addAction(icon("sparkles"), "Find similar", self.find_similar)
        menu.addSeparator()
        menu.addAction(icon("heart"), "Favourite", self.toggle_favorite)
        rating = menu.addMenu(icon("star"), "Rating")
        for stars in range(6):
            rating.addAction("★" * stars if stars else "No rating", lambda n=stars: self.rate(n))
        albums = menu.addMenu(icon("album"), "Add to album")
        for album in browse.albums(self.library.db):
            albums.addAction(
                album.name,
                lambda a=album: self._write(
                    lambda: organize.add_to_album(self.library.db, a.id, ids), f"Added to “{a.name}”"
                ),
            )
        albums.addSeparator()
        albums.addAction(icon("plus"), "New album…", lambda: self.create_album(ids))
        if self.scope.kind == "album":
            menu.addAction(icon("minus"), "Remove from this album", self.remove_from_current_album)
        self.extend_photo_menu(menu, ids)
        menu.addSeparator()
        menu.addAction(icon("folder"), "Show in file manager", self.show_in_file_manager)
        menu.addAction(icon("copy"), "Copy path", self.copy_paths)
        menu.addAction(icon("external-link"), "Open with default application", self.open_with_default_app)
        menu.addSeparator()
        menu.addAction(icon("trash"), "Move to trash…", self.trash_selected)
        menu.exec(self.grid.viewport().mapToGlobal(position))

    def extend_photo_menu(self, menu: QMenu, ids: list[int]) -> None:
        """Features add their entries (tags, people) to the photo menu."""
        for extend in self.photo_menu_extensions:
            extend(self, menu, ids)

    def _sidebar_menu(self, scope: Scope, position) -> None:
        menu = QMenu(self)
        if scope.kind == "album":
            menu.addAction("Rename…", lambda: self.rename_album(scope))
            menu.addAction("Delete album…", lambda: self.delete_album(scope))
        elif scope.kind == "folder":
            menu.addAction(
                "Show in file manager", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(scope.value))
            )
        for extend in self.sidebar_menu_extensions:
            extend(self, menu, scope)
        if not menu.isEmpty():
            menu.exec(position)

    # -- folders, indexing -------------------------------------------------------------------------

    def add_folder(self, folder: str | None = None) -> None:
        folder = folder or QFileDialog.getExistingDirectory(
            self, "Add a folder of photos", os.path.expanduser("~")
        )
        if not folder:
            return
        try:
            _, message = add_root(self.library.db, folder, self.library.paths.root)
        except PhotoorgError as exc:
            self._show_error(str(exc))
            return
        self.statusBar().showMessage(message, 5000)
        self.pages.setCurrentWidget(self.grid_page)
        self.refresh_all()
        self.indexing.start()

    def _start_background_scan(self) -> None:
        from photoorg.roots import list_roots

        if list_roots(self.library.db) and not self.indexing.running:
            self.indexing.start()

    def _retry_failed(self) -> None:
        self.indexing.start()

    def _index_started(self) -> None:
        self.progress.show()
        self.progress.setRange(0, 0)
        for widget in (self.pause_button, self.cancel_button):
            widget.show()
        self.status_label.setText("Looking for photos…")

    def _index_progress(self, event: Progress) -> None:
        from photoorg.cli.progress import STAGE_LABELS, format_duration

        label = STAGE_LABELS.get(event.stage, event.stage.capitalize())
        if event.total:
            self.progress.setRange(0, event.total)
            self.progress.setValue(event.done)
            rate = f" · {event.rate:.1f}/s" if event.rate else ""
            eta = f" · {format_duration(event.eta)} left" if event.eta is not None else ""
            self.status_label.setText(
                f"{label}: {event.done:,} of {event.total:,}{rate}{eta} {event.message}".rstrip()
            )
        else:
            self.progress.setRange(0, 0)
            self.status_label.setText(f"{label}: {event.message or f'{event.done:,} files'}")

    def _index_notice(self, stage: str, message: str) -> None:
        if stage == "clip":
            self.model_missing = message
            self.search.show_notice(
                "Search by meaning is waiting for its model; browsing, albums and tags work now. "
                '<a href="get-model">Get the model…</a>'
            )
            # Offered once per library; afterwards it stays one click away.
            key = f"model/offered/{self.library.paths.root}"
            if self.offer_model_dialog and not self.settings.value(key, False, type=bool):
                self.settings.setValue(key, True)
                QTimer.singleShot(0, lambda: self.get_model(message, modal=False))
        else:
            self.statusBar().showMessage(message, 10000)

    def _photos_changed(self) -> None:
        self.refresh_all()

    def _index_finished(self, summary) -> None:
        self.progress.hide()
        for widget in (self.pause_button, self.cancel_button):
            widget.hide()
        parts = summary.highlights()
        state = "Indexing stopped" if summary.cancelled else "Up to date"
        self.status_label.setText(state + (": " + ", ".join(parts) if parts else ""))
        self.refresh_all()
        self.indexing_finished.emit(summary)

    def _index_failed(self, message: str) -> None:
        self.progress.hide()
        for widget in (self.pause_button, self.cancel_button):
            widget.hide()
        self.status_label.setText("Indexing stopped")
        self._show_error(message)
        self.indexing_finished.emit(None)

    def _toggle_pause(self) -> None:
        if self.indexing.paused:
            self.indexing.resume()
        else:
            self.indexing.pause()

    def _paused_changed(self, paused: bool) -> None:
        self.pause_button.setIcon(icon("play" if paused else "pause"))
        self.pause_button.setToolTip("Resume indexing" if paused else "Pause indexing")
        if paused:
            self.status_label.setText("Indexing paused")

    # -- dialogs -----------------------------------------------------------------------------------

    def open_settings(self) -> None:
        from photoorg.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.library, self.grid.cell_size, self)
        dialog.rescan_requested.connect(lambda: (self.refresh_all(), self.indexing.start()))
        dialog.model_requested.connect(self.get_model)
        if dialog.exec():
            try:
                dialog.apply()
            except PhotoorgError as exc:
                self._show_error(str(exc))
            self.grid.set_cell_size(dialog.cell_size)
            self.photo_app.apply_theme(dialog.theme)
            if dialog.model_changed:
                self.indexing.start()

    def get_model(self, reason: str = "", modal: bool = True) -> None:
        from photoorg.gui.model_dialog import ModelDialog

        dialog = ModelDialog(self.library, self, reason or self.model_missing)
        dialog.accepted.connect(self._model_ready)
        if modal:
            dialog.exec()
        else:
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()

    def _notice_link(self, link: str) -> None:
        if link == "get-model":
            self.get_model()

    def _model_ready(self) -> None:
        self.model_missing = ""
        self.search.show_notice("")
        self.indexing.start()

    def show_shortcuts(self) -> None:
        ShortcutsDialog(SHORTCUTS, self).exec()

    def show_about(self) -> None:
        from photoorg import __version__

        QMessageBox.about(
            self,
            "About photoorg",
            f"<b>photoorg {__version__}</b><p>A private photo organizer. Your photos and their index stay on "
            f"this computer.</p><p>Library: {self.library.paths.root}</p>",
        )

    def _show_error(self, message: str) -> None:
        """A readable message that does not block: background work keeps going."""
        if self._closing:
            return
        log.warning("%s", message)
        self.statusBar().showMessage(message, 10000)
        box = QMessageBox(QMessageBox.Icon.Warning, "photoorg", message, QMessageBox.StandardButton.Ok, self)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        self.last_error = message
