"""Duplicates in the app: a "Clean up" sidebar section (duplicates, bursts,
blurry and dark photos), the Duplicates page that compares each group side by
side, and bursts stacked in the grid.

On the page each group is a card: its photos best first, the suggested keeper
marked, and under each photo its resolution, file size, date, folder and
whether it was edited, in bold where the group's photos differ. A click on a
photo makes it the keeper. "Keep all" keeps the whole group (it is not offered
again); "Keep marked" sends the others to the system trash after one
confirmation that states the count and the space freed, the keeper first
taking their ratings, favourites, albums, tags and named faces. Everything
that reads or writes the library runs off the GUI thread.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from photoorg.duplicates import cleanup, store
from photoorg.duplicates.views import (
    GroupView,
    MemberView,
    burst_stacks,
    clean_up_counts,
    confirmation_text,
    group_views,
    human_size,
)
from photoorg.gui.extension import AppContext
from photoorg.gui.images import thumbnail_image
from photoorg.gui.sidebar import Scope, SidebarEntry
from photoorg.gui.theme import ACCENT, icon
from photoorg.library import Library
from photoorg.search.filters import SearchFilters

PAGE = "duplicates"  # the page; value "duplicates" or "bursts"
QUALITY = "photo-quality"  # the grid of blurry or dark photos; value "blurry" or "dark"
THUMB = 168
KIND_TITLES = {
    store.KIND_EXACT: "Exact copies",
    store.KIND_NEAR: "Near-duplicates",
    store.KIND_BURST: "Burst",
}
#: the page's kinds for each sidebar entry
PAGE_KINDS = {"duplicates": (store.KIND_EXACT, store.KIND_NEAR), "bursts": (store.KIND_BURST,)}


def clean_up_entries(library: Library) -> list[SidebarEntry]:
    counts = clean_up_counts(library.db)
    entries = [
        SidebarEntry("Duplicates", Scope(PAGE, "duplicates", "Duplicates"), counts["duplicates"], "copy"),
        SidebarEntry("Bursts", Scope(PAGE, "bursts", "Bursts"), counts["bursts"], "layers"),
        SidebarEntry("Blurry", Scope(QUALITY, "blurry", "Blurry photos"), counts["blurry"], "eye-off"),
        SidebarEntry("Dark", Scope(QUALITY, "dark", "Dark photos"), counts["dark"], "moon"),
    ]
    return [e for e in entries if e.count]


def differing(photos: tuple[MemberView, ...]) -> set[str]:
    """The facts the photos of a group do not share: highlighted on the page."""
    facts = {
        "resolution": {(p.width, p.height) for p in photos},
        "size": {p.size for p in photos},
        "date": {p.date.replace(microsecond=0) for p in photos},
        "folder": {p.folder for p in photos},
        "edited": {p.edited for p in photos},
        "format": {p.format for p in photos},
    }
    return {name for name, values in facts.items() if len(values) > 1}


class MemberTile(QFrame):
    """One photo of a group: thumbnail, facts, why; a click makes it the keeper."""

    chosen = Signal(int)

    def __init__(self, member: MemberView, differs: set[str]) -> None:
        super().__init__()
        self.member = member
        self.setObjectName("DuplicateTile")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFixedWidth(THUMB + 24)
        self.image = QLabel()
        self.image.setFixedSize(THUMB, THUMB)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge = QLabel("Keep")
        self.badge.setObjectName("KeepBadge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(3)
        layout.addWidget(self.image, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.badge)
        m = member
        facts = [
            ("resolution", f"{m.width} × {m.height}"),
            ("size", human_size(m.size) + (f" · {m.format}" if m.format else "")),
            ("date", f"{m.date:%Y-%m-%d %H:%M}"),
            ("folder", _short_folder(m.folder)),
            ("edited", "edited later" if m.edited else "not edited"),
        ]
        for name, text in facts:
            label = QLabel(text)
            label.setToolTip(m.folder if name == "folder" else "")
            differs_here = name in differs or (name == "size" and "format" in differs)
            if differs_here:
                label.setStyleSheet(f"font-weight: 600; color: {ACCENT.name()};")
            label.setProperty("differs", differs_here)
            layout.addWidget(label)
        why = QLabel(m.why)
        why.setWordWrap(True)
        why.setObjectName("Muted")
        why.setToolTip(m.path)
        layout.addWidget(why)
        layout.addStretch(1)
        self.set_keeper(m.keep)

    def set_keeper(self, keep: bool) -> None:
        self.keep = keep
        self.badge.setVisible(True)
        self.badge.setText("Keep" if keep else "To trash")
        colour = "#16a34a" if keep else "#6b7280"
        self.badge.setStyleSheet(
            f"background: {colour}; color: white; border-radius: 9px; padding: 2px 8px; font-weight: 600;"
        )
        border = "#16a34a" if keep else "transparent"
        self.setStyleSheet(f"#DuplicateTile {{ border: 2px solid {border}; border-radius: 10px; }}")

    def set_pixmap(self, pixmap: QPixmap | None) -> None:
        if pixmap is not None and not pixmap.isNull():
            self.image.setPixmap(pixmap)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.chosen.emit(self.member.id)
        super().mousePressEvent(event)


def _short_folder(folder: str) -> str:
    parts = folder.rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) > 2 else folder


class GroupCard(QFrame):
    """A group: its kind and what a clean-up frees, its photos side by side."""

    keep_all = Signal(object)  # GroupView
    keep_marked = Signal(object, int)  # GroupView, keeper id

    def __init__(self, group: GroupView) -> None:
        super().__init__()
        self.group = group
        self.setObjectName("DuplicateGroup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.keeper = group.keeper.id
        self.title = QLabel()
        self.title.setObjectName("GroupTitle")
        self.title.setWordWrap(True)
        self.title.setMinimumWidth(120)
        self.keep_all_button = QPushButton("Keep all")
        self.keep_all_button.setToolTip("Keep every photo of this group; it is not shown again")
        self.keep_marked_button = QPushButton(icon("trash"), "")
        self.keep_marked_button.setToolTip("Keep the marked photo; move the others to the system trash")
        self.keep_all_button.clicked.connect(lambda: self.keep_all.emit(self.group))
        self.keep_marked_button.clicked.connect(lambda: self.keep_marked.emit(self.group, self.keeper))
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.keep_all_button)
        header.addWidget(self.keep_marked_button)
        # The photos side by side; a long burst scrolls sideways inside its card.
        strip = QWidget()
        row = QHBoxLayout(strip)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        differs = differing(group.photos)
        self.tiles = [MemberTile(member, differs) for member in group.photos]
        for tile in self.tiles:
            tile.chosen.connect(self.choose)
            row.addWidget(tile)
        row.addStretch(1)
        photos = QScrollArea()
        photos.setFrameShape(QFrame.Shape.NoFrame)
        photos.setWidgetResizable(True)
        photos.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        photos.setWidget(strip)
        photos.setMinimumHeight(strip.sizeHint().height() + photos.horizontalScrollBar().sizeHint().height())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addLayout(header)
        layout.addWidget(photos)
        self._update_texts()

    def choose(self, photo_id: int) -> None:
        self.keeper = photo_id
        for tile in self.tiles:
            tile.set_keeper(tile.member.id == photo_id)
        self._update_texts()

    def freed(self) -> tuple[int, int]:
        others = [p for p in self.group.photos if p.id != self.keeper]
        return len(others), sum(p.size for p in others)

    def _update_texts(self) -> None:
        files, size = self.freed()
        kind = KIND_TITLES.get(self.group.kind, self.group.kind)
        self.title.setText(f"{kind} · {len(self.group.photos)} photos · {human_size(size)} to free")
        self.keep_marked_button.setText(f"Keep marked, trash {files}")


class DuplicatesPage(QWidget):
    """The Duplicates page (a :class:`~photoorg.gui.extension.ScopePage`)."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self._ctx = ctx
        self._kinds = PAGE_KINDS["duplicates"]
        self.cards: list[GroupCard] = []
        self.heading = QLabel("Duplicates")
        self.heading.setObjectName("Heading")
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.clean_all = QPushButton(icon("trash"), "Keep all suggestions…")
        self.clean_all.setToolTip("Keep the marked photo of every group; move the others to the system trash")
        self.clean_all.clicked.connect(self._clean_all)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.clean_all)
        self.list = QWidget()
        self.list_layout = QVBoxLayout(self.list)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        self.list_layout.setSpacing(12)
        self.list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.list)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)
        self._thumb_keys: dict[tuple, tuple[MemberTile, object]] = {}
        ctx.images.ready.connect(self._thumbnails_ready)

    # -- ScopePage ----------------------------------------------------------------------------------

    def show_scope(self, scope: Scope) -> None:
        self._kinds = PAGE_KINDS.get(scope.value, PAGE_KINDS["duplicates"])
        self.heading.setText("Bursts" if scope.value == "bursts" else "Duplicates")
        self.refresh()

    def refresh(self) -> None:
        db, kinds = self._ctx.library.db, self._kinds
        self._ctx.submit(lambda: group_views(db, kinds), self.show_groups, key="duplicates-page")

    # -- content ------------------------------------------------------------------------------------

    def show_groups(self, groups: list[GroupView]) -> None:
        for card in self.cards:
            card.deleteLater()
        self.cards = []
        self._thumb_keys = {}
        for group in groups:
            card = GroupCard(group)
            card.keep_all.connect(self._keep_all)
            card.keep_marked.connect(self._keep_marked)
            self.list_layout.insertWidget(self.list_layout.count() - 1, card)
            self.cards.append(card)
            for tile in card.tiles:
                self._request_thumbnail(tile)
        self.clean_all.setEnabled(bool(groups))
        self._update_summary()

    def _update_summary(self) -> None:
        if not self.cards:
            self.summary.setText(
                "No duplicates found. Groups are found each time the library is indexed."
                if self._kinds != PAGE_KINDS["bursts"]
                else "No bursts found."
            )
            return
        files = sum(card.freed()[0] for card in self.cards)
        size = sum(card.freed()[1] for card in self.cards)
        self.summary.setText(
            f"{len(self.cards)} group(s). Keeping the marked photo of each frees {human_size(size)} "
            f"({files} photo(s) to the trash). Click a photo to keep it instead; differences are in bold."
        )

    def _request_thumbnail(self, tile: MemberTile) -> None:
        member = tile.member
        if not member.content_hash:
            return
        key = ("duplicates-thumb", member.content_hash, THUMB)
        cache = self._ctx.library.thumbnails
        load = partial(_thumbnail, cache, member.content_hash, member.path, THUMB)
        self._thumb_keys[key] = (tile, load)
        tile.set_pixmap(self._ctx.images.pixmap(key, load))

    def _thumbnails_ready(self, keys: list) -> None:
        for key in keys:
            if key in self._thumb_keys:
                tile, load = self._thumb_keys[key]
                tile.set_pixmap(self._ctx.images.pixmap(key, load))

    # -- decisions ----------------------------------------------------------------------------------

    def _keep_all(self, group: GroupView) -> None:
        db, ids = self._ctx.library.db, group.ids
        self._ctx.write(lambda: cleanup.keep_all(db, ids), f"Kept all {len(ids)} photos of the group")

    def _keep_marked(self, group: GroupView, keeper: int) -> None:
        self._clean([cleanup.Decision(keeper, tuple(i for i in group.ids if i != keeper))])

    def _clean_all(self) -> None:
        self._clean(
            [
                cleanup.Decision(card.keeper, tuple(i for i in card.group.ids if i != card.keeper))
                for card in self.cards
            ]
        )

    def _clean(self, decisions: list[cleanup.Decision]) -> None:
        sizes = {p.id: p.size for card in self.cards for p in card.group.photos}
        files = sum(len(d.remove) for d in decisions)
        size = sum(sizes.get(i, 0) for d in decisions for i in d.remove)
        if not files:
            return
        answer = QMessageBox.question(
            self._ctx.dialog_parent(),
            "Move to trash",
            confirmation_text(files, size),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        db = self._ctx.library.db
        self._ctx.write(lambda: cleanup.clean_up(db, decisions), "", self._cleaned)

    def _cleaned(self, result: cleanup.CleanupResult) -> None:
        message = (
            f"Moved {len(result.trashed)} photo(s) to the trash, freeing {human_size(result.freed_bytes)}."
        )
        if result.failed:
            path, reason = next(iter(result.failed.items()))
            self._ctx.show_error(
                f"{len(result.failed)} photo(s) could not be moved to the trash ({path}: {reason})."
            )
        self._ctx.notify(message, 6000)


def _thumbnail(cache, content_hash: str, path: str, size: int) -> QImage:
    """Worker thread: the thumbnail, scaled to fit a square tile."""
    return thumbnail_image(cache, content_hash, path, size)


class DuplicatesGui:
    """Duplicates, bursts and the quality filters, installed through the extension interface."""

    def install(self, ctx: AppContext) -> None:
        self.ctx = ctx
        ctx.add_sidebar_section("clean-up", "Clean up", clean_up_entries, order=85)
        ctx.add_scope_filter(QUALITY, lambda scope: SearchFilters(extra={"duplicates": {scope.value: True}}))
        self.page = DuplicatesPage(ctx)
        ctx.add_page(PAGE, self.page)
        ctx.add_grid_stacks(lambda library, ids: burst_stacks(library.db, ids))
