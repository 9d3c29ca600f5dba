"""The People page: a grid of person cards with inline naming."""

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
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photoorg.faces.config import face_settings
from photoorg.faces.people import list_people, review_counts
from photoorg.gui.theme import ACCENT, icon

PERSON_ROLE = Qt.ItemDataRole.UserRole + 40

CARD_W, CARD_H, FACE_SIDE = 164, 204, 128


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
        crops.ready.connect(lambda _keys: self.viewport().update())

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

    def refresh(self) -> None:
        self.reload()

    def reload(self) -> None:
        if self.view.state() == QAbstractItemView.State.EditingState:
            return  # the user is typing a name: the next refresh brings the rest
        db = self.controller.db
        include_hidden = self.show_hidden.isChecked()

        def load():
            return list_people(db, include_hidden=include_hidden), review_counts(db), face_settings(db)

        self.controller.ctx.submit(load, self._apply, key="people-page")

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
