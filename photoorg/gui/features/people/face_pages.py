"""The face pages: Review (suggestions and the faces no person was found for)
and a person's faces (to take out the ones that are someone else), built from
face tiles in wrapping rows."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from photoorg.faces.config import face_settings
from photoorg.faces.people import get_person, person_faces, review_counts, suggestions, unknown_faces
from photoorg.faces.similar import similar_unknown_faces
from photoorg.gui.features.people.tiles import (
    FaceSelection,
    FaceTile,
    FlowLayout,
    escape,
    page_with_scrolling_body,
)
from photoorg.gui.theme import icon

SUGGESTION_LIMIT = 60
UNKNOWN_PAGE = 120


class ReviewPage(FaceSelection, QWidget):
    """Suggestions ("Is this Alice?") and the faces no person was found for."""

    def __init__(self, controller, parent=None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.tiles: list[FaceTile] = []
        self.selected: set[int] = set()
        title = QLabel("Review faces")
        title.setObjectName("Heading")
        self.summary = QLabel()
        self.summary.setObjectName("Muted")
        self.summary.setWordWrap(True)
        people_button = QPushButton(icon("users"), "People")
        people_button.clicked.connect(controller.open_people)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(people_button)

        self.suggestions_title = QLabel("Is this…?")
        self.suggestions_title.setObjectName("SectionTitle")
        self.suggestions_box = QWidget()
        self.suggestions_flow = FlowLayout(self.suggestions_box)
        self.unknown_title = QLabel("Unknown faces")
        self.unknown_title.setObjectName("SectionTitle")
        self.name_button = QPushButton(icon("user"), "Name selected…")
        self.name_button.clicked.connect(lambda: controller.ask_name_faces(sorted(self.selected)))
        self.ignore_button = QPushButton(icon("eye-off"), "Ignore selected")
        self.ignore_button.setToolTip(
            "Strangers and faces you don't want to name: never grouped or suggested"
        )
        self.ignore_button.clicked.connect(lambda: controller.ignore(sorted(self.selected)))
        self.similar_button = QPushButton(icon("sparkles"), "Select all similar")
        self.similar_button.setToolTip("Also select the unknown faces that look like the selected ones")
        self.similar_button.clicked.connect(self.select_similar)
        bar = QHBoxLayout()
        bar.addWidget(self.unknown_title)
        bar.addStretch(1)
        bar.addWidget(self.similar_button)
        bar.addWidget(self.name_button)
        bar.addWidget(self.ignore_button)
        self.selection_hint = QLabel(
            "Click faces to select them. Drag across faces to select several, Shift+click selects every "
            "face between two, Ctrl+A selects all, and “Select all similar” adds the faces that look "
            "like the ones selected."
        )
        self.selection_hint.setObjectName("Muted")
        self.selection_hint.setWordWrap(True)
        select_all = QShortcut(QKeySequence.StandardKey.SelectAll, self)
        select_all.activated.connect(lambda: self.select_faces(tile.face.id for tile in self.tiles))
        self.unknown_box = QWidget()
        self.unknown_flow = FlowLayout(self.unknown_box)
        self.enable_rubber_band(self.unknown_box)
        self.empty = QLabel(
            "Nothing to review. Faces no person was found for, and faces that look like someone you "
            "named, show up here."
        )
        self.empty.setObjectName("Muted")
        self.empty.setWordWrap(True)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 8, 0)
        body_layout.addWidget(self.summary)
        body_layout.addWidget(self.empty)
        body_layout.addWidget(self.suggestions_title)
        body_layout.addWidget(self.suggestions_box)
        body_layout.addSpacing(10)
        body_layout.addLayout(bar)
        body_layout.addWidget(self.selection_hint)
        body_layout.addWidget(self.unknown_box)
        body_layout.addStretch(1)
        for box in (self.suggestions_box, self.unknown_box):
            box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.scroll = page_with_scrolling_body(self, top, body)
        controller.crops.ready.connect(self._crop_ready)
        self._update_buttons()

    def show_scope(self, scope) -> None:
        self.reload()

    def refresh(self) -> None:
        self.reload(keep_position=True)

    def reload(self, keep_position: bool = False) -> None:
        db = self.controller.db

        def load():
            threshold = face_settings(db).threshold
            return (
                suggestions(db, threshold=threshold, limit=SUGGESTION_LIMIT),
                unknown_faces(db, limit=UNKNOWN_PAGE),
                review_counts(db),
            )

        position = self.scroll.verticalScrollBar().value() if keep_position else 0
        self.controller.ctx.submit(load, lambda result: self._apply(result, position), key="review-page")

    def _apply(self, result, position: int) -> None:
        found, unknown, counts = result
        suggested = {s.face.id for s in found}
        unknown = [f for f in unknown if f.id not in suggested]
        self.suggestions_flow.clear()
        self.unknown_flow.clear()
        self.tiles = []
        visible_ids = {f.id for f in unknown}
        self.selected &= visible_ids
        for item in found:
            tile = FaceTile(item.face, self.controller.crops, f"Is this <b>{escape(item.person)}</b>?")
            tile.add_button(
                "check",
                "Yes",
                f"Yes, this is {item.person}",
                lambda _=False, s=item: self.controller.assign(
                    [s.face.id], s.person_id, f"Added to {s.person}"
                ),
            )
            tile.add_button(
                "x",
                "No",
                f"No, this is not {item.person}",
                lambda _=False, s=item: self.controller.reject_suggestion(s.face.id, s.person_id),
            )
            self.suggestions_flow.addWidget(tile)
            self.tiles.append(tile)
        for face in unknown:
            tile = FaceTile(face, self.controller.crops, "", checkable=True)
            tile.image.setChecked(face.id in self.selected)
            tile.toggled.connect(lambda on, f=face: self._toggle(f.id, on))
            self.rubber_band.watch(tile.image)
            tile.add_button(
                "user",
                "Name…",
                "Who is this?",
                lambda _=False, f=face: self.controller.ask_name_faces([f.id]),
            )
            tile.add_button(
                "eye-off", "", "Ignore this face", lambda _=False, f=face: self.controller.ignore([f.id])
            )
            self.unknown_flow.addWidget(tile)
            self.tiles.append(tile)
        self.suggestions_title.setVisible(bool(found))
        self.suggestions_box.setVisible(bool(found))
        for widget in (
            self.unknown_title,
            self.unknown_box,
            self.name_button,
            self.ignore_button,
            self.similar_button,
            self.selection_hint,
        ):
            widget.setVisible(bool(unknown))
        self.empty.setVisible(not found and not unknown)
        shown = len(unknown)
        more = counts["unknown"] - shown - len(found)
        parts = []
        if found:
            parts.append(f"{len(found)} suggestion{'s' if len(found) != 1 else ''}")
        if counts["unknown"]:
            parts.append(
                f"{counts['unknown']:,} unknown face{'s' if counts['unknown'] != 1 else ''}"
                + (f" (the best {shown:,} shown)" if more > 0 else "")
            )
        self.summary.setText(
            " · ".join(parts) + ". Select faces of one person and name them together."
            if unknown
            else " · ".join(parts)
        )
        self._update_buttons()
        self.scroll.widget().adjustSize()
        self.scroll.verticalScrollBar().setValue(position)

    def select_similar(self) -> None:
        """Add the unknown faces that look like the selected ones (found off the GUI thread)."""
        db, picked = self.controller.db, sorted(self.selected)
        if not picked:
            return

        def load():
            return similar_unknown_faces(db, picked, face_settings(db).threshold)

        self.controller.ctx.submit(load, self.select_faces, key="review-similar")

    def _update_buttons(self) -> None:
        count = len(self.selected)
        self.name_button.setEnabled(bool(count))
        self.ignore_button.setEnabled(bool(count))
        self.similar_button.setEnabled(bool(count))
        self.name_button.setText(f"Name {count} selected…" if count else "Name selected…")

    def _crop_ready(self, keys: list) -> None:
        arrived = set(keys)
        for tile in self.tiles:
            if self.controller.crops.key(tile.face) in arrived:
                tile.refresh_image()


class PersonFacesPage(FaceSelection, QWidget):
    """All faces of one person, to take out the ones that are someone else."""

    LIMIT = 400

    def __init__(self, controller, parent=None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.person_id: int | None = None
        self.label = ""
        self.named = False
        self.tiles: list[FaceTile] = []
        self.selected: set[int] = set()
        self.title = QLabel("Faces")
        self.title.setObjectName("Heading")
        # A long name gives way to the buttons (and the window can be small); the tooltip has it whole.
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title.setMinimumWidth(60)
        self.summary = QLabel()
        self.summary.setObjectName("Muted")
        self.summary.setWordWrap(True)
        photos = QPushButton(icon("images"), "Photos")
        photos.clicked.connect(lambda: controller.open_person(self.person_id, self.label))
        self.not_button = QPushButton(icon("x"), "Not this person")
        self.not_button.clicked.connect(lambda: controller.not_this_person(sorted(self.selected)))
        self.move_button = QPushButton(icon("user"), "Someone else…")
        self.move_button.clicked.connect(lambda: controller.ask_name_faces(sorted(self.selected)))
        self.cover_button = QPushButton(icon("check"), "Use as cover")
        self.cover_button.clicked.connect(
            lambda: controller.set_cover(self.person_id, next(iter(self.selected)))
        )
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        for button in (self.not_button, self.move_button, self.cover_button, photos):
            top.addWidget(button)
        self.box = QWidget()
        self.flow = FlowLayout(self.box)
        self.enable_rubber_band(self.box)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 8, 0)
        body_layout.addWidget(self.summary)
        body_layout.addWidget(self.box)
        body_layout.addStretch(1)
        self.scroll = page_with_scrolling_body(self, top, body)
        controller.crops.ready.connect(self._crop_ready)
        self._update_buttons()

    def show_scope(self, scope) -> None:
        if scope.value != self.person_id:
            self.selected.clear()
        self.person_id = int(scope.value)
        self.label = scope.label.removeprefix("Faces of ") if scope.label else ""
        self.reload()

    def refresh(self) -> None:
        self.reload()

    def reload(self) -> None:
        if self.person_id is None:
            return
        db = self.controller.db
        person_id = self.person_id

        def load():
            return get_person(db, person_id), person_faces(db, person_id, limit=self.LIMIT)

        self.controller.ctx.submit(load, self._apply, key="person-faces")

    def _apply(self, result) -> None:
        person, faces = result
        self.label = person.label
        self.named = bool(person.name)
        self.title.setText(f"Faces of {person.name}" if person.name else "Faces of an unnamed person")
        self.title.setToolTip(self.title.text())
        self.flow.clear()
        self.tiles = []
        self.selected &= {f.id for f in faces}
        for face in faces:
            caption = "confirmed" if face.assigned_by == "user" else ""
            tile = FaceTile(face, self.controller.crops, caption, checkable=True)
            tile.image.setChecked(face.id in self.selected)
            tile.toggled.connect(lambda on, f=face: self._toggle(f.id, on))
            self.rubber_band.watch(tile.image)
            self.flow.addWidget(tile)
            self.tiles.append(tile)
        shown = f" (the best {len(faces)} shown)" if person.face_count > len(faces) else ""
        self.summary.setText(
            f"{person.face_count:,} faces in {person.photo_count:,} photos{shown}. Select the ones that are "
            "someone else: click them, or drag across several."
        )
        self._update_buttons()
        self.scroll.widget().adjustSize()

    def _update_buttons(self) -> None:
        count = len(self.selected)
        self.not_button.setEnabled(bool(count))
        self.move_button.setEnabled(bool(count))
        self.cover_button.setEnabled(count == 1)
        # "Not Ada", but never "Not Unnamed person".
        name = self.label if self.named and self.label else "this person"
        self.not_button.setText(f"Not {name} ({count})" if count else f"Not {name}")

    def _crop_ready(self, keys: list) -> None:
        arrived = set(keys)
        for tile in self.tiles:
            if self.controller.crops.key(tile.face) in arrived:
                tile.refresh_image()
