"""The People page (a grid of person cards with inline naming) and the Review
page (suggestions and unknown faces)."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QKeySequence, QPainter, QPainterPath, QPalette, QPen, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetItem,
)

from photoorg.gui.theme import ACCENT, icon

PERSON_ROLE = Qt.ItemDataRole.UserRole + 40

CARD_W, CARD_H, FACE_SIDE = 164, 204, 128
REVIEW_FACE = 104
SUGGESTION_LIMIT = 60
UNKNOWN_PAGE = 120


# -- People page ------------------------------------------------------------------------------------


class PeopleModel(QAbstractListModel):
    rename_requested = Signal(int, str)  # person id, new name

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.people: list = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.people)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.people):
            return None
        person = self.people[index.row()]
        if role == PERSON_ROLE:
            return person
        if role == Qt.ItemDataRole.DisplayRole:
            return person.label
        if role == Qt.ItemDataRole.EditRole:
            return person.name or ""
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{person.label}\n{person.photo_count} photos, {person.face_count} faces"
            return tip + "\nClick the name to change it; click the face to see the photos."
        return None

    def flags(self, index):
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsEditable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        person = self.people[index.row()]
        name = " ".join(str(value or "").split())
        if name == (person.name or ""):
            return False
        person.name = name or None
        self.dataChanged.emit(index, index)
        self.rename_requested.emit(person.id, name)
        return True

    def set_people(self, people: list) -> None:
        old = [p.id for p in self.people]
        new = [p.id for p in people]
        if old == new:
            self.people = people
            if people:
                self.dataChanged.emit(self.index(0), self.index(len(people) - 1))
            return
        self.beginResetModel()
        self.people = people
        self.endResetModel()


class PersonDelegate(QStyledItemDelegate):
    """A card: the face in a circle, the name (click to edit), the photo count."""

    def __init__(self, crops, view) -> None:
        super().__init__(view)
        self.crops = crops
        self.view = view

    def sizeHint(self, option, index) -> QSize:
        return QSize(CARD_W, CARD_H)

    @staticmethod
    def face_rect(rect: QRect) -> QRect:
        return QRect(rect.center().x() - FACE_SIDE // 2, rect.top() + 10, FACE_SIDE, FACE_SIDE)

    @staticmethod
    def name_rect(rect: QRect) -> QRect:
        return QRect(rect.left() + 6, rect.top() + 10 + FACE_SIDE + 8, rect.width() - 12, 24)

    def paint(self, painter: QPainter, option, index) -> None:
        person = index.data(PERSON_ROLE)
        if person is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect
        palette = option.palette
        text = palette.color(QPalette.ColorRole.Text)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if person.hidden:
            painter.setOpacity(0.5)
        face = self.face_rect(rect)
        path = QPainterPath()
        path.addEllipse(face)
        pixmap = self.crops.pixmap(person.cover)
        if pixmap is not None and not pixmap.isNull():
            painter.setClipPath(path)
            painter.drawPixmap(face, pixmap)
            painter.setClipping(False)
        else:
            shade = QColor(text)
            shade.setAlpha(22)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(shade)
            painter.drawPath(path)
            icon("user").paint(painter, face.adjusted(36, 36, -36, -36))
        if selected:
            painter.setPen(QPen(ACCENT, 4))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(face.adjusted(-3, -3, 3, 3))
        name_rect = self.name_rect(rect)
        font = QFont(option.font)
        font.setBold(bool(person.name))
        font.setItalic(not person.name)
        painter.setFont(font)
        muted = QColor(text)
        muted.setAlpha(150)
        painter.setPen(text if person.name else muted)
        label = person.name or "Add a name"
        elided = painter.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, name_rect.width())
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignCenter, elided)
        font.setBold(False)
        font.setItalic(False)
        painter.setFont(font)
        painter.setPen(muted)
        count = f"{person.photo_count:,} photo{'s' if person.photo_count != 1 else ''}"
        if person.hidden:
            count += " · hidden"
        painter.drawText(name_rect.translated(0, 22), Qt.AlignmentFlag.AlignCenter, count)
        painter.restore()

    def createEditor(self, parent, option, index) -> QWidget:
        editor = QLineEdit(parent)
        editor.setPlaceholderText("Name")
        editor.setAlignment(Qt.AlignmentFlag.AlignCenter)
        editor.setFrame(True)
        return editor

    def setEditorData(self, editor, index) -> None:
        editor.setText(index.data(Qt.ItemDataRole.EditRole) or "")
        editor.selectAll()

    def setModelData(self, editor, model, index) -> None:
        model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(self, editor, option, index) -> None:
        editor.setGeometry(self.name_rect(option.rect).adjusted(-2, -2, 2, 2))


class PeopleView(QListView):
    person_activated = Signal(object)  # PersonInfo

    def __init__(self, crops, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("Grid")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setSpacing(6)
        self.setGridSize(QSize(CARD_W + 8, CARD_H + 8))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.delegate = PersonDelegate(crops, self)
        self.setItemDelegate(self.delegate)
        crops.ready.connect(lambda _key: self.viewport().update())

    def mouseReleaseEvent(self, event) -> None:
        index = self.indexAt(event.position().toPoint())
        plain = event.button() == Qt.MouseButton.LeftButton and not (
            event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        )
        super().mouseReleaseEvent(event)
        if not index.isValid() or not plain:
            return
        self.click(index, event.position().toPoint())

    def click(self, index, point: QPoint) -> None:
        """A click on the name edits it; anywhere else on the card opens the person."""
        rect = self.visualRect(index)
        if self.delegate.name_rect(rect).adjusted(0, -4, 0, 4).contains(point):
            self.setCurrentIndex(index)
            self.edit(index)
        else:
            self.person_activated.emit(index.data(PERSON_ROLE))

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.state() != self.State.EditingState:
            index = self.currentIndex()
            if index.isValid():
                self.person_activated.emit(index.data(PERSON_ROLE))
                return
        super().keyPressEvent(event)

    def selected_people(self) -> list:
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        return [self.model().index(r, 0).data(PERSON_ROLE) for r in rows]


class PeoplePage(QWidget):
    def __init__(self, controller, parent=None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.window_ = controller.window
        title = QLabel("People")
        title.setObjectName("Heading")
        self.summary = QLabel()
        self.summary.setObjectName("Muted")
        self.review_button = QPushButton(icon("face"), "Review faces")
        self.review_button.clicked.connect(controller.open_review)
        self.show_hidden = QCheckBox("Show hidden")
        self.show_hidden.toggled.connect(lambda _: self.reload())
        self.detection = QToolButton()
        self.detection.setIcon(icon("settings"))
        self.detection.setToolTip("How faces are found")
        self.detection.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        detection_menu = QMenu(self.detection)
        self.detector_actions = {}
        for name, text in (
            ("hog", "Fast face detection (HOG)"),
            ("cnn", "Thorough face detection (CNN, slow without a GPU)"),
        ):
            action = detection_menu.addAction(text, lambda n=name: controller.set_detector(n))
            action.setCheckable(True)
            self.detector_actions[name] = action
        self.detection.setMenu(detection_menu)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.summary, 1)
        top.addWidget(self.show_hidden)
        top.addWidget(self.review_button)
        top.addWidget(self.detection)
        self.model = PeopleModel(self)
        self.model.rename_requested.connect(controller.rename)
        self.view = PeopleView(controller.crops)
        self.view.setModel(self.model)
        self.view.person_activated.connect(lambda p: controller.open_person(p.id, p.label))
        self.view.customContextMenuRequested.connect(self._menu)
        self.empty = QLabel()
        self.empty.setObjectName("Muted")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 8)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)

    def show_scope(self, scope) -> None:
        self.reload()

    def reload(self) -> None:
        if self.view.state() == QAbstractItemView.State.EditingState:
            return  # the user is typing a name: the next refresh brings the rest
        from photoorg.faces.config import face_settings
        from photoorg.faces.people import list_people, review_counts

        db = self.controller.library.db
        include_hidden = self.show_hidden.isChecked()

        def load():
            return list_people(db, include_hidden=include_hidden), review_counts(db), face_settings(db)

        self.window_.tasks.submit("people-page", load, self._apply, self.window_._show_error)

    def _apply(self, result) -> None:
        people, counts, settings = result
        for name, action in self.detector_actions.items():
            action.setChecked(name == settings.detector)
        if self.view.state() == QAbstractItemView.State.EditingState:
            return
        self.model.set_people(people)
        named = sum(1 for p in people if p.name)
        parts = [f"{len(people):,} people" + (f", {named:,} named" if named else "")]
        if counts["unknown"]:
            parts.append(f"{counts['unknown']:,} unknown faces to review")
        self.summary.setText(" · ".join(parts))
        unknown = counts["unknown"]
        self.review_button.setText(f"Review faces ({unknown:,})" if unknown else "Review faces")
        if people:
            self.stack.setCurrentWidget(self.view)
        else:
            self.empty.setText(
                "No people yet. Faces are found while photos are indexed, and faces that appear in "
                "several photos become people here."
                if not counts["faces"]
                else "Faces were found, but none appears in two photos yet. Name them in Review faces."
            )
            self.stack.setCurrentWidget(self.empty)

    def _menu(self, position) -> None:
        index = self.view.indexAt(position)
        if not index.isValid():
            return
        people = self.view.selected_people()
        person = index.data(PERSON_ROLE)
        if person not in people:
            people = [person]
            self.view.setCurrentIndex(index)
        c = self.controller
        ids = [p.id for p in people]
        menu = QMenu(self)
        if len(people) == 1:
            menu.addAction(icon("images"), "Show photos", lambda: c.open_person(person.id, person.label))
            menu.addAction(icon("user"), "Rename", lambda: self.view.edit(index))
            menu.addAction(icon("face"), "Faces…", lambda: c.open_faces(person.id, person.label))
            menu.addAction(icon("merge"), "Same person as…", lambda: c.ask_merge(ids, person.label))
        else:
            target = next((p for p in people if p.name), people[0])
            menu.addAction(
                icon("merge"),
                f"Merge {len(people)} people into {target.label}",
                lambda: c.merge(target.id, [i for i in ids if i != target.id]),
            )
        if all(p.hidden for p in people):
            menu.addAction(icon("eye-off"), "Show again", lambda: c.hide(ids, False))
        else:
            menu.addAction(icon("eye-off"), "Hide", lambda: c.hide(ids, True))
        menu.exec(self.view.viewport().mapToGlobal(position))


# -- Review page ------------------------------------------------------------------------------------


class FlowLayout(QLayout):
    """Lays widgets out in rows that wrap, like words."""

    def __init__(self, parent=None, spacing: int = 8) -> None:
        super().__init__(parent)
        self._items: list[QWidgetItem] = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, apply: bool) -> int:
        x, y, row_height = rect.x(), rect.y(), 0
        gap = self.spacing()
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and row_height > 0:
                x, y = rect.x(), y + row_height + gap
                row_height = 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + gap
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y()

    def clear(self) -> None:
        while self._items:
            item = self._items.pop()
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()


class FaceTile(QFrame):
    """One face with a caption and buttons underneath."""

    toggled = Signal(bool)

    def __init__(self, face, crops, caption: str, checkable: bool = False, parent=None) -> None:
        super().__init__(parent)
        self.face = face
        self.crops = crops
        self.setObjectName("FaceTile")
        self.setFixedWidth(REVIEW_FACE + 24)
        self.image = QToolButton()
        self.image.setIconSize(QSize(REVIEW_FACE, REVIEW_FACE))
        self.image.setFixedSize(REVIEW_FACE + 8, REVIEW_FACE + 8)
        self.image.setCheckable(checkable)
        self.image.setAutoRaise(True)
        self.image.setToolTip(f"{face.path}\nquality {face.quality:.2f}")
        self.image.toggled.connect(self.toggled)
        self.caption = QLabel(caption)
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons.setSpacing(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.image, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.caption)
        layout.addLayout(self.buttons)
        self.refresh_image()

    def refresh_image(self) -> None:
        pixmap = self.crops.pixmap(self.face)
        if pixmap is not None and not pixmap.isNull():
            from PySide6.QtGui import QIcon

            self.image.setIcon(QIcon(pixmap))
        elif self.crops.failed(self.face):
            self.image.setIcon(icon("alert-triangle"))
        else:
            self.image.setIcon(icon("user"))

    def add_button(self, icon_name: str, text: str, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name))
        button.setText(text)
        button.setToolTip(tip)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        self.buttons.addWidget(button)
        return button


def _page_with_scrolling_body(page: QWidget, top, body: QWidget) -> QScrollArea:
    """Lay a face page out as a fixed bar of actions over a scrolling body."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(body)
    layout = QVBoxLayout(page)
    layout.setContentsMargins(16, 14, 16, 8)
    layout.addLayout(top)
    layout.addWidget(scroll, 1)
    return scroll


class _FaceSelection:
    """Face tiles the user ticked; the page's buttons follow the count."""

    selected: set[int]
    tiles: list
    _anchor: int | None = None
    _extending = False

    def _toggle(self, face_id: int, on: bool) -> None:
        if on:
            self.selected.add(face_id)
        else:
            self.selected.discard(face_id)
        shift = QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier
        if on and shift and self._anchor is not None and not self._extending:
            self._select_run(self._anchor, face_id)
        if not self._extending:
            self._anchor = face_id
        self._update_buttons()

    def _select_run(self, first: int, last: int) -> None:
        """Shift+click: every face between the last one clicked and this one."""
        order = [tile.face.id for tile in self.tiles if tile.image.isCheckable()]
        if first not in order or last not in order:
            return
        a, b = sorted((order.index(first), order.index(last)))
        self.select_faces(order[a : b + 1])

    def select_faces(self, face_ids) -> None:
        """Tick these faces (Ctrl+A, Shift+click, "Select all similar")."""
        wanted = set(face_ids)
        self._extending = True
        try:
            for tile in self.tiles:
                if tile.image.isCheckable() and tile.face.id in wanted:
                    tile.image.setChecked(True)
        finally:
            self._extending = False
        self._update_buttons()

    def _update_buttons(self) -> None:
        raise NotImplementedError


class ReviewPage(_FaceSelection, QWidget):
    """Suggestions ("Is this Alice?") and the faces no person was found for."""

    def __init__(self, controller, parent=None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.window_ = controller.window
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
            "Click faces to select them. Shift+click selects every face between two, Ctrl+A selects all, "
            "and “Select all similar” adds the faces that look like the ones selected."
        )
        self.selection_hint.setObjectName("Muted")
        self.selection_hint.setWordWrap(True)
        select_all = QShortcut(QKeySequence.StandardKey.SelectAll, self)
        select_all.activated.connect(lambda: self.select_faces(tile.face.id for tile in self.tiles))
        self.unknown_box = QWidget()
        self.unknown_flow = FlowLayout(self.unknown_box)
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
        self.scroll = _page_with_scrolling_body(self, top, body)
        controller.crops.ready.connect(self._crop_ready)
        self._update_buttons()

    def show_scope(self, scope) -> None:
        self.reload()

    def reload(self, keep_position: bool = False) -> None:
        from photoorg.faces.config import face_settings
        from photoorg.faces.people import review_counts, suggestions, unknown_faces

        db = self.controller.library.db

        def load():
            threshold = face_settings(db).threshold
            return (
                suggestions(db, threshold=threshold, limit=SUGGESTION_LIMIT),
                unknown_faces(db, limit=UNKNOWN_PAGE),
                review_counts(db),
            )

        position = self.scroll.verticalScrollBar().value() if keep_position else 0
        self.window_.tasks.submit(
            "review-page", load, lambda result: self._apply(result, position), self.window_._show_error
        )

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
            tile = FaceTile(item.face, self.controller.crops, f"Is this <b>{_escape(item.person)}</b>?")
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
        from photoorg.faces.config import face_settings
        from photoorg.faces.similar import similar_unknown_faces

        db, picked = self.controller.library.db, sorted(self.selected)
        if not picked:
            return

        def load():
            return similar_unknown_faces(db, picked, face_settings(db).threshold)

        self.window_.tasks.submit("review-similar", load, self.select_faces, self.window_._show_error)

    def _update_buttons(self) -> None:
        count = len(self.selected)
        self.name_button.setEnabled(bool(count))
        self.ignore_button.setEnabled(bool(count))
        self.similar_button.setEnabled(bool(count))
        self.name_button.setText(f"Name {count} selected…" if count else "Name selected…")

    def _crop_ready(self, key: str) -> None:
        for tile in self.tiles:
            if self.controller.crops.key(tile.face) == key:
                tile.refresh_image()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class PersonFacesPage(_FaceSelection, QWidget):
    """All faces of one person, to take out the ones that are someone else."""

    LIMIT = 400

    def __init__(self, controller, parent=None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.window_ = controller.window
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
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 8, 0)
        body_layout.addWidget(self.summary)
        body_layout.addWidget(self.box)
        body_layout.addStretch(1)
        self.scroll = _page_with_scrolling_body(self, top, body)
        controller.crops.ready.connect(self._crop_ready)
        self._update_buttons()

    def show_scope(self, scope) -> None:
        if scope.value != self.person_id:
            self.selected.clear()
        self.person_id = int(scope.value)
        self.label = scope.label.removeprefix("Faces of ") if scope.label else ""
        self.reload()

    def reload(self) -> None:
        from photoorg.faces.people import get_person, person_faces

        if self.person_id is None:
            return
        db = self.controller.library.db
        person_id = self.person_id

        def load():
            return get_person(db, person_id), person_faces(db, person_id, limit=self.LIMIT)

        self.window_.tasks.submit("person-faces", load, self._apply, self.window_._show_error)

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
            self.flow.addWidget(tile)
            self.tiles.append(tile)
        shown = f" (the best {len(faces)} shown)" if person.face_count > len(faces) else ""
        self.summary.setText(
            f"{person.face_count:,} faces in {person.photo_count:,} photos{shown}. Select the ones that are "
            "someone else."
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

    def _crop_ready(self, key: str) -> None:
        for tile in self.tiles:
            if self.controller.crops.key(tile.face) == key:
                tile.refresh_image()
