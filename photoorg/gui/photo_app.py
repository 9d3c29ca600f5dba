"""What makes the main window behave like a photo app, wired in one place:
the heading over the grid, the status bar's count of what is shown, date
sections only where photos are in date order, the grid's justified/square
switch, the full-window viewer with its fading controls, captions and
rotation.

Kept apart from ``main_window`` so the window's plumbing and this behaviour
can change independently; :func:`install` is called once by the window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QToolButton

from photoorg import annotations
from photoorg.gui.grid_tiles import thumbnail_bucket
from photoorg.gui.heading import ViewHeading
from photoorg.gui.theme import icon
from photoorg.gui.viewer_controls import ViewerControls


class PhotoAppBehaviour:
    def __init__(self, window) -> None:
        self.window = window
        self._panels: tuple[bool, bool] | None = None
        self._view: tuple | None = None  # what the grid showed last: scope, query, filters
        self._heading(window)
        self._grid_mode(window)
        self._viewer(window)
        window.details.caption_edited.connect(self.save_caption)
        window.grid_updated.connect(self.grid_updated)
        window.pages.currentChanged.connect(self.page_changed)
        self.page_changed(window.pages.currentIndex())  # the welcome page may be showing already

    # -- heading and counts ---------------------------------------------------------------

    def _heading(self, window) -> None:
        self.heading = ViewHeading()
        window.grid_page.layout().insertWidget(1, self.heading)

    def grid_updated(self) -> None:
        window = self.window
        shown = window.model.photo_count()  # a burst's cover counts its photos
        query = window.search.text
        self.heading.show_view(window.scope, shown, query, window.extensions.heading_actions)
        window.status.show_count(shown, "result" if query else "photo")
        # Date headers only where the photos are in date order.
        window.grid.set_sections_enabled(not query or window.search.sort_by_date)
        # Another view starts at its top; the same view refreshed (indexing) stays where the user is.
        view = (window.scope.key(), query, window.search.filters)
        if view != self._view:
            self._view = view
            window.grid.scrollToTop()
        if window.pages.currentWidget() is window.viewer:
            self._viewer_state()

    # -- grid ------------------------------------------------------------------------------------

    def _grid_mode(self, window) -> None:
        square = window.settings.value("grid/square", False, type=bool)
        window.grid.set_square(square)
        self.mode_button = QToolButton()
        self.mode_button.setAutoRaise(True)
        self.mode_button.setCheckable(True)
        self.mode_button.setChecked(square)
        self.mode_button.toggled.connect(window.grid.set_square)
        window.grid.square_changed.connect(self._square_changed)
        self._square_changed(square)
        window.statusBar().insertPermanentWidget(1, self.mode_button)
        view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
        action = view_menu.addAction("Square thumbnails")
        action.setCheckable(True)
        action.setChecked(square)
        action.toggled.connect(window.grid.set_square)
        window.grid.square_changed.connect(action.setChecked)

    def _square_changed(self, square: bool) -> None:
        self.mode_button.setChecked(square)
        self.mode_button.setIcon(icon("grid" if square else "images"))
        self.mode_button.setToolTip(
            "Square thumbnails (click for whole photos in justified rows)"
            if square
            else "Whole photos in justified rows (click for square thumbnails)"
        )
        self.window.settings.setValue("grid/square", square)

    # -- viewer -----------------------------------------------------------------------------------

    def _viewer(self, window) -> None:
        viewer = window.viewer
        self.controls = controls = ViewerControls(viewer)
        controls.back.connect(window.close_viewer)
        controls.previous.connect(lambda: viewer.show_position(viewer.position - 1))
        controls.next.connect(lambda: viewer.show_position(viewer.position + 1))
        controls.zoom_in.connect(lambda: viewer.canvas.zoom_by(1.25))
        controls.zoom_out.connect(lambda: viewer.canvas.zoom_by(0.8))
        controls.fit.connect(viewer.canvas.set_fit)
        controls.actual_size.connect(viewer.actual_size)
        controls.favourite.connect(window.actions_.toggle_favorite)
        controls.rate.connect(window.actions_.rate)
        controls.rotate.connect(self.rotate)
        controls.trash.connect(window.actions_.trash_selected)
        controls.info.connect(self.toggle_info)
        controls.boxes.connect(self._boxes)
        controls.slideshow_step.connect(self._slideshow_step)
        viewer.info_changed.connect(controls.set_title)
        grid = window.grid
        viewer.thumbnail_for = lambda row: window.thumbnails.pixmap(
            row.content_hash, row.path, thumbnail_bucket(grid.cell_size)
        )
        viewer.current_changed.connect(lambda _id: self._viewer_state())
        viewer.closed.connect(controls.stop_slideshow)
        for key, slot in (
            ("I", self.toggle_info),
            ("R", self.rotate),
            ("S", lambda: controls.buttons["slideshow"].toggle()),
        ):
            shortcut = QShortcut(QKeySequence(key), viewer, slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def _viewer_state(self) -> None:
        viewer = self.window.viewer
        row = viewer.current
        if row is not None:
            self.controls.set_favourite(row.favorite)
        self.controls.set_navigation(viewer.position > 0, viewer.position < len(viewer.rows) - 1)
        self.controls.buttons["boxes"].setChecked(viewer.canvas.show_overlays)

    def _boxes(self, on: bool) -> None:
        self.window.viewer.canvas.show_overlays = on
        self.window.viewer.canvas.update()

    def _slideshow_step(self) -> None:
        viewer = self.window.viewer
        if viewer.position >= len(viewer.rows) - 1:
            self.controls.stop_slideshow()
        else:
            viewer.show_position(viewer.position + 1)

    def page_changed(self, _index: int) -> None:
        """The viewer takes the whole window; the panels come back with the grid."""
        window = self.window
        if window.pages.currentWidget() not in (window.grid_page, window.viewer):
            window.status.clear_count()  # the status bar counts what the grid shows; this page is not it
        if window.pages.currentWidget() is window.welcome:
            window.details.hide()  # nothing to show details of yet; the page gets the room
            return
        if self._panels is None and window.pages.currentWidget() is not window.viewer:
            window.details.setVisible(window.details_action.isChecked())
        if window.pages.currentWidget() is window.viewer:
            if self._panels is None:
                self._panels = (window.sidebar.isVisible(), window.details.isVisible())
            window.sidebar.hide()
            window.details.hide()
            self._viewer_state()
        elif self._panels is not None:
            sidebar, details = self._panels
            self._panels = None
            window.sidebar.setVisible(sidebar)
            window.details.setVisible(details)
            window.details_action.setChecked(details)
            self.controls.stop_slideshow()

    def toggle_info(self) -> None:
        details = self.window.details
        details.setVisible(not details.isVisible())
        self.window.details_action.setChecked(details.isVisible())

    def rotate(self) -> None:
        window = self.window
        ids = window.selected_ids()
        if ids:
            db = window.library.db
            window.write(lambda: annotations.rotate(db, ids, 1), "Rotated (the file is unchanged)")

    # -- theme -----------------------------------------------------------------------------------

    def apply_theme(self, theme: str) -> None:
        """Switch to "system", "light" or "dark" now, and at the next start."""
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        from photoorg.gui.app import apply_look

        QSettings("photoorg", "photoorg").setValue("view/theme", theme)
        apply_look(QApplication.instance(), theme)
        self.window.refresh_all()  # the sidebar's icons are drawn again in the new text colour

    # -- details ---------------------------------------------------------------------------------

    def save_caption(self, photo_id: int, caption: str) -> None:
        db = self.window.library.db
        self.window.write(lambda: annotations.set_caption(db, photo_id, caption), "Caption saved")


def install(window) -> PhotoAppBehaviour:
    return PhotoAppBehaviour(window)
