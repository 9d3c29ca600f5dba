"""Text in photos, in the app: the lines read in a photo as boxes in the viewer
(the lines that hold the searched words are labelled with their text; any line
can be selected on the photo and copied, see gui/live_text.py), and in the
details panel as text to select and copy."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPlainTextEdit, QPushButton, QWidget

from photoorg.errors import UsageError
from photoorg.gui.details import section_box
from photoorg.gui.extension import AppContext
from photoorg.search.folding import fold
from photoorg.search.query import parse_query
from photoorg.text.store import photo_lines


def matched(line: str, words: list[str]) -> bool:
    folded = fold(line)
    return any(word in folded for word in words)


def text_section(details: dict) -> QWidget | None:
    lines = details.get("text") or []
    if not lines:
        return None
    box, layout = section_box("Text in the photo")
    text = "\n".join(line["text"] for line in lines)
    view = QPlainTextEdit(text)
    view.setReadOnly(True)  # read-only, still selectable and copyable
    view.setObjectName("PhotoText")
    view.setMaximumHeight(min(160, 28 + 18 * len(lines)))
    layout.addWidget(view)
    copy = QPushButton("Copy text")
    copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(text))
    layout.addWidget(copy)
    return box


class TextGui:
    """Recognised text, installed through the extension interface."""

    def install(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._query = ""
        ctx.add_viewer_overlay(self._boxes)
        ctx.add_details_section(text_section)
        # Read on the GUI thread after each search; the overlay runs off it.
        ctx.on_refresh(self._remember_query)

    def _remember_query(self) -> None:
        self._query = self.ctx.search_text()

    def _boxes(self, row) -> list[tuple[int, int, int, int, str]]:
        """Runs off the GUI thread (see AppContext.add_viewer_overlay)."""
        try:
            query = parse_query(self._query)
            typed = [*query.text.split(), str(query.filters.extra.get("text", ""))]
        except UsageError:  # a half-typed filter: highlight nothing yet
            typed = []
        words = [fold(w) for w in typed if w]
        with self.ctx.library.db.session() as s:
            lines = photo_lines(s, row.id)
        # The sixth element makes the line selectable and copyable on the photo (gui/live_text.py).
        return [
            (*line.box, line.text if words and matched(line.text, words) else "", line.text) for line in lines
        ]
