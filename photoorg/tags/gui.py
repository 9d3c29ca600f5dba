"""Tags, events and visual groups in the desktop app.

Sidebar sections (Tags as a hierarchy with counts, Events by year, Visual
groups), the Tag chip in the search bar, tags in the details panel, and
adding or removing tags on a selection from the keyboard (T) and the menus.
Everything reads and writes through photoorg.tags off the GUI thread.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
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
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photoorg.gui import main_window
from photoorg.gui.sidebar import Scope, SidebarEntry
from photoorg.gui.theme import icon
from photoorg.search.filters import SearchFilters

TOP_TAGS_IN_CHIP = 30


# -- data for the sidebar (computed off the GUI thread) ------------------------------------------


def tag_entries(library) -> list[SidebarEntry]:
    from photoorg.tags.store import tag_counts

    rows = tag_counts(library.db)
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


def event_entries(library) -> list[SidebarEntry]:
    from photoorg.tags.grouping import EVENT, list_groups

    years: dict[str, list[dict]] = {}
    for group in list_groups(library, EVENT):
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


def visual_entries(library) -> list[SidebarEntry]:
    from photoorg.tags.grouping import VISUAL, list_groups

    return [
        SidebarEntry(g["title"], Scope("group", g["id"], g["title"]), g["count"], "layers")
        for g in list_groups(library, VISUAL)
    ]


# -- dialogs ---------------------------------------------------------------------------------------


class TagEditor(QDialog):
    """Tags on the selected photos: remove any, add new ones (with completion)."""

    def __init__(self, window, photo_ids: list[int], present: dict[str, int], all_names: list[str]) -> None:
        super().__init__(window)
        self.window_ = window
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
            add_tag(self.window_, self.photo_ids, name)
            item = QListWidgetItem(icon("tag"), name.lower())
            item.setData(Qt.ItemDataRole.UserRole, name.lower())
            self.current.addItem(item)
            self.field.clear()

    def _remove(self) -> None:
        item = self.current.currentItem()
        if item is not None:
            remove_tag(self.window_, self.photo_ids, item.data(Qt.ItemDataRole.UserRole))
            self.current.takeItem(self.current.row(item))


# -- actions -------------------------------------------------------------------------------------------


def add_tag(window, photo_ids: list[int], name: str) -> None:
    from photoorg.tags import store

    window._write(
        lambda: store.add_tag(window.library.db, photo_ids, name), f"Tagged {len(photo_ids)} photo(s)"
    )


def remove_tag(window, photo_ids: list[int], name: str) -> None:
    from photoorg.tags import store

    window._write(
        lambda: store.remove_tag(window.library.db, photo_ids, name),
        f"Removed “{name}” from {len(photo_ids)} photo(s)",
    )


def edit_tags(window) -> None:
    ids = window.selected_ids()
    if not ids:
        return

    def load():
        from photoorg.tags.store import photo_tags, tag_counts
        from photoorg.tags.vocabulary import TagTree, ensure_vocabulary

        ensure_vocabulary(window.library.db)
        present: dict[str, int] = {}
        with window.library.db.session() as s:
            for photo_id in ids[:500]:
                for tag in photo_tags(s, photo_id, None):
                    present[tag["name"]] = present.get(tag["name"], 0) + 1
        names = [row["name"] for row in tag_counts(window.library.db)]
        names += list(TagTree.load(window.library.db).names.values())
        return present, sorted(set(names))

    def show(result) -> None:
        present, names = result
        TagEditor(window, ids, present, names).exec()

    window.tasks.submit("tag-editor", load, show, window._show_error)


def _photo_menu(window, menu, photo_ids: list[int]) -> None:
    tags = menu.addMenu(icon("tag"), "Tags")
    tags.addAction(icon("plus"), "Add or remove tags…  (T)", partial(edit_tags, window))


def _sidebar_menu(window, menu, scope: Scope) -> None:
    from photoorg.tags import store
    from photoorg.tags.grouping import GRANULARITY_SETTING

    if scope.kind == "tag":
        name = scope.value

        def rename() -> None:
            new, ok = QInputDialog.getText(window, "Rename tag", f"New name for “{name}”:", text=name)
            if ok and new.strip():
                window._write(lambda: store.rename_tag(window.library.db, name, new), "Tag renamed")

        def merge() -> None:
            target, ok = QInputDialog.getText(window, "Merge tag", f"Merge “{name}” into which tag?")
            if ok and target.strip():
                window._write(lambda: store.merge_tags(window.library.db, name, target), "Tags merged")

        def delete() -> None:
            answer = QMessageBox.question(
                window, "Delete tag", f"Remove the tag “{name}” from every photo?\n\nNo photo is deleted."
            )
            if answer == QMessageBox.StandardButton.Yes:
                window._write(lambda: store.delete_tag(window.library.db, name), "Tag deleted")

        menu.addAction(icon("sparkles"), "Teach a new concept…", partial(new_concept, window))
        menu.addAction(icon("tag"), "Rename…", rename)
        menu.addAction(icon("merge"), "Merge into…", merge)
        menu.addAction(icon("trash"), "Delete tag…", delete)
    elif scope.kind == "group":

        def regroup(delta: float) -> None:
            db = window.library.db
            current = float(db.get_setting(GRANULARITY_SETTING, 0.5))

            def run():
                from photoorg.tags.grouping import refresh_groups

                db.set_setting(GRANULARITY_SETTING, min(1.0, max(0.0, current + delta)))
                for _ in refresh_groups(window.library, force=True):
                    pass

            window._write(run, "Visual groups updated")

        menu.addAction(icon("layers"), "Coarser groups", lambda: regroup(-0.15))
        menu.addAction(icon("layers"), "Finer groups", lambda: regroup(0.15))


def _details_section(details: dict) -> QWidget | None:
    tags = details.get("tags") or []
    if not tags:
        return None
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 8, 0, 0)
    title = QLabel("Tags")
    title.setObjectName("SectionTitle")
    layout.addWidget(title)
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


def new_concept(window) -> None:
    """Teach the tagger a concept of the user's own; the library is re-tagged
    from its stored vectors at once."""
    name, ok = QInputDialog.getText(
        window, "New concept", "Name of the concept (for example “grandpa's boat”):"
    )
    if not ok or not name.strip():
        return
    description, ok = QInputDialog.getText(
        window, "New concept", "Describe what it looks like (optional):", text=f"a photo of {name.strip()}"
    )
    if not ok:
        return

    def run():
        from photoorg.tags import store
        from photoorg.tags.zero_shot import ClipTagger

        store.add_concept(window.library.db, name, [description] if description.strip() else None)
        tagged = 0
        for event in ClipTagger(window.library).run(everything=True):
            tagged = event.done
        return tagged

    window.tasks.submit(
        None,
        run,
        lambda tagged: (
            window.statusBar().showMessage(f"Re-tagged {tagged} photo(s) with “{name}”", 6000),
            window.refresh_all(),
        ),
        window._show_error,
    )


def _fill_tag_chip(window, chip, names: list[str]) -> None:
    menu = chip.menu_
    menu.clear()
    menu.addAction("Any tag", lambda: window.search.set_filter(tags=()))
    menu.addAction(icon("sparkles"), "Teach a new concept…", partial(new_concept, window))
    menu.addSeparator()
    for name in names[:TOP_TAGS_IN_CHIP]:
        menu.addAction(name, lambda n=name: window.search.set_filter(tags=(n,)))


def install(window) -> None:
    window.sidebar_sections["tags"] = tag_entries
    window.sidebar_sections["events"] = event_entries
    window.sidebar_sections["groups"] = visual_entries
    main_window.SCOPE_FILTERS["tag"] = lambda scope: SearchFilters(tags=(scope.value,))
    main_window.SCOPE_FILTERS["group"] = lambda scope: SearchFilters(group_id=scope.value)
    main_window.SCOPE_FILTERS["event"] = lambda scope: SearchFilters(group_id=scope.value)
    if ("T", "Add or remove tags on the selection") not in main_window.SHORTCUTS:
        main_window.SHORTCUTS.insert(8, ("T", "Add or remove tags on the selection"))
    window.photo_menu_extensions.append(_photo_menu)
    window.sidebar_menu_extensions.append(_sidebar_menu)
    window.details.section_builders.append(_details_section)
    chip = window.search.add_chip("Tag", lambda f: ", ".join(f.tags) or None)

    def refresh_chip(win) -> None:
        from photoorg.tags.store import tag_counts

        win.tasks.submit(
            "tag-chip",
            lambda: [row["name"] for row in tag_counts(win.library.db)],
            lambda names: _fill_tag_chip(win, chip, names),
        )

    window.refresh_listeners.append(refresh_chip)
    for target in (window.grid, window.viewer):
        action = QAction("Add or remove tags…", target)
        action.setShortcut(QKeySequence("T"))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(partial(edit_tags, window))
        target.addAction(action)
