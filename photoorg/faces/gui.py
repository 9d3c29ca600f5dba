"""People in the desktop app: the sidebar section, the People and Review
pages, face boxes in the viewer, people in the details panel and the menus.

Every read and write runs off the GUI thread (``window.tasks``); face crops are
cut from the originals by a one-thread loader of their own, so a page of new
crops never delays the grid.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QInputDialog, QLabel, QMenu, QMessageBox, QVBoxLayout, QWidget

from photoorg.errors import PersonNotFound
from photoorg.gui.sidebar import Scope, SidebarEntry
from photoorg.gui.theme import icon
from photoorg.search.filters import SearchFilters

PEOPLE = "people"
PERSON = "person"
REVIEW = "faces-review"
FACES = "person-faces"

MAX_CROPS = 600


def person_scope(person_id: int, label: str) -> Scope:
    return Scope(PERSON, person_id, label)


def person_filters(scope: Scope) -> SearchFilters:
    value = scope.value
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return SearchFilters(people=(value,))


# -- crops ----------------------------------------------------------------------------------------


class CropLoader(QObject):
    """Face crops as pixmaps: cut and cached on disk in a worker thread, kept
    in memory for the session."""

    ready = Signal(str)  # crop key
    _loaded = Signal(str, object)  # from the worker: key, QImage or None

    def __init__(self, library_root, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.root = library_root
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="photoorg-faces"
        )
        self._pixmaps: dict[str, QPixmap] = {}
        self._pending: set[str] = set()
        self._failed: set[str] = set()
        self._loaded.connect(self._on_loaded)

    @staticmethod
    def key(face) -> str:
        x, y, w, h = face.box
        return f"{face.id}:{x}:{y}:{w}:{h}"

    def pixmap(self, face) -> QPixmap | None:
        """The crop if loaded; otherwise None, and it is loaded (``ready`` fires)."""
        if face is None:
            return None
        key = self.key(face)
        pixmap = self._pixmaps.get(key)
        if pixmap is not None or key in self._pending or key in self._failed or self._executor is None:
            return pixmap
        self._pending.add(key)
        self._executor.submit(self._load, key, face)
        return None

    def failed(self, face) -> bool:
        return face is not None and self.key(face) in self._failed

    def _load(self, key: str, face) -> None:
        from photoorg.faces.crops import face_crop

        try:
            image = QImage(str(face_crop(self.root, face)))
        except Exception:  # a vanished or unreadable original: a placeholder is drawn
            image = None
        try:
            self._loaded.emit(key, image if image is not None and not image.isNull() else None)
        except RuntimeError:  # the window is gone
            pass

    def _on_loaded(self, key: str, image) -> None:
        self._pending.discard(key)
        if image is None:
            self._failed.add(key)
        else:
            if len(self._pixmaps) >= MAX_CROPS:
                self._pixmaps.pop(next(iter(self._pixmaps)))
            self._pixmaps[key] = QPixmap.fromImage(image)
        self.ready.emit(key)

    def forget_failures(self) -> None:
        self._failed.clear()

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


class _CloseWatcher(QObject):
    """Stops the crop thread when the window closes."""

    def __init__(self, loader: CropLoader, parent: QObject) -> None:
        super().__init__(parent)
        self.loader = loader

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Close:
            self.loader.shutdown()
        return False


# -- the controller ------------------------------------------------------------------------------


class PeopleController(QObject):
    """Everything people-related the window shows, and the actions on it."""

    def __init__(self, window) -> None:
        super().__init__(window)
        from photoorg.faces.gui_pages import PeoplePage, PersonFacesPage, ReviewPage

        self.window = window
        self.library = window.library
        self.crops = CropLoader(self.library.paths.root, self)
        window.installEventFilter(_CloseWatcher(self.crops, self))
        self.people_page = PeoplePage(self)
        self.review_page = ReviewPage(self)
        self.faces_page = PersonFacesPage(self)
        for page in (self.people_page, self.review_page, self.faces_page):
            window.pages.addWidget(page)
        window.scope_pages[PEOPLE] = self.people_page
        window.scope_pages[REVIEW] = self.review_page
        window.scope_pages[FACES] = self.faces_page
        window.sidebar_sections[PEOPLE] = sidebar_entries
        window.photo_menu_extensions.append(self.extend_photo_menu)
        window.sidebar_menu_extensions.append(self.extend_sidebar_menu)
        window.refresh_listeners.append(self._refreshed)
        window.details.section_builders.append(self.details_section)
        window.viewer.overlay_providers.append(self.overlays)
        from photoorg.gui import main_window

        main_window.SCOPE_FILTERS[PERSON] = person_filters
        #: the faces of the photo the details panel shows (for the photo menu)
        self.details_faces: tuple[int | None, list[dict]] = (None, [])

    # -- navigation -------------------------------------------------------------------------------

    def open_person(self, person_id: int, label: str) -> None:
        """Show the person's photos in the grid."""
        scope = person_scope(person_id, label)
        if not self.window.sidebar.select_scope(scope):
            self.window.sidebar.clearSelection()
            self.window.set_scope(scope)

    def open_people(self) -> None:
        scope = Scope(PEOPLE, None, "People")
        if not self.window.sidebar.select_scope(scope):
            self.window.set_scope(scope)

    def open_faces(self, person_id: int, label: str) -> None:
        """A person's faces, to take out the ones that are someone else."""
        scope = Scope(FACES, person_id, f"Faces of {label}" if label else "Faces")
        self.window.sidebar.clearSelection()
        self.window.set_scope(scope)

    def open_review(self) -> None:
        scope = Scope(REVIEW, None, "Review faces")
        if not self.window.sidebar.select_scope(scope):
            self.window.sidebar.clearSelection()
            self.window.set_scope(scope)

    def _refreshed(self, window) -> None:
        current = window.pages.currentWidget()
        if current is self.people_page:
            self.people_page.reload()
        elif current is self.review_page:
            self.review_page.reload(keep_position=True)
        elif current is self.faces_page:
            self.faces_page.reload()

    # -- writes -----------------------------------------------------------------------------------

    def write(self, fn, message: str = "", on_done=None) -> None:
        """Run a change off the GUI thread, then refresh everything it touches."""

        def done(result) -> None:
            if message:
                self.window.statusBar().showMessage(message, 4000)
            if on_done is not None:
                on_done(result)
            self.window.refresh_all()

        self.window.tasks.submit(None, fn, done, self.window._show_error)

    def rename(self, person_id: int, name: str) -> None:
        """Name a person; when the name is taken, offer to merge the two."""
        from photoorg.faces import people

        db = self.library.db
        name = " ".join(name.split())

        def work():
            try:
                return people.name_person(db, person_id, name)
            except people.NameTakenError as exc:
                return exc

        def done(result) -> None:
            if isinstance(result, people.NameTakenError):
                self.offer_merge(result.other_id, person_id, name)

        self.write(work, f"Named “{name}”" if name else "Name removed", done)

    def offer_merge(self, target_id: int, source_id: int, name: str) -> None:
        answer = QMessageBox.question(
            self.window,
            "Same person?",
            f"There is already a person called “{name}”.\n\nAre they the same person? Merging puts all "
            "their faces together under that name.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.merge(target_id, [source_id])

    def merge(self, target_id: int, source_ids: list[int]) -> None:
        from photoorg.faces import people

        db = self.library.db

        def done(target) -> None:
            scope = self.window.scope
            if scope.kind == PERSON and str(scope.value) in {str(i) for i in source_ids}:
                self.open_person(target.id, target.label)  # the person shown is now part of the target

        self.write(lambda: people.merge_people(db, target_id, source_ids), "People merged", done)

    def hide(self, person_ids: list[int], hidden: bool = True) -> None:
        from photoorg.faces import people

        db = self.library.db

        def work():
            for person_id in person_ids:
                people.hide_person(db, person_id, hidden)

        self.write(work, "Hidden from People" if hidden else "Shown again")

    def assign(self, face_ids: list[int], person_id: int, message: str = "") -> None:
        from photoorg.faces import people

        db = self.library.db
        self.write(lambda: people.assign_faces(db, face_ids, person_id), message or "Faces assigned")

    def assign_by_name(self, face_ids: list[int], name: str) -> None:
        """Faces are the person with this name: an existing one, or a new one."""
        from photoorg.faces import people

        db = self.library.db
        name = " ".join(name.split())

        def work():
            try:
                person_id = people.resolve_person_id(db, name)
            except PersonNotFound:
                # Only "nobody has this name" makes a new person; an ambiguous name or a
                # database error reaches the user instead of silently duplicating someone.
                return people.new_person(db, face_ids, name or None)
            return people.assign_faces(db, face_ids, person_id)

        self.write(work, f"Named “{name}”" if name else "New person")

    def not_this_person(self, face_ids: list[int]) -> None:
        from photoorg.faces import people

        db = self.library.db
        self.write(lambda: people.remove_faces(db, face_ids), "Noted: not this person")

    def set_cover(self, person_id: int, face_id: int) -> None:
        from photoorg.faces import people

        db = self.library.db
        self.write(lambda: people.set_cover(db, person_id, face_id), "Cover face set")

    def reject_suggestion(self, face_id: int, person_id: int) -> None:
        from photoorg.faces import people

        db = self.library.db
        self.write(lambda: people.reject_suggestion(db, face_id, person_id), "Noted")

    def ignore(self, face_ids: list[int]) -> None:
        from photoorg.faces import people

        db = self.library.db
        self.write(lambda: people.ignore_faces(db, face_ids), "Ignored")

    def set_detector(self, detector: str) -> None:
        """Another face detector: every photo's faces are analysed again (the
        user's decisions are kept), starting now."""
        from photoorg.faces.config import face_settings, update_face_settings

        db = self.library.db

        def work():
            before = face_settings(db).detector
            update_face_settings(db, detector=detector)
            return before != detector

        def done(changed: bool) -> None:
            if changed:
                self.window.statusBar().showMessage(
                    "Finding faces again with the new detector; names and corrections are kept.", 8000
                )
                self.window.indexing.start()

        self.write(work, on_done=done)

    # -- dialogs ----------------------------------------------------------------------------------

    def ask_rename(self, person_id: int, current: str) -> None:
        name, ok = QInputDialog.getText(self.window, "Name this person", "Name:", text=current)
        if ok:
            self.rename(person_id, name)

    def ask_merge(self, person_ids: list[int], label: str) -> None:
        """Pick the person these people are (off-thread list, then a dialog)."""
        from photoorg.faces.people import list_people

        db = self.library.db

        def choose(people) -> None:
            others = [p for p in people if p.id not in person_ids]
            if not others:
                self.window._show_error("There is nobody else to merge with yet.")
                return
            labels = [f"{p.label}  (id {p.id}, {p.photo_count} photos)" for p in others]
            choice, ok = QInputDialog.getItem(
                self.window, "Merge people", f"{label} is the same person as:", labels, 0, False
            )
            if ok:
                target = others[labels.index(choice)]
                self.merge(target.id, person_ids)

        self.window.tasks.submit(None, lambda: list_people(db), choose, self.window._show_error)

    def ask_name_faces(self, face_ids: list[int]) -> None:
        """Who is this? Pick a named person or type a new name."""
        from photoorg.faces.people import list_people

        db = self.library.db

        def choose(people) -> None:
            names = sorted({p.name for p in people if p.name}, key=str.casefold)
            name, ok = QInputDialog.getItem(
                self.window,
                "Who is this?",
                "Pick a person or type a new name:",
                names,
                -1 if names else 0,
                True,
            )
            if ok and name.strip():
                self.assign_by_name(face_ids, name)

        self.window.tasks.submit(None, lambda: list_people(db), choose, self.window._show_error)

    # -- the window's extension points ----------------------------------------------------------

    def overlays(self, row) -> list[tuple[int, int, int, int, str]]:
        """Face boxes for the viewer (runs off the GUI thread)."""
        from photoorg.faces.people import photo_faces

        with self.library.db.session() as s:
            faces = photo_faces(s, row.id)
        return [(*face.box, face.person or ("Unnamed person" if face.person_id else "")) for face in faces]

    def details_section(self, details: dict) -> QWidget | None:
        faces = details.get("faces") or []
        self.details_faces = (details.get("id"), faces)
        if not faces:
            return None
        widget = QWidget()
        layout = QVBoxLayout(widget)
        layout.setContentsMargins(0, 8, 0, 0)
        title = QLabel("People")
        title.setObjectName("SectionTitle")
        layout.addWidget(title)
        seen: dict[int, str] = {}
        unknown = 0
        for face in faces:
            if face["person_id"] is None:
                unknown += face["assigned_by"] != "user"
            else:
                seen.setdefault(face["person_id"], face["person"] or "Unnamed person")
        links = [f'<a href="person:{pid}">{_escape(label)}</a>' for pid, label in seen.items()]
        if unknown:
            links.append(f'<a href="review:">{unknown} unknown face{"s" if unknown > 1 else ""}</a>')
        text = QLabel(", ".join(links) if links else "No one named")
        text.setObjectName("PeopleInPhoto")
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setToolTip("Click a name to see all their photos")
        text.linkActivated.connect(lambda link: self._details_link(link, seen))
        layout.addWidget(text)
        return widget

    def _details_link(self, link: str, seen: dict[int, str]) -> None:
        kind, _, value = link.partition(":")
        if kind == "person" and value.isdigit():
            self.open_person(int(value), seen.get(int(value), ""))
        elif kind == "review":
            self.open_review()

    def extend_photo_menu(self, window, menu: QMenu, photo_ids: list[int]) -> None:
        if len(photo_ids) != 1:
            return
        photo_id, faces = self.details_faces
        if photo_id == photo_ids[0]:
            if faces:
                self.fill_people_menu(menu.addMenu(icon("users"), "People in this photo"), faces)
            return
        # The details of this photo have not arrived yet: read its faces off
        # the GUI thread, then show the menu where the user clicked.
        menu.addAction(icon("users"), "People in this photo…", lambda: self.popup_people_menu(photo_ids[0]))

    def popup_people_menu(self, photo_id: int) -> None:
        from PySide6.QtGui import QCursor

        from photoorg.faces.people import face_details
        from photoorg.store.schema import Photo

        db = self.library.db
        position = QCursor.pos()

        def load():
            with db.session() as s:
                photo = s.get(Photo, photo_id)
                return face_details(s, photo)["faces"] if photo is not None else []

        def show(faces) -> None:
            menu = QMenu(self.window)
            if faces:
                self.fill_people_menu(menu, faces)
            else:
                menu.addAction("No faces found in this photo").setEnabled(False)
            menu.popup(position)

        self.window.tasks.submit("people-menu", load, show, self.window._show_error)

    def fill_people_menu(self, submenu: QMenu, faces: list[dict]) -> None:
        for face in faces:
            if face["person_id"] is not None:
                label = face["person"] or "Unnamed person"
                person_menu = submenu.addMenu(icon("user"), label)
                person_menu.addAction(
                    icon("images"),
                    f"Show all photos of {label}",
                    lambda f=face, lb=label: self.open_person(f["person_id"], lb),
                )
                person_menu.addAction(
                    icon("x"), f"This is not {label}", lambda f=face: self.not_this_person([f["id"]])
                )
                person_menu.addAction(
                    icon("user"), "Someone else…", lambda f=face: self.ask_name_faces([f["id"]])
                )
            elif face["assigned_by"] != "user":
                x, y, _, _ = face["bbox"]
                submenu.addAction(
                    icon("face"),
                    f"Name the unknown face at {x}, {y}…",
                    lambda f=face: self.ask_name_faces([f["id"]]),
                )
        submenu.addSeparator()
        submenu.addAction(icon("face"), "Review faces", self.open_review)

    def extend_sidebar_menu(self, window, menu: QMenu, scope: Scope) -> None:
        if scope.kind == PERSON:
            person_id = int(scope.value)
            menu.addAction(icon("user"), "Rename…", lambda: self.ask_rename(person_id, scope.label))
            menu.addAction(icon("face"), "Faces…", lambda: self.open_faces(person_id, scope.label))
            label = scope.label or "This person"
            menu.addAction(icon("merge"), "Same person as…", lambda: self.ask_merge([person_id], label))
            menu.addAction(icon("eye-off"), "Hide this person", lambda: self.hide([person_id]))
        elif scope.kind in (PEOPLE, REVIEW):
            menu.addAction(icon("users"), "People", self.open_people)
            menu.addAction(icon("face"), "Review faces", self.open_review)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sidebar_entries(library) -> list[SidebarEntry]:
    """The People section (runs off the GUI thread)."""
    from photoorg.faces.people import list_people, review_counts

    counts = review_counts(library.db)
    if not counts["faces"] and not counts["people"]:
        return []
    people = list_people(library.db, with_covers=False)
    entries = [
        SidebarEntry("All people", Scope(PEOPLE, None, "People"), counts["people"], "users"),
        SidebarEntry(
            "Review faces",
            Scope(REVIEW, None, "Review faces"),
            counts["unknown"] or None,
            "face",
            tooltip="Suggestions and faces no person was found for",
        ),
    ]
    for person in people:
        if person.name:
            entries.append(
                SidebarEntry(person.name, person_scope(person.id, person.name), person.photo_count, "user")
            )
    return entries


def install(window) -> None:
    window.people_controller = PeopleController(window)
