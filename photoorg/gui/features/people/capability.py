"""People in the desktop app: the sidebar section, the People and Review
pages, face boxes in the viewer, people in the details panel and the menus.

Every read and write runs off the GUI thread through the
:class:`~photoorg.gui.extension.AppContext`; face crops come from the window's
shared image loader, last request first, so a page of new crops never delays
the grid for long.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QLabel, QMenu, QWidget

from photoorg.faces.people import face_details, list_people, photo_faces, review_counts
from photoorg.gui.details import section_box
from photoorg.gui.extension import AppContext
from photoorg.gui.features.people.actions import PERSON, PeopleActions
from photoorg.gui.features.people.face_pages import PersonFacesPage, ReviewPage
from photoorg.gui.features.people.people_page import PeoplePage
from photoorg.gui.features.people.tiles import escape
from photoorg.gui.heading import is_unnamed_person
from photoorg.gui.images import FaceCrops
from photoorg.gui.sidebar import Scope, SidebarEntry
from photoorg.gui.theme import icon
from photoorg.library import Library
from photoorg.search.filters import SearchFilters
from photoorg.store.schema import Photo

PEOPLE = "people"
REVIEW = "faces-review"
FACES = "person-faces"


def person_scope(person_id: int, label: str) -> Scope:
    return Scope(PERSON, person_id, label)


def person_filters(scope: Scope) -> SearchFilters:
    value = scope.value
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return SearchFilters(people=(value,))


class PeopleGui(PeopleActions):
    """Everything people-related the window shows, and the actions on it."""

    def install(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.db = ctx.library.db
        self.crops = FaceCrops(ctx.images, ctx.library.paths.root)
        self.people_page = PeoplePage(self)
        self.review_page = ReviewPage(self)
        self.faces_page = PersonFacesPage(self)
        ctx.add_page(PEOPLE, self.people_page)
        ctx.add_page(REVIEW, self.review_page)
        ctx.add_page(FACES, self.faces_page)
        ctx.add_sidebar_section(PEOPLE, "People", sidebar_entries, order=20)
        ctx.add_scope_filter(PERSON, person_filters)
        ctx.add_photo_action(self.extend_photo_menu)
        ctx.add_sidebar_action(self.extend_sidebar_menu)
        ctx.add_details_section(self.details_section)
        ctx.add_viewer_overlay(self.overlays)
        ctx.add_heading_action(
            "Name this person", "user", is_unnamed_person, lambda scope: self.ask_rename(int(scope.value), "")
        )
        #: the faces of the photo the details panel shows (for the photo menu)
        self.details_faces: tuple[int | None, list[dict]] = (None, [])

    # -- navigation -------------------------------------------------------------------------------

    def open_person(self, person_id: int, label: str) -> None:
        """Show the person's photos in the grid."""
        self.ctx.show_scope(person_scope(person_id, label))

    def open_people(self) -> None:
        self.ctx.show_scope(Scope(PEOPLE, None, "People"))

    def open_faces(self, person_id: int, label: str) -> None:
        """A person's faces, to take out the ones that are someone else."""
        self.ctx.show_scope(Scope(FACES, person_id, f"Faces of {label}" if label else "Faces"))

    def open_review(self) -> None:
        self.ctx.show_scope(Scope(REVIEW, None, "Review faces"))

    # -- what the capability adds to the window ---------------------------------------------------

    def overlays(self, row) -> list[tuple[int, int, int, int, str]]:
        """Face boxes for the viewer (runs off the GUI thread)."""
        with self.db.session() as s:
            faces = photo_faces(s, row.id)
        return [(*face.box, face.person or ("Unnamed person" if face.person_id else "")) for face in faces]

    def details_section(self, details: dict) -> QWidget | None:
        faces = details.get("faces") or []
        self.details_faces = (details.get("id"), faces)
        if not faces:
            return None
        widget, layout = section_box("People")
        seen: dict[int, str] = {}
        unknown = 0
        for face in faces:
            if face["person_id"] is None:
                unknown += face["assigned_by"] != "user"
            else:
                seen.setdefault(face["person_id"], face["person"] or "Unnamed person")
        links = [f'<a href="person:{pid}">{escape(label)}</a>' for pid, label in seen.items()]
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

    def extend_photo_menu(self, menu: QMenu, photo_ids: list[int]) -> None:
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
        db = self.db
        position = QCursor.pos()

        def load():
            with db.session() as s:
                photo = s.get(Photo, photo_id)
                return face_details(s, photo)["faces"] if photo is not None else []

        def show(faces) -> None:
            menu = QMenu(self.ctx.dialog_parent())
            if faces:
                self.fill_people_menu(menu, faces)
            else:
                menu.addAction("No faces found in this photo").setEnabled(False)
            menu.popup(position)

        self.ctx.submit(load, show, key="people-menu")

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

    def extend_sidebar_menu(self, menu: QMenu, scope: Scope) -> None:
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


def sidebar_entries(library: Library) -> list[SidebarEntry]:
    """The People section (runs off the GUI thread)."""
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
