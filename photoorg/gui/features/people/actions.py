"""What the user can do with people and faces: name, merge, hide, assign,
correct, and the small dialogs that ask for a name. Every change is written
off the GUI thread through :meth:`AppContext.write <photoorg.gui.extension.AppContext.write>`.
"""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QMessageBox

from photoorg.errors import PersonNotFound
from photoorg.faces import config, people
from photoorg.gui.extension import AppContext
from photoorg.store.db import Database

PERSON = "person"


class PeopleActions:
    """Mixed into :class:`~photoorg.gui.features.people.capability.PeopleGui`,
    which provides ``open_person``."""

    ctx: AppContext
    db: Database

    def open_person(self, person_id: int, label: str) -> None:
        raise NotImplementedError

    # -- writes -----------------------------------------------------------------------------------

    def write(self, fn, message: str = "", on_done=None) -> None:
        """Run a change off the GUI thread, then refresh everything it touches."""
        self.ctx.write(fn, message, on_done)

    def rename(self, person_id: int, name: str) -> None:
        """Name a person; when the name is taken, offer to merge the two."""
        db = self.db
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
            self.ctx.dialog_parent(),
            "Same person?",
            f"There is already a person called “{name}”.\n\nAre they the same person? Merging puts all "
            "their faces together under that name.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.merge(target_id, [source_id])

    def merge(self, target_id: int, source_ids: list[int]) -> None:
        db = self.db

        def done(target) -> None:
            scope = self.ctx.current_scope()
            if scope.kind == PERSON and str(scope.value) in {str(i) for i in source_ids}:
                self.open_person(target.id, target.label)  # the person shown is now part of the target

        self.write(lambda: people.merge_people(db, target_id, source_ids), "People merged", done)

    def hide(self, person_ids: list[int], hidden: bool = True) -> None:
        db = self.db

        def work():
            for person_id in person_ids:
                people.hide_person(db, person_id, hidden)

        self.write(work, "Hidden from People" if hidden else "Shown again")

    def assign(self, face_ids: list[int], person_id: int, message: str = "") -> None:
        db = self.db
        self.write(lambda: people.assign_faces(db, face_ids, person_id), message or "Faces assigned")

    def assign_by_name(self, face_ids: list[int], name: str) -> None:
        """Faces are the person with this name: an existing one, or a new one."""
        db = self.db
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
        db = self.db
        self.write(lambda: people.remove_faces(db, face_ids), "Noted: not this person")

    def set_cover(self, person_id: int, face_id: int) -> None:
        db = self.db
        self.write(lambda: people.set_cover(db, person_id, face_id), "Cover face set")

    def reject_suggestion(self, face_id: int, person_id: int) -> None:
        db = self.db
        self.write(lambda: people.reject_suggestion(db, face_id, person_id), "Noted")

    def ignore(self, face_ids: list[int]) -> None:
        db = self.db
        self.write(lambda: people.ignore_faces(db, face_ids), "Ignored")

    def set_detector(self, detector: str) -> None:
        """Another face detector: every photo's faces are analysed again (the
        user's decisions are kept), starting now."""
        db = self.db

        def work():
            before = config.face_settings(db).detector
            config.update_face_settings(db, detector=detector)
            return before != detector

        def done(changed: bool) -> None:
            if changed:
                self.ctx.notify(
                    "Finding faces again with the new detector; names and corrections are kept.", 8000
                )
                self.ctx.start_indexing()

        self.write(work, on_done=done)

    # -- dialogs ----------------------------------------------------------------------------------

    def ask_rename(self, person_id: int, current: str) -> None:
        name, ok = QInputDialog.getText(self.ctx.dialog_parent(), "Name this person", "Name:", text=current)
        if ok:
            self.rename(person_id, name)

    def ask_merge(self, person_ids: list[int], label: str) -> None:
        """Pick the person these people are (off-thread list, then a dialog)."""
        db = self.db

        def choose(found) -> None:
            others = [p for p in found if p.id not in person_ids]
            if not others:
                self.ctx.show_error("There is nobody else to merge with yet.")
                return
            labels = [f"{p.label}  (id {p.id}, {p.photo_count} photos)" for p in others]
            choice, ok = QInputDialog.getItem(
                self.ctx.dialog_parent(), "Merge people", f"{label} is the same person as:", labels, 0, False
            )
            if ok:
                target = others[labels.index(choice)]
                self.merge(target.id, person_ids)

        self.ctx.submit(lambda: people.list_people(db), choose)

    def ask_name_faces(self, face_ids: list[int]) -> None:
        """Who is this? Pick a named person or type a new name."""
        db = self.db

        def choose(found) -> None:
            names = sorted({p.name for p in found if p.name}, key=str.casefold)
            name, ok = QInputDialog.getItem(
                self.ctx.dialog_parent(),
                "Who is this?",
                "Pick a person or type a new name:",
                names,
                -1 if names else 0,
                True,
            )
            if ok and name.strip():
                self.assign_by_name(face_ids, name)

        self.ctx.submit(lambda: people.list_people(db), choose)
