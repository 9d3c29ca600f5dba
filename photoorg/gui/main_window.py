"""The main window's shell: sidebar, search, grid, details, viewer, the pages
and how the user moves between them.

Everything that touches the database, a file or a model runs off the GUI
thread (:mod:`photoorg.gui.workers`); the window only applies answers. The
organising commands live in :mod:`photoorg.gui.actions`, the status bar and
indexing display in :mod:`photoorg.gui.status_bar`, and each capability's part
(tags, people) in :mod:`photoorg.gui.features`, installed through the
:class:`~photoorg.gui.extension.AppContext`: adding one changes nothing here.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QItemSelectionModel, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from photoorg import __version__
from photoorg.gui.actions import OrganizeActions
from photoorg.gui.content import ContentLoader
from photoorg.gui.details import DetailsPanel, details_with_preview
from photoorg.gui.dialogs import SHORTCUTS, AttentionPage, ShortcutsDialog
from photoorg.gui.extension import AppContext, Extensions
from photoorg.gui.features import CAPABILITIES
from photoorg.gui.grid import DEFAULT_CELL, PhotoGridModel
from photoorg.gui.grid_view import JustifiedGridView
from photoorg.gui.images import ImageLoader, Thumbnails
from photoorg.gui.indexing import IndexController
from photoorg.gui.search_bar import SearchBar
from photoorg.gui.settings_dialog import open_settings
from photoorg.gui.sidebar import (
    ALL,
    Scope,
    Sidebar,
    scope_filters,
)
from photoorg.gui.status_bar import IndexingStatus
from photoorg.gui.theme import icon
from photoorg.gui.viewer import Viewer
from photoorg.gui.welcome import WelcomePage
from photoorg.gui.workers import BACKGROUND_NICENESS, WorkerPool
from photoorg.library import Library
from photoorg.resources_path import resource_path
from photoorg.search.filters import SearchFilters

log = logging.getLogger(__name__)


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
        self.tasks = WorkerPool("photoorg-task", 3, error_handler=self.show_error, parent=self)
        #: long, CPU-heavy jobs of capabilities (re-tagging): niced, one at a time
        self.heavy_tasks = WorkerPool(
            "photoorg-heavy", 1, niceness=BACKGROUND_NICENESS, error_handler=self.show_error, parent=self
        )
        self.images = ImageLoader(threads=2, parent=self)
        self.indexing = IndexController(library, self)
        self.scope: Scope = ALL
        self.closing = False
        self.last_error = ""
        self.extensions = Extensions()

        self._build_widgets()
        self.content = ContentLoader(self)
        self.status = IndexingStatus(self, self.indexing)
        self.actions_ = OrganizeActions(self)
        self._build_actions()
        self._build_menus()
        self._connect()
        context = AppContext(self)
        #: the installed capability GUIs (tags, people), in their order
        self.capabilities = [capability() for capability in CAPABILITIES]
        for capability in self.capabilities:
            capability.install(context)
        from photoorg.gui.photo_app import install as install_photo_app

        self.photo_app = install_photo_app(self)
        self._restore_state()
        self.refresh_all()
        QTimer.singleShot(0, self.status.scan_if_there_are_folders)

    # -- construction ------------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.sidebar = Sidebar()
        self.search = SearchBar()
        self.model = PhotoGridModel(self)
        #: grid thumbnails through the shared image loader (the viewer borrows them too)
        self.thumbnails = Thumbnails(self.images, self.library.thumbnails)
        self.grid = JustifiedGridView(self.thumbnails)
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

    def photo_targets(self) -> tuple[QWidget, ...]:
        """Where keys act on the selection: never the search field."""
        return (self.grid, self.viewer)

    def _action(self, text: str, slot, shortcut=None, icon_name: str | None = None) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        bigger = lambda: self.grid.set_cell_size(self.grid.cell_size + 24)  # noqa: E731
        smaller = lambda: self.grid.set_cell_size(self.grid.cell_size - 24)  # noqa: E731
        self.add_folder_action = self._action("Add folder…", self.add_folder, "Ctrl+O", "folder-plus")
        self.rescan_action = self._action("Rescan folders", lambda: self.indexing.start(), "F5", "refresh")
        self.settings_action = self._action("Settings…", self.open_settings, "Ctrl+,", "settings")
        self.quit_action = self._action("Quit", self.close, QKeySequence.StandardKey.Quit)
        self.shortcuts_action = self._action("Keyboard shortcuts", self.show_shortcuts, "F1", "keyboard")
        self.fullscreen_action = self._action("Full screen", self.toggle_fullscreen, "F11", "maximize")
        self.details_action = self._action("Details panel", self.toggle_details, "Ctrl+I", "info")
        self.details_action.setCheckable(True)
        self.details_action.setChecked(True)
        self.zoom_in_action = self._action("Bigger thumbnails", bigger, "Ctrl++", "zoom-in")
        self.zoom_out_action = self._action("Smaller thumbnails", smaller, "Ctrl+-", "zoom-out")
        QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search)
        QShortcut(QKeySequence("Ctrl+="), self, bigger)

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
        self.sidebar.context_requested.connect(self.actions_.sidebar_menu)
        self.search.changed.connect(self.refresh_grid)
        self.search.notice.linkActivated.connect(self.status.notice_link)
        self.grid.activated_photo.connect(self.open_viewer)
        self.grid.customContextMenuRequested.connect(self.actions_.photo_menu)
        self.grid.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed())
        self.grid.cell_size_changed.connect(lambda size: self.settings.setValue("grid/cell", size))
        self.details.rating_requested.connect(self.actions_.rate)
        self.details.favorite_requested.connect(self.actions_.toggle_favorite)
        self.viewer.closed.connect(self.close_viewer)
        self.viewer.fullscreen_toggled.connect(self.toggle_fullscreen)
        self.viewer.current_changed.connect(self._show_details_for)
        self.attention.retry_requested.connect(lambda: self.indexing.start())

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
        self.content.restored_scope_key = self.settings.value("view/scope", "all:None")
        self.search.sort.setCurrentIndex(int(self.settings.value("view/sort", 0)))

    def _save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("view/scope", self.scope.key())
        self.settings.setValue("view/sort", self.search.sort.currentIndex())
        self.settings.sync()

    def closeEvent(self, event) -> None:
        self.closing = True
        self._save_state()
        self.status.close_dialogs()
        self.indexing.shutdown(60)
        self.images.stop()
        self.tasks.shutdown()
        self.heavy_tasks.shutdown()
        super().closeEvent(event)

    # -- loading data ------------------------------------------------------------------------------

    def refresh_all(self) -> None:
        self.content.refresh_sidebar()
        self.refresh_grid()
        page = self.pages.currentWidget()
        if page in self.extensions.pages.values():
            page.refresh()
        for listener in self.extensions.refresh_listeners:
            listener()

    def current_filters(self) -> SearchFilters:
        return scope_filters(self.scope, self.extensions.scope_filters).merged(self.search.filters)

    def refresh_grid(self) -> None:
        self.content.refresh_grid()

    def apply_grid(self, result) -> None:
        """Show (rows, scores, notice) in the grid."""
        self.content.apply_grid(result)

    # -- navigation --------------------------------------------------------------------------------

    def set_scope(self, scope: Scope) -> None:
        if scope.kind == "new-album":
            self.actions_.create_album()
            return
        self.scope = scope
        self.setWindowTitle(f"{scope.label or 'All photos'} — photoorg")
        page = self.extensions.pages.get(scope.kind)
        if page is not None:
            self.pages.setCurrentWidget(page)
            page.show_scope(scope)
            return
        if scope.kind == "attention":
            self.pages.setCurrentWidget(self.attention)
        elif self.pages.currentWidget() is not self.welcome:
            self.pages.setCurrentWidget(self.grid_page)
        self.refresh_grid()

    def show_grid_page(self) -> None:
        self.pages.setCurrentWidget(self.grid_page)

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

    def leave_viewer(self) -> None:
        if self.pages.currentWidget() is self.viewer:
            self.close_viewer()

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

    def selection_changed(self) -> None:
        ids = self.grid.selected_ids()
        if len(ids) == 1:
            self._show_details_for(ids[0])
        elif ids:
            self.details.show_selection_count(len(ids))
        else:
            self.details.show_details(None)

    def _show_details_for(self, photo_id: int) -> None:
        db, thumbnails = self.library.db, self.library.thumbnails
        self.tasks.submit(
            lambda: details_with_preview(db, thumbnails, photo_id), self.details.show_details, key="details"
        )

    # -- changes and messages ----------------------------------------------------------------------

    def write(self, fn, message: str = "", on_done=None) -> None:
        """Run a change off the GUI thread (the indexer may hold the write lock
        for a moment), then refresh what it affects."""

        def done(result) -> None:
            if message:
                self.statusBar().showMessage(message, 4000)
            if on_done is not None:
                on_done(result)
            self.refresh_all()
            ids = self.selected_ids()
            if len(ids) == 1:
                self._show_details_for(ids[0])

        self.tasks.submit(fn, done)

    def prepare_search(self) -> None:
        """Load the search model in the background (niced) right after launch,
        so the first search answers at once; one typed meanwhile says it is
        preparing instead of freezing."""
        self.heavy_tasks.submit(self.library.prepare_search, self._search_prepared, key="prepare-search")

    def _search_prepared(self, _reason: str | None) -> None:
        if self.statusBar().currentMessage().startswith("Preparing search"):
            self.statusBar().showMessage("Searching…")

    def show_error(self, message: str) -> None:
        """A readable message that does not block: background work keeps going."""
        if self.closing:
            return
        log.warning("%s", message)
        self.statusBar().showMessage(message, 10000)
        box = QMessageBox(QMessageBox.Icon.Warning, "photoorg", message, QMessageBox.StandardButton.Ok, self)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        self.last_error = message

    # -- folders and dialogs -----------------------------------------------------------------------

    def add_folder(self, folder: str | None = None) -> None:
        self.status.add_folder(folder)

    def open_settings(self) -> None:
        open_settings(self)

    def shortcuts(self) -> list[tuple[str, str]]:
        """The window's keys with the capabilities' keys in their places."""
        listed = list(SHORTCUTS)
        for keys, description, after in self.extensions.shortcuts:
            places = [i for i, (k, _) in enumerate(listed) if k == after]
            listed.insert(places[0] + 1 if places else len(listed), (keys, description))
        return listed

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.shortcuts(), self).exec()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About photoorg",
            f"<b>photoorg {__version__}</b><p>A private photo organizer. Your photos and their index stay on "
            f"this computer.</p><p>Library: {self.library.paths.root}</p>",
        )
