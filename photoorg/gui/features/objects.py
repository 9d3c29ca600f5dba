"""Located objects in the app: labelled boxes with their confidence in the
viewer (shown and hidden with the viewer's Boxes button or B, like the other
boxes), and in the details panel the objects found and how many people."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from photoorg.gui.details import section_box
from photoorg.gui.extension import AppContext
from photoorg.objects.store import SOURCE_FACE, located_objects


def box_label(label: str, confidence: float) -> str:
    return f"{label} {round(confidence * 100)}%"


def objects_section(details: dict) -> QWidget | None:
    objects = [o for o in details.get("objects") or [] if o["source"] != SOURCE_FACE]
    count = details.get("people_count") or 0
    if not objects and not count:
        return None
    box, layout = section_box("Objects")
    best: dict[str, float] = {}
    for o in objects:
        best[o["label"]] = max(best.get(o["label"], 0.0), o["confidence"])
    parts = [f"{count} {'person' if count == 1 else 'people'}"] if count else []
    parts += [box_label(label, confidence) for label, confidence in sorted(best.items(), key=lambda i: -i[1])]
    text = QLabel(", ".join(parts))
    text.setObjectName("PhotoObjects")
    text.setWordWrap(True)
    layout.addWidget(text)
    return box


class ObjectsGui:
    """Located objects, installed through the extension interface."""

    def install(self, ctx: AppContext) -> None:
        self.ctx = ctx
        ctx.add_viewer_overlay(self._boxes)
        ctx.add_details_section(objects_section)

    def _boxes(self, row) -> list[tuple[int, int, int, int, str]]:
        """Runs off the GUI thread (see AppContext.add_viewer_overlay). Faces
        are drawn by the people overlay, with their names."""
        with self.ctx.library.db.session() as s:
            found = [o for o in located_objects(s, row.id) if o.source != SOURCE_FACE]
        return [(*o.box, box_label(o.label, o.confidence)) for o in found]
