"""Organising commands on the selection: rating, favourite, albums, trash,
copy, find similar, open; the keyboard actions and the photo and sidebar
menus that offer them. Every change goes through the window's ``write`` (off
the GUI thread, then a refresh); every command is a call into the core that the
CLI can make too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox, QWidget

from photoorg import browse, organize
from photoorg.errors import PhotoorgError
from photoorg.gui.sidebar import ALL, Scope
from photoorg.gui.theme import icon

if TYPE_CHECKING:  # the window builds this object
    from photoorg.gui.main_window import MainWindow

SEARCH_LIMIT = 1000


class OrganizeActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.db = window.library.db
        #: the albums as of the last sidebar refresh: menus never read the database
        self.albums: list[browse.AlbumInfo] = []
        self.photo_actions: list[QAction] = []
        # Actions on the selection live on the grid and the viewer only, so typing
        # a digit or an F into the search field never rates or favourites.
        for target in window.photo_targets():
            self._add_photo_actions(target)

    def _action(self, target: QWidget, text: str, slot, shortcut, icon_name: str | None = None) -> None:
        action = QAction(text, target)
        if icon_name:
            action.setIcon(icon(icon_name))
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        target.addAction(action)
        action.triggered.connect(slot)
        self.photo_actions.append(action)

    def _add_photo_actions(self, target: QWidget) -> None:
        self._action(target, "Favourite", self.toggle_favorite, "F", "heart")
        self._action(target, "Find similar", self.find_similar, "Ctrl+Shift+F", "sparkles")
        self._action(target, "Copy path", self.copy_paths, QKeySequence.StandardKey.Copy, "copy")
        self._action(target, "Add to album…", self.add_to_album_dialog, "Ctrl+D", "album")
        self._action(target, "Move to trash…", self.trash_selected, QKeySequence.StandardKey.Delete, "trash")
        for stars in range(6):
            text = f"{stars} stars" if stars != 1 else "1 star"
            self._action(target, text, lambda _=False, n=stars: self.rate(n), str(stars))

    def _selected(self) -> list[int]:
        return self.window.selected_ids()

    # -- rating and albums -------------------------------------------------------------------------

    def rate(self, stars: int) -> None:
        ids = self._selected()
        if ids:
            self.window.write(
                lambda: organize.set_rating(self.db, ids, stars), f"Rated {len(ids)} photo(s) {stars} star(s)"
            )

    def toggle_favorite(self) -> None:
        ids = self._selected()
        if ids:
            self.window.write(lambda: organize.toggle_favorite(self.db, ids))

    def create_album(self, photo_ids: list[int] | None = None) -> None:
        name, ok = QInputDialog.getText(self.window, "New album", "Album name:")
        if not ok or not name.strip():
            return

        def create():
            album = organize.create_album(self.db, name)
            if photo_ids:
                organize.add_to_album(self.db, album, photo_ids)
            return album

        self.window.write(create, f"Created album “{name.strip()}”")

    def add_to_album(self, album_id: int, name: str, photo_ids: list[int]) -> None:
        self.window.write(lambda: organize.add_to_album(self.db, album_id, photo_ids), f"Added to “{name}”")

    def add_to_album_dialog(self) -> None:
        ids = self._selected()
        if not ids:
            return
        albums = list(self.albums)
        names = [a.name for a in albums] + ["New album…"]
        name, ok = QInputDialog.getItem(
            self.window, "Add to album", f"Add {len(ids)} photo(s) to:", names, 0, False
        )
        if not ok:
            return
        if name == "New album…":
            self.create_album(ids)
            return
        self.add_to_album(next(a.id for a in albums if a.name == name), name, ids)

    def remove_from_current_album(self) -> None:
        ids = self._selected()
        scope = self.window.scope
        if ids and scope.kind == "album":
            self.window.write(
                lambda: organize.remove_from_album(self.db, scope.value, ids), "Removed from the album"
            )

    def rename_album(self, scope: Scope) -> None:
        name, ok = QInputDialog.getText(self.window, "Rename album", "New name:", text=scope.label)
        if ok and name.strip():
            self.window.write(lambda: organize.rename_album(self.db, scope.value, name))

    def delete_album(self, scope: Scope) -> None:
        answer = QMessageBox.question(
            self.window,
            "Delete album",
            f"Delete the album “{scope.label}”?\n\nIts photos stay in the library and on disk.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            if self.window.scope.key() == scope.key():
                self.window.sidebar.select_scope(ALL)
            self.window.write(lambda: organize.delete_album(self.db, scope.value), "Album deleted")

    # -- files -------------------------------------------------------------------------------------

    def trash_selected(self) -> None:
        ids = self._selected()
        if not ids:
            return
        answer = QMessageBox.question(
            self.window,
            "Move to trash",
            f"Move {len(ids)} file(s) to the system trash?\n\nYou can restore them from the trash.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.window.leave_viewer()

        def trash():
            result = organize.move_to_trash(self.db, ids)
            if result.failed:
                path, reason = next(iter(result.failed.items()))
                raise PhotoorgError(
                    f"{len(result.failed)} file(s) could not be moved to the trash ({path}: {reason})."
                )
            return result

        self.window.write(trash, f"Moved {len(ids)} file(s) to the trash")

    def _paths(self, limit: int | None = None) -> list[str]:
        model = self.window.model
        rows = (model.row_for_id(i) for i in self._selected()[:limit])
        return [model.rows[row].path for row in rows if row is not None]

    def copy_paths(self) -> None:
        paths = self._paths()
        if paths:
            QGuiApplication.clipboard().setText("\n".join(paths))
            self.window.statusBar().showMessage("Copied the path" + ("s" if len(paths) > 1 else ""), 3000)

    def show_in_file_manager(self) -> None:
        paths = self._paths(1)
        if not paths:
            return
        path = paths[0]
        try:
            if sys.platform == "darwin":
                subprocess.Popen(["open", "-R", path])
            elif sys.platform == "win32":
                subprocess.Popen(["explorer", "/select,", path])
            else:
                QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(path)))
        except OSError as exc:
            self.window.show_error(f"Can't open the file manager: {exc}")

    def open_with_default_app(self) -> None:
        for path in self._paths(10):
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    def find_similar(self) -> None:
        ids = self._selected()
        if not ids:
            return
        self.window.leave_viewer()
        photo_id = ids[0]
        engine = self.window.library.search
        db = self.db

        def load():
            hits = engine.similar(photo_id, limit=SEARCH_LIMIT)
            return (
                browse.rows_for_ids(db, [h.photo_id for h in hits]),
                {h.photo_id: h.score for h in hits},
                "",
            )

        search = self.window.search
        search.field.clear()
        search.show_notice("Photos that look like the selected one.")
        self.window.tasks.submit(load, self.window.apply_grid, search.show_notice, key="grid")

    # -- menus -------------------------------------------------------------------------------------

    def photo_menu(self, position) -> None:
        """The grid's right-click menu."""
        grid = self.window.grid
        if grid.indexAt(position).isValid():
            self.build_photo_menu(self._selected()).exec(grid.viewport().mapToGlobal(position))

    def build_photo_menu(self, ids: list[int]) -> QMenu:
        """The photo menu for these photos, with every capability's entries."""
        menu = QMenu(self.window)
        menu.addAction(icon("image"), "Open", lambda: self.window.open_viewer(ids[0]))
        menu.addAction(icon("sparkles"), "Find similar", self.find_similar)
        menu.addSeparator()
        menu.addAction(icon("heart"), "Favourite", self.toggle_favorite)
        rating = menu.addMenu(icon("star"), "Rating")
        for stars in range(6):
            rating.addAction("★" * stars if stars else "No rating", lambda n=stars: self.rate(n))
        albums = menu.addMenu(icon("album"), "Add to album")
        for album in self.albums:
            albums.addAction(album.name, lambda a=album: self.add_to_album(a.id, a.name, ids))
        albums.addSeparator()
        albums.addAction(icon("plus"), "New album…", lambda: self.create_album(ids))
        if self.window.scope.kind == "album":
            menu.addAction(icon("minus"), "Remove from this album", self.remove_from_current_album)
        for extend in self.window.extensions.photo_menu:
            extend(menu, ids)
        menu.addSeparator()
        menu.addAction(icon("folder"), "Show in file manager", self.show_in_file_manager)
        menu.addAction(icon("copy"), "Copy path", self.copy_paths)
        menu.addAction(icon("external-link"), "Open with default application", self.open_with_default_app)
        menu.addSeparator()
        menu.addAction(icon("trash"), "Move to trash…", self.trash_selected)
        return menu

    def sidebar_menu(self, scope: Scope, position) -> None:
        menu = QMenu(self.window)
        if scope.kind == "album":
            menu.addAction("Rename…", lambda: self.rename_album(scope))
            menu.addAction("Delete album…", lambda: self.delete_album(scope))
        elif scope.kind == "folder":
            menu.addAction(
                "Show in file manager", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(scope.value))
            )
        for extend in self.window.extensions.sidebar_menu:
            extend(menu, scope)
        if not menu.isEmpty():
            menu.exec(position)
