"""The left sidebar: where in the library the grid is looking.

Every item carries a :class:`Scope`; selecting it shows that scope. Sections
are built from plain data the core computes off the GUI thread. Capabilities add
their own sections (Tags, People, Events, Groups) through the extension interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem

from photoorg.gui.theme import SELECTION, icon
from photoorg.search.filters import SearchFilters
from photoorg.search.query import parse_date

SCOPE_ROLE = Qt.ItemDataRole.UserRole + 10
SHOW_ALL, SHOW_FEWER = "show-all", "show-fewer"  # the items that open and close a long section

MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


@dataclass(frozen=True)
class Scope:
    """What the grid shows: kind ("all", "favorites", "attention", "folder",
    "month", "album", "tag", "person", "event", "group") and its value."""

    kind: str
    value: object = None
    label: str = ""

    def key(self) -> str:
        return f"{self.kind}:{self.value}"


ALL = Scope("all", None, "All photos")


@dataclass
class SidebarEntry:
    label: str
    scope: Scope | None
    count: int | None = None
    icon: str | None = None
    children: list[SidebarEntry] | None = None
    expanded: bool = False
    tooltip: str = ""


class Sidebar(QTreeWidget):
    scope_selected = Signal(object)  # Scope
    context_requested = Signal(object, object)  # Scope, global position

    #: the library's own sections, with their place; capabilities add theirs with
    #: add_section. In the order people use them (photo apps put people and places
    #: first, the file system last): library 10, people 20, places 30, albums 40,
    #: tags 50, events 60, folders 70, timeline 80, visual groups 90.
    SECTIONS = (
        ("library", "Library", 10),
        ("albums", "Albums", 40),
        ("folders", "Folders", 70),
        ("timeline", "Timeline", 80),
    )
    #: a section longer than this shows its first entries and "Show all"
    COLLAPSED_LENGTH = 8

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("Sidebar")
        self.setHeaderHidden(True)
        self.setColumnCount(2)
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.setIndentation(14)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setMinimumWidth(200)
        self._sections: dict[str, QTreeWidgetItem] = {}
        self._order: dict[str, int] = {}
        self._entries: dict[str, tuple[list[SidebarEntry], str]] = {}
        self._expanded_sections: set[str] = set()
        for key, title, order in self.SECTIONS:
            self.add_section(key, title, order)
        self.itemSelectionChanged.connect(self._selection_changed)
        self.itemClicked.connect(self._clicked)
        self.customContextMenuRequested.connect(self._context_menu)
        self._suppress = False

    def add_section(self, key: str, title: str, order: int) -> None:
        """A section header, hidden until the section has entries; sections
        are kept sorted by ``order``."""
        header = QTreeWidgetItem([title.upper(), ""])
        font = QFont(header.font(0))
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        font.setBold(True)
        header.setFont(0, font)
        header.setFlags(Qt.ItemFlag.ItemIsEnabled)
        position = sum(1 for other in self._order.values() if other <= order)
        self.insertTopLevelItem(position, header)
        header.setExpanded(True)
        header.setHidden(True)
        self._sections[key] = header
        self._order[key] = order

    def section_keys(self) -> list[str]:
        """The sections' keys, top to bottom (shown or not)."""
        return sorted(self._order, key=self._order.__getitem__)

    def set_section(self, key: str, entries: list[SidebarEntry], placeholder: str = "") -> None:
        """Replace a section's items, keeping the selected scope selected.

        A long section shows its first entries and a "Show all" item, unless
        the user opened it or the selected scope is further down."""
        self._entries[key] = (entries, placeholder)
        header = self._sections[key]
        current = self.current_scope()
        limit = self.COLLAPSED_LENGTH
        if len(entries) > limit + 1 and key not in self._expanded_sections:
            hidden = {e.scope.key() for e in entries[limit:] if e.scope is not None}
            if current is None or current.key() not in hidden:
                more = SidebarEntry(f"Show all {len(entries)}", Scope(SHOW_ALL, key), None, "chevron-down")
                entries = [*entries[:limit], more]
        elif len(entries) > limit + 1:
            entries = [*entries, SidebarEntry("Show fewer", Scope(SHOW_FEWER, key), None, "chevron-left")]
        expanded = {item.data(0, SCOPE_ROLE) for item in self._walk(header) if item.isExpanded()}
        self._suppress = True
        try:
            header.takeChildren()
            for entry in entries:
                header.addChild(self._item(entry, expanded))
            if not entries and placeholder:
                empty = QTreeWidgetItem([placeholder, ""])
                empty.setFlags(Qt.ItemFlag.NoItemFlags)
                header.addChild(empty)
            header.setHidden(not entries and not placeholder)
            if current is not None:
                self.select_scope(current, emit=False)
        finally:
            self._suppress = False

    def _item(self, entry: SidebarEntry, expanded: set) -> QTreeWidgetItem:
        item = QTreeWidgetItem([entry.label, "" if entry.count is None else f"{entry.count:,}"])
        item.setData(0, SCOPE_ROLE, entry.scope)
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if entry.icon:
            item.setIcon(0, icon(entry.icon))
        # A name the sidebar's width cuts short is always readable in full here.
        item.setToolTip(0, entry.tooltip or entry.label)
        if entry.scope is not None and entry.scope.kind in (SHOW_ALL, SHOW_FEWER):
            # Not selectable: clicking it opens or closes the section and keeps the selection.
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            item.setData(0, Qt.ItemDataRole.ForegroundRole, self.palette().color(QPalette.ColorRole.Link))
        if entry.scope is None:
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        for child in entry.children or []:
            item.addChild(self._item(child, expanded))
        item.setExpanded(entry.expanded or entry.scope in expanded)
        return item

    def _walk(self, item: QTreeWidgetItem):
        for i in range(item.childCount()):
            child = item.child(i)
            yield child
            yield from self._walk(child)

    def current_scope(self) -> Scope | None:
        items = self.selectedItems()
        return items[0].data(0, SCOPE_ROLE) if items else None

    def select_scope(self, scope: Scope, emit: bool = True) -> bool:
        for header in self._sections.values():
            for item in self._walk(header):
                found = item.data(0, SCOPE_ROLE)
                if found is not None and found.key() == scope.key():
                    self._suppress = not emit
                    try:
                        self.setCurrentItem(item)
                        parent = item.parent()
                        while parent is not None:
                            parent.setExpanded(True)
                            parent = parent.parent()
                    finally:
                        self._suppress = False
                    return True
        return False

    def _selection_changed(self) -> None:
        if self._suppress:
            return
        scope = self.current_scope()
        if scope is not None:
            self.scope_selected.emit(scope)

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        scope = item.data(0, SCOPE_ROLE)
        if scope is None or scope.kind not in (SHOW_ALL, SHOW_FEWER):
            return
        key = scope.value
        if scope.kind == SHOW_ALL:
            self._expanded_sections.add(key)
        else:
            self._expanded_sections.discard(key)
        self.set_section(key, *self._entries[key])

    def show_all(self, key: str) -> None:
        """Open a collapsed section (what its "Show all" item does)."""
        self._expanded_sections.add(key)
        if key in self._entries:
            self.set_section(key, *self._entries[key])

    def drawRow(self, painter: QPainter, option, index) -> None:
        # One rounded highlight across the whole row (icon, name and count),
        # instead of one block per cell.
        if self.selectionModel().isSelected(index):
            rect = QRect(4, option.rect.y() + 1, self.viewport().width() - 8, option.rect.height() - 2)
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(SELECTION)
            painter.drawRoundedRect(rect, 6, 6)
            painter.restore()
        super().drawRow(painter, option, index)

    def _context_menu(self, position) -> None:
        item = self.itemAt(position)
        scope = item.data(0, SCOPE_ROLE) if item is not None else None
        if scope is not None:
            self.context_requested.emit(scope, self.viewport().mapToGlobal(position))


def folder_entries(nodes) -> list[SidebarEntry]:
    def convert(node, top: bool) -> SidebarEntry:
        return SidebarEntry(
            label=node.name if node.online or not top else f"{node.name} (offline)",
            scope=Scope("folder", node.path, node.name),
            count=node.count,
            icon="folder" if top else None,
            children=[convert(child, False) for child in sorted(node.children, key=lambda n: n.name.lower())],
            expanded=False,
            tooltip=node.path if node.online else f"{node.path}\nNot connected: its photos are kept.",
        )

    return [convert(node, True) for node in nodes]


def timeline_entries(months) -> list[SidebarEntry]:
    years: dict[int, list] = {}
    for month in months:
        years.setdefault(month.year, []).append(month)
    entries = []
    for year in sorted(years, reverse=True):
        children = [
            SidebarEntry(
                MONTHS[m.month - 1],
                Scope("month", (m.year, m.month), f"{MONTHS[m.month - 1]} {m.year}"),
                m.count,
            )
            for m in years[year]
        ]
        entries.append(
            SidebarEntry(
                str(year),
                Scope("year", year, str(year)),
                sum(m.count for m in years[year]),
                icon="calendar",
                children=children,
            )
        )
    return entries


def scope_filters(scope: Scope, extra: dict | None = None) -> SearchFilters:
    """The filters a sidebar scope stands for; ``extra`` maps the scope kinds
    capabilities added (tag, person, event...) to theirs."""
    if scope.kind == "favorites":
        return SearchFilters(favorites_only=True)
    if scope.kind == "folder":
        return SearchFilters(folder=scope.value)
    if scope.kind == "year":
        return SearchFilters(date_from=date(scope.value, 1, 1), date_to=date(scope.value, 12, 31))
    if scope.kind == "month":
        year, month = scope.value
        text = f"{year}-{month:02d}"
        return SearchFilters(date_from=parse_date(text), date_to=parse_date(text, end=True))
    if scope.kind == "album":
        return SearchFilters(album_id=scope.value)
    if extra and scope.kind in extra:
        return extra[scope.kind](scope)
    return SearchFilters()
