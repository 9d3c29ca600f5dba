"""What a capability's GUI (tags, people, and the ones to come) may do in the
window: the whole interface, in one documented object.

A capability GUI is a class with ``install(ctx)`` (:class:`GuiCapability`),
listed in :mod:`photoorg.gui.features`. It gets an :class:`AppContext`, never
the window, so adding a capability edits neither ``main_window.py`` nor any
other module of the shell. Through the context it can:

- run work off the GUI thread (:meth:`AppContext.submit`) and write to the
  library (:meth:`AppContext.write`: off-thread, then a refresh, errors shown);
- tell the user something (:meth:`~AppContext.show_error`, :meth:`~AppContext.notify`);
- add a page, a sidebar section, a details-panel section, a scope filter, a
  shortcut, a photo-menu or sidebar-menu action, a search chip, a viewer
  overlay, an action by the grid's heading and stacks in the grid (the
  ``add_*`` methods);
- navigate (:meth:`~AppContext.show_scope`) and read the selection.

Everything a capability adds is recorded in the :class:`Extensions` registry
the window reads; nothing is a module global.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from photoorg.gui.heading import HeadingAction
from photoorg.gui.images import ImageLoader
from photoorg.gui.search_bar import Chip
from photoorg.gui.sidebar import Scope, SidebarEntry
from photoorg.gui.stacks import StackProvider
from photoorg.gui.workers import Job
from photoorg.library import Library
from photoorg.search.filters import SearchFilters

if TYPE_CHECKING:  # the window imports this module
    from photoorg.gui.main_window import MainWindow

#: library -> the section's entries; runs off the GUI thread
SectionBuilder = Callable[[Library], list[SidebarEntry]]
#: a sidebar scope -> the search filters it stands for
ScopeFilter = Callable[[Scope], SearchFilters]
#: (menu, selected photo ids) -> adds entries to the photo menu
PhotoMenuHook = Callable[[QMenu, list[int]], None]
#: (menu, scope) -> adds entries to a sidebar item's menu
SidebarMenuHook = Callable[[QMenu, Scope], None]
#: the photo's details (a dict) -> a widget for the details panel, or None
DetailsSection = Callable[[dict], "QWidget | None"]
#: a photo row -> boxes (x, y, w, h, label) drawn over it in the viewer; runs off the GUI thread.
#: A box may carry a sixth element, a line of text the user can select and copy on the photo.
OverlayProvider = Callable[[Any], list[tuple]]


class ScopePage(Protocol):
    """A page shown instead of the grid for some scope kinds."""

    def show_scope(self, scope: Scope) -> None: ...

    def refresh(self) -> None:
        """Reload after the library changed (called while the page is shown)."""


class GuiCapability(Protocol):
    """A capability's part of the desktop app."""

    def install(self, ctx: AppContext) -> None: ...


@dataclass(frozen=True)
class SidebarSection:
    key: str
    title: str
    build: SectionBuilder
    order: int


@dataclass
class Extensions:
    """Everything the capabilities added, read by the window."""

    sections: list[SidebarSection] = field(default_factory=list)
    pages: dict[str, QWidget] = field(default_factory=dict)  # scope kind -> ScopePage
    scope_filters: dict[str, ScopeFilter] = field(default_factory=dict)
    photo_menu: list[PhotoMenuHook] = field(default_factory=list)
    sidebar_menu: list[SidebarMenuHook] = field(default_factory=list)
    refresh_listeners: list[Callable[[], None]] = field(default_factory=list)
    #: (keys, description, listed after these keys or None for the end)
    shortcuts: list[tuple[str, str, str | None]] = field(default_factory=list)
    heading_actions: list[HeadingAction] = field(default_factory=list)
    grid_stacks: list[StackProvider] = field(default_factory=list)


class AppContext:
    """The window as a capability sees it. Use it on the GUI thread."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window
        self.extensions = window.extensions

    # -- the library and background work ----------------------------------------------------------

    @property
    def library(self) -> Library:
        """For handing to work that runs off the GUI thread; never read it here."""
        return self._window.library

    @property
    def images(self) -> ImageLoader:
        """The shared last-in-first-out loader of small images (thumbnails,
        face crops): views ask it for pixmaps while they paint."""
        return self._window.images

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        *,
        key: str | None = None,
        on_error: Callable[[str], None] | None = None,
        on_yield: Callable[[Any], None] | None = None,
        heavy: bool = False,
    ) -> Job:
        """Run ``fn`` (a function or a generator) off the GUI thread; ``on_done``
        gets its result on the GUI thread. ``key``: a newer job with the same
        key supersedes this one. Errors go to ``on_error``, else to
        :meth:`show_error`. ``heavy`` work (re-tagging a library) runs on a
        niced thread of its own, so it never delays the window's reads."""
        pool = self._window.heavy_tasks if heavy else self._window.tasks
        return pool.submit(fn, on_done, on_error, key=key, on_yield=on_yield)

    def write(
        self, fn: Callable[[], Any], message: str = "", on_done: Callable[[Any], None] | None = None
    ) -> None:
        """Change the library off the GUI thread (the indexer may hold the write
        lock for a moment), then show ``message``, call ``on_done(result)`` and
        refresh everything shown. Errors are shown to the user."""
        self._window.write(fn, message, on_done)

    def show_error(self, message: str) -> None:
        """A readable message that does not block: background work keeps going."""
        self._window.show_error(message)

    def notify(self, message: str, milliseconds: int = 4000) -> None:
        """A passing note in the status bar."""
        self._window.statusBar().showMessage(message, milliseconds)

    def start_indexing(self) -> None:
        """Analyse the library again (new settings for a capability's stage)."""
        self._window.indexing.start()

    def refresh(self) -> None:
        """Reload the sidebar, the grid and every shown page."""
        self._window.refresh_all()

    # -- navigation and selection -----------------------------------------------------------------

    def dialog_parent(self) -> QWidget:
        """The parent for a capability's dialogs and menus."""
        return self._window

    def selected_ids(self) -> list[int]:
        """The photos the user selected (or the one in the viewer)."""
        return self._window.selected_ids()

    def current_scope(self) -> Scope:
        return self._window.scope

    def search_text(self) -> str:
        """What is typed in the search field now (to highlight what matched)."""
        return self._window.search.text

    def show_scope(self, scope: Scope) -> None:
        """Show a scope: its sidebar item when there is one, else directly."""
        if not self._window.sidebar.select_scope(scope):
            self._window.sidebar.clearSelection()
            self._window.set_scope(scope)

    # -- what a capability adds -------------------------------------------------------------------

    def add_page(self, kinds: str | tuple[str, ...], page: QWidget) -> None:
        """Show ``page`` (a :class:`ScopePage`) instead of the grid for these scope kinds."""
        self._window.pages.addWidget(page)
        for kind in (kinds,) if isinstance(kinds, str) else kinds:
            self.extensions.pages[kind] = page

    def add_sidebar_section(self, key: str, title: str, build: SectionBuilder, order: int = 100) -> None:
        """A section of the sidebar, rebuilt (off the GUI thread) on every refresh.
        ``order`` places it among the others (see :attr:`Sidebar.SECTIONS`)."""
        self.extensions.sections.append(SidebarSection(key, title, build, order))
        self._window.sidebar.add_section(key, title, order)

    def add_details_section(self, build: DetailsSection) -> None:
        self._window.details.section_builders.append(build)

    def add_scope_filter(self, kind: str, to_filters: ScopeFilter) -> None:
        """What the grid shows for a sidebar scope of this kind."""
        self.extensions.scope_filters[kind] = to_filters

    def add_shortcut(
        self, keys: str, description: str, slot: Callable[[], None], listed_after: str | None = None
    ) -> None:
        """A key acting on the selection in the grid and the viewer (never while
        typing in the search field), listed in the shortcuts dialog."""
        for target in self._window.photo_targets():
            action = QAction(description, target)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            target.addAction(action)
        self.extensions.shortcuts.append((keys, description, listed_after))

    def add_photo_action(self, hook: PhotoMenuHook) -> None:
        """Entries in the photo menu (right-click on the grid)."""
        self.extensions.photo_menu.append(hook)

    def add_sidebar_action(self, hook: SidebarMenuHook) -> None:
        """Entries in a sidebar item's menu."""
        self.extensions.sidebar_menu.append(hook)

    def add_viewer_overlay(self, provider: OverlayProvider) -> None:
        self._window.viewer.overlay_providers.append(provider)

    def add_search_chip(self, title: str, value_of: Callable[[SearchFilters], str | None]) -> Chip:
        """A chip in the search bar; fill ``chip.menu_`` and call :meth:`set_search_filter`."""
        return self._window.search.add_chip(title, value_of)

    def set_search_filter(self, **changes: Any) -> None:
        self._window.search.set_filter(**changes)

    def add_heading_action(
        self, text: str, icon_name: str, applies: Callable[[Scope], bool], run: Callable[[Scope], None]
    ) -> None:
        """A button by the grid's heading, shown for the scopes ``applies`` accepts
        (never for a search's results); ``run`` gets the scope shown."""
        self.extensions.heading_actions.append(HeadingAction(text, icon_name, applies, run))

    def add_grid_stacks(self, provider: StackProvider) -> None:
        """Photos the grid shows as one cover with a count (a burst), which a
        click on the count opens in place. ``provider(library, ids)`` runs off
        the GUI thread and returns ``{cover id: [member ids, cover first]}``."""
        if not self.extensions.grid_stacks:
            self._window.grid.stack_clicked.connect(self._window.content.toggle_stack)
        self.extensions.grid_stacks.append(provider)

    def on_refresh(self, listener: Callable[[], None]) -> None:
        """Called after every refresh of the sidebar and the grid."""
        self.extensions.refresh_listeners.append(listener)
