"""What the sidebar and the grid show: read off the GUI thread (counts,
folders, timeline, albums, each capability's sections; the photos of a scope
or a search), then applied to the window's widgets."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from photoorg import browse
from photoorg.gui.actions import SEARCH_LIMIT
from photoorg.gui.sidebar import ALL, Scope, SidebarEntry, folder_entries, timeline_entries
from photoorg.gui.stacks import GridStacks, load_stacks
from photoorg.search.engine import SORT_DATE, SORT_RELEVANCE, SearchUnavailable
from photoorg.status import failures

if TYPE_CHECKING:  # the window builds this object
    from photoorg.gui.main_window import MainWindow


class ContentLoader(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        #: the scope shown when the window closed, selected once the sidebar is filled
        self.restored_scope_key = "all:None"
        #: the grid's stacks (bursts...), and which are open
        self.stacks = GridStacks([], {}, set())

    def refresh_sidebar(self) -> None:
        library = self.window.library
        db = library.db
        sections = list(self.window.extensions.sections)

        def load():
            return {
                "counts": browse.counts(db),
                "folders": browse.folder_tree(db),
                "timeline": browse.timeline(db),
                "albums": browse.albums(db),
                "cameras": browse.cameras(db),
                "extra": {section.key: section.build(library) for section in sections},
            }

        self.window.tasks.submit(load, self._apply_sidebar, key="sidebar")

    def _apply_sidebar(self, data: dict) -> None:
        w = self.window
        sidebar = w.sidebar
        counts = data["counts"]
        favourites = Scope("favorites", None, "Favourites")
        attention = Scope("attention", None, "Needs attention")
        sidebar.set_section(
            "library",
            [
                SidebarEntry("All photos", ALL, counts["all"], "images"),
                SidebarEntry("Favourites", favourites, counts["favorites"], "heart"),
                SidebarEntry("Needs attention", attention, counts["attention"], "alert-triangle"),
            ],
        )
        sidebar.set_section("folders", folder_entries(data["folders"]), "Add a folder to begin")
        sidebar.set_section("timeline", timeline_entries(data["timeline"]))
        w.actions_.albums = data["albums"]  # the photo menu offers them without a read
        albums = [
            SidebarEntry(a.name, Scope("album", a.id, a.name), a.count, "album") for a in data["albums"]
        ]
        albums.append(SidebarEntry("New album…", Scope("new-album", None, "New album"), None, "plus"))
        sidebar.set_section("albums", albums)
        for key, entries in data["extra"].items():
            sidebar.set_section(key, entries, "")
        w.search.set_choices([node.path for node in data["folders"]], data["cameras"])
        kind, _, value = str(self.restored_scope_key).partition(":")
        restored = Scope(kind, None if value == "None" else value)
        if sidebar.current_scope() is None and not sidebar.select_scope(restored, emit=False):
            sidebar.select_scope(ALL, emit=False)
        has_roots = bool(data["folders"])
        if not has_roots and w.pages.currentWidget() is not w.viewer:
            w.pages.setCurrentWidget(w.welcome)
        elif has_roots and w.pages.currentWidget() is w.welcome:
            w.pages.setCurrentWidget(w.grid_page)

    def refresh_grid(self) -> None:
        w = self.window
        if w.scope.kind in w.extensions.pages:
            return
        db = w.library.db
        if w.scope.kind == "attention":
            w.tasks.submit(lambda: failures(db), w.attention.show_failures, key="attention")
            return
        text = w.search.text
        filters = w.current_filters()
        engine = w.library.search
        sort = SORT_DATE if w.search.sort_by_date else SORT_RELEVANCE
        min_score = w.search.min_score
        library, stack_providers = w.library, list(w.extensions.grid_stacks)

        def load():
            if not text:
                rows = browse.list_photos(db, filters)
                return rows, {}, "", load_stacks(stack_providers, library, rows)
            try:
                results = engine.search(text, filters, limit=SEARCH_LIMIT, min_score=min_score, sort=sort)
            except SearchUnavailable as exc:
                return [], {}, str(exc), {}
            scores = {hit.photo_id: hit.score for hit in results.hits if hit.score is not None}
            rows = browse.rows_for_hits(db, results.hits)
            return rows, scores, results.notice, {}  # ranked results stay unstacked: each is a match

        if text:
            # The window stays live: a search waiting for the model says so.
            preparing = engine.preparing
            w.statusBar().showMessage("Preparing search (loading the model)…" if preparing else "Searching…")
        w.tasks.submit(load, self.apply_grid, self._grid_failed, key="grid")

    def toggle_stack(self, cover: int) -> None:
        """Open or close a stack in place (no reload: the rows are at hand)."""
        if not self.stacks.toggle(cover):
            return
        w = self.window
        rows, stack_info = self.stacks.shown()
        w.model.set_rows(rows, w.model.scores)
        w.model.set_stacks(stack_info)
        if w.viewer.isVisible():
            w.viewer.set_rows(w.model.rows)

    def _grid_failed(self, message: str) -> None:
        self.window.statusBar().clearMessage()
        self.window.show_error(message)

    def apply_grid(self, result) -> None:
        """Show (rows, scores, notice[, stacks]) in the grid."""
        w = self.window
        if w.statusBar().currentMessage() in ("Searching…", "Preparing search (loading the model)…"):
            w.statusBar().clearMessage()
        rows, scores, notice, *stacks = result
        self.stacks = GridStacks(list(rows), stacks[0] if stacks else {}, self.stacks.expanded)
        rows, stack_info = self.stacks.shown()
        w.model.set_rows(rows, scores)
        w.model.set_stacks(stack_info)
        w.grid_stack.setCurrentWidget(w.grid if rows else w.empty)
        if not rows:
            w.empty.setText(
                "No photos match."
                if w.search.text or w.search.filters.active
                else "No photos here yet."
                if w.scope.kind != "all"
                else "No photos yet. Indexing shows them here as it finds them."
            )
        if notice:
            notice = html.escape(notice)
            if "rank by meaning" in notice:
                notice += ' <a href="get-model">Get the model…</a>'
        w.search.show_notice(notice)
        if w.viewer.isVisible():
            w.viewer.set_rows(w.model.rows)
        w.selection_changed()
        w.grid_updated.emit()
