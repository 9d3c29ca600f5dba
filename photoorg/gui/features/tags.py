"""Tags, events and visual groups in the desktop app.

Sidebar sections (Tags as a hierarchy with counts, Events by year, Visual
groups), the Tag chip in the search bar, tags in the details panel, and
adding or removing tags on a selection from the keyboard (T) and the menus.
Everything reads and writes through :mod:`photoorg.tags` off the GUI thread,
through the :class:`~photoorg.gui.extension.AppContext`.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photoorg.gui.details import section_box
from photoorg.gui.extension import AppContext
from photoorg.gui.search_bar import Chip
from photoorg.gui.sidebar import Scope, SidebarEntry
from photoorg.gui.theme import icon
from photoorg.library import Library
from photoorg.search.filters import SearchFilters
from photoorg.tags import store
from photoorg.tags.grouping import EVENT, GRANULARITY_SETTING, VISUAL, list_groups, refresh_groups
from photoorg.tags.vocabulary import TagTree, ensure_vocabulary
from photoorg.tags.zero_shot import ClipTagger

TOP_TAGS_IN_CHIP = 30

log = logging.getLogger(__name__)


# -- data for the sidebar (computed off the GUI thread) ------------------------------------------


def tag_entries(library: Library) -> list[SidebarEntry]:
    rows = store.tag_counts(library.db)
    by_name = {row["name"]: row for row in rows}
    children: dict[str | None, list[dict]] = {}
    for row in rows:
        parent = row["parent"] if row["parent"] in by_name else None
        children.setdefault(parent, []).append(row)

    def build(row: dict) -> SidebarEntry:
        kids = sorted(children.get(row["name"], []), key=lambda r: (-r["count"], r["name"]))
        return SidebarEntry(
            row["name"],
            Scope("tag", row["name"], row["name"]),
            row["count"],
            None,
            [build(k) for k in kids],
        )

    roots = sorted(children.get(None, []), key=lambda r: (-r["count"], r["name"]))
    return [build(r) for r in roots]


def event_entries(library: Library) -> list[SidebarEntry]:
    years: dict[str, list[dict]] = {}
    for group in list_groups(library.db, EVENT):
        years.setdefault((group["start"] or "")[:4] or "Undated", []).append(group)
    return [
        SidebarEntry(
            year,
            None,
            sum(g["count"] for g in groups),
            "calendar",
            [
                SidebarEntry(g["title"], Scope("event", g["id"], g["title"]), g["count"])
                for g in sorted(groups, key=lambda g: g["start"] or "", reverse=True)
            ],
        )
        for year, groups in sorted(years.items(), reverse=True)
    ]


def visual_entries(library: Library) -> list[SidebarEntry]:
    return [
        SidebarEntry(g["title"], Scope("group", g["id"], g["title"]), g["count"], "layers")
        for g in list_groups(library.db, VISUAL)
    ]


# -- dialogs ---------------------------------------------------------------------------------------


class TagEditor(QDialog):
    """Tags on the selected photos: remove any, add new ones (with completion)."""

    def __init__(
        self, tags: TagsGui, photo_ids: list[int], present: dict[str, int], all_names: list[str]
    ) -> None:
        super().__init__(tags.ctx.dialog_parent())
        self.tags = tags
        self.photo_ids = photo_ids
        self.setWindowTitle(f"Tags of {len(photo_ids)} photo(s)")
        self.setMinimumWidth(420)
        self.current = QListWidget()
        for name, count in sorted(present.items(), key=lambda kv: (-kv[1], kv[0])):
            label = name if count == len(photo_ids) else f"{name}   ({count} of {len(photo_ids)})"
            item = QListWidgetItem(icon("tag"), label)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.current.addItem(item)
        remove = QPushButton(icon("minus"), "Remove selected tag")
        remove.clicked.connect(self._remove)
        self.field = QLineEdit()
        self.field.setPlaceholderText("Add a tag: type, then Enter")
        completer = QCompleter(sorted(all_names), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.field.setCompleter(completer)
        self.field.returnPressed.connect(self._add)
        note = QLabel("Your changes always win over automatic tags, and re-tagging never undoes them.")
        note.setWordWrap(True)
        note.setObjectName("Muted")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.current)
        layout.addWidget(remove)
        row = QHBoxLayout()
        row.addWidget(self.field)
        layout.addLayout(row)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def _add(self) -> None:
        name = self.field.text().strip()
        if name:
            self.tags.add_tag(self.photo_ids, name)
            item = QListWidgetItem(icon("tag"), name.lower())
            item.setData(Qt.ItemDataRole.UserRole, name.lower())
            self.current.addItem(item)
            self.field.clear()

    def _remove(self) -> None:
        item = self.current.currentItem()
        if item is not None:
            self.tags.remove_tag(self.photo_ids, item.data(Qt.ItemDataRole.UserRole))
            self.current.takeItem(self.current.row(item))


# -- the details panel -------------------------------------------------------------------------------


def details_section(details: dict) -> QWidget | None:
    tags = details.get("tags") or []
    if not tags:
        return None
    box, layout = section_box("Tags")
    shown = [t for t in tags if t["source"] != "implied"]
    implied = [t["name"] for t in tags if t["source"] == "implied"]
    lines = []
    for tag in shown:
        mark = "you" if tag["source"] == "user" else f"{tag['confidence']:.0%}"
        lines.append(f"{tag['name']}  <span style='color:gray'>{mark}</span>")
    text = QLabel(
        "<br>".join(lines)
        + (f"<br><span style='color:gray'>also: {', '.join(implied)}</span>" if implied else "")
    )
    text.setWordWrap(True)
    text.setTextFormat(Qt.TextFormat.RichText)
    layout.addWidget(text)
    return box


# -- the capability -------------------------------------------------------------------------------------


class TagsGui:
    """Tags, events and visual groups, installed through the extension interface."""

    def install(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.db = ctx.library.db
        ctx.add_sidebar_section("tags", "Tags", tag_entries, order=50)
        ctx.add_sidebar_section("events", "Events", event_entries, order=60)
        ctx.add_sidebar_section("groups", "Visual groups", visual_entries, order=90)
        ctx.add_scope_filter("tag", lambda scope: SearchFilters(tags=(scope.value,)))
        ctx.add_scope_filter("group", lambda scope: SearchFilters(group_id=scope.value))
        ctx.add_scope_filter("event", lambda scope: SearchFilters(group_id=scope.value))
        ctx.add_shortcut("T", "Add or remove tags on the selection", self.edit_tags, listed_after="F")
        ctx.add_photo_action(self.photo_menu)
        ctx.add_sidebar_action(self.sidebar_menu)
        ctx.add_details_section(details_section)
        self.chip = ctx.add_search_chip("Tag", lambda f: ", ".join(f.tags) or None)
        ctx.on_refresh(self.refresh_chip)

    # -- writes ----------------------------------------------------------------------------------------

    def add_tag(self, photo_ids: list[int], name: str) -> None:
        db = self.db
        self.ctx.write(lambda: store.add_tag(db, photo_ids, name), f"Tagged {len(photo_ids)} photo(s)")

    def remove_tag(self, photo_ids: list[int], name: str) -> None:
        db = self.db
        self.ctx.write(
            lambda: store.remove_tag(db, photo_ids, name), f"Removed “{name}” from {len(photo_ids)} photo(s)"
        )

    def new_concept(self) -> None:
        """Teach the tagger a concept of the user's own; the library is re-tagged
        from its stored vectors at once."""
        parent = self.ctx.dialog_parent()
        name, ok = QInputDialog.getText(
            parent, "New concept", "Name of the concept (for example “grandpa's boat”):"
        )
        if not ok or not name.strip():
            return
        description, ok = QInputDialog.getText(
            parent,
            "New concept",
            "Describe what it looks like (optional):",
            text=f"a photo of {name.strip()}",
        )
        if not ok:
            return
        library = self.ctx.library

        def run() -> int:
            store.add_concept(library.db, name, [description] if description.strip() else None)
            tagged = 0
            for event in ClipTagger(library).run(everything=True):
                tagged = event.done
            return tagged

        def done(tagged: int) -> None:
            self.ctx.notify(f"Re-tagged {tagged} photo(s) with “{name}”", 6000)
            self.ctx.refresh()

        self.ctx.submit(run, done, heavy=True)

    def regroup(self, delta: float) -> None:
        """Coarser or finer visual groups, recomputed from the stored vectors."""
        library = self.ctx.library

        def run() -> None:
            current = float(library.db.get_setting(GRANULARITY_SETTING, 0.5))
            library.db.set_setting(GRANULARITY_SETTING, min(1.0, max(0.0, current + delta)))
            for _ in refresh_groups(library.db, force=True):
                pass

        self.ctx.write(run, "Visual groups updated")

    # -- the tag editor -----------------------------------------------------------------------------

    def edit_tags(self) -> None:
        ids = self.ctx.selected_ids()
        if not ids:
            return
        db = self.db

        def load():
            ensure_vocabulary(db)
            present: dict[str, int] = {}
            with db.session() as s:
                for photo_id in ids[:500]:
                    for tag in store.photo_tags(s, photo_id, None):
                        present[tag["name"]] = present.get(tag["name"], 0) + 1
            names = [row["name"] for row in store.tag_counts(db)]
            names += list(TagTree.load(db).names.values())
            return present, sorted(set(names))

        def show(result) -> None:
            present, names = result
            TagEditor(self, ids, present, names).exec()

        self.ctx.submit(load, show, key="tag-editor")

    # -- menus and the chip ------------------------------------------------------------------------

    def photo_menu(self, menu: QMenu, photo_ids: list[int]) -> None:
        tags = menu.addMenu(icon("tag"), "Tags")
        tags.addAction(icon("plus"), "Add or remove tags…  (T)", self.edit_tags)

    def sidebar_menu(self, menu: QMenu, scope: Scope) -> None:
        if scope.kind == "tag":
            name = scope.value
            menu.addAction(icon("sparkles"), "Teach a new concept…", self.new_concept)
            menu.addAction(icon("tag"), "Rename…", lambda: self._rename(name))
            menu.addAction(icon("merge"), "Merge into…", lambda: self._merge(name))
            menu.addAction(icon("trash"), "Delete tag…", lambda: self._delete(name))
        elif scope.kind == "group":
            menu.addAction(icon("layers"), "Coarser groups", lambda: self.regroup(-0.15))
            menu.addAction(icon("layers"), "Finer groups", lambda: self.regroup(0.15))

    def _rename(self, name: str) -> None:
        parent, db = self.ctx.dialog_parent(), self.db
        new, ok = QInputDialog.getText(parent, "Rename tag", f"New name for “{name}”:", text=name)
        if ok and new.strip():
            self.ctx.write(lambda: store.rename_tag(db, name, new), "Tag renamed")

    def _merge(self, name: str) -> None:
        parent, db = self.ctx.dialog_parent(), self.db
        target, ok = QInputDialog.getText(parent, "Merge tag", f"Merge “{name}” into which tag?")
        if ok and target.strip():
            self.ctx.write(lambda: store.merge_tags(db, name, target), "Tags merged")

    def _delete(self, name: str) -> None:
        answer = QMessageBox.question(
            self.ctx.dialog_parent(),
            "Delete tag",
            f"Remove the tag “{name}” from every photo?\n\nNo photo is deleted.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            db = self.db
            self.ctx.write(lambda: store.delete_tag(db, name), "Tag deleted")

    def refresh_chip(self) -> None:
        db = self.db
        self.ctx.submit(
            lambda: [row["name"] for row in store.tag_counts(db)],
            self._fill_chip,
            key="tag-chip",
            on_error=lambda message: log.warning("tag chip: %s", message),  # it keeps its last names
        )

    def _fill_chip(self, names: list[str]) -> None:
        chip: Chip = self.chip
        menu = chip.menu_
        menu.clear()
        menu.addAction("Any tag", lambda: self.ctx.set_search_filter(tags=()))
        menu.addAction(icon("sparkles"), "Teach a new concept…", self.new_concept)
        menu.addSeparator()
        for name in names[:TOP_TAGS_IN_CHIP]:
            menu.addAction(name, lambda n=name: self.ctx.set_search_filter(tags=(n,)))
