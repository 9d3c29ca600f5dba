"""The heading over the grid: what the view shows and how many ("Dog · 42
photos"), with the one action that fits the view ("Name this person"), which
a capability adds (:meth:`photoorg.gui.extension.AppContext.add_heading_action`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from photoorg.gui.sidebar import Scope
from photoorg.gui.theme import icon

UNNAMED = "Unnamed person"


@dataclass(frozen=True)
class HeadingAction:
    """A button by the heading, for the views it applies to."""

    text: str
    icon_name: str
    applies: Callable[[Scope], bool]
    run: Callable[[Scope], None]


def photos(count: int) -> str:
    return f"{count:,} photo" + ("" if count == 1 else "s")


def heading_title(scope: Scope, query: str = "") -> str:
    """The view's name: the scope's, a search's query, or the library."""
    if query:
        return f"“{query}”"
    label = (scope.label or "").strip()
    if scope.kind == "person" and not label:
        return UNNAMED
    if scope.kind == "all" or not label:
        return "All photos"
    # Tags are lower-case words ("dog"); a heading starts with a capital. Names stay as written.
    return label[:1].upper() + label[1:] if scope.kind == "tag" else label


def heading_text(scope: Scope, count: int, query: str = "", total: int | None = None) -> str:
    """ "Dog · 42 photos"; for a search, "“beach” · 20 results"."""
    if query:
        return f"{heading_title(scope, query)} · {count:,} result{'' if count == 1 else 's'}"
    text = f"{heading_title(scope)} · {photos(count)}"
    if total is not None and total != count:
        text += f" of {total:,}"
    return text


def is_unnamed_person(scope: Scope) -> bool:
    return scope.kind == "person" and (not scope.label or scope.label == UNNAMED)


class ViewHeading(QWidget):
    """Title, count and an optional action. The text is elided by Qt only
    with a tooltip holding all of it."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("ViewHeading")
        self.title = QLabel()
        self.title.setObjectName("Heading")
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title.setMinimumWidth(120)
        self.action = QPushButton()
        self.action.hide()
        self.action.clicked.connect(self._action)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 6, 2, 2)
        layout.addWidget(self.title, 1)
        layout.addWidget(self.action)
        self.scope: Scope | None = None
        self._text = ""
        self._shown_action: HeadingAction | None = None

    def show_view(
        self, scope: Scope, count: int, query: str = "", actions: Sequence[HeadingAction] = ()
    ) -> None:
        self.scope = scope
        self._text = heading_text(scope, count, query)
        self.title.setToolTip(self._text)
        self._elide()
        # A search's results are not the view the action is about.
        fitting = [a for a in actions if a.applies(scope)] if not query else []
        self._shown_action = fitting[0] if fitting else None
        if self._shown_action is not None:
            self.action.setText(self._shown_action.text)
            self.action.setIcon(icon(self._shown_action.icon_name))
        self.action.setVisible(self._shown_action is not None)

    def text(self) -> str:
        return self._text

    def _elide(self) -> None:
        metrics, width = self.title.fontMetrics(), max(40, self.title.width())
        self.title.setText(metrics.elidedText(self._text, Qt.TextElideMode.ElideRight, width))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _action(self) -> None:
        if self.scope is not None and self._shown_action is not None:
            self._shown_action.run(self.scope)
