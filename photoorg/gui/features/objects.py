"""Located objects in the app: labelled boxes with their confidence in the
viewer (shown and hidden with the viewer's Boxes button or B, like the other
boxes), in the details panel the objects found and how many people, and
"Object detector…" in the menu of All photos: the optional COCO detector,
downloaded with progress or read from a file (never without asking)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QLabel, QMenu, QMessageBox, QWidget

from photoorg.errors import PhotoorgError
from photoorg.gui.details import section_box
from photoorg.gui.extension import AppContext
from photoorg.gui.sidebar import Scope
from photoorg.gui.workers import report
from photoorg.objects import detector
from photoorg.objects.store import SOURCE_FACE, located_objects

DETECTOR_TEXT = (
    "The object detector finds people, cars, cups, chairs and 76 other kinds of things in your photos and "
    "marks them with boxes; tag: and object: searches use its labels.\n\n"
    f"It is torchvision's SSDlite320-MobileNetV3 (BSD licence), about 13 MB from {detector.WEIGHTS_URL}. "
    "It runs on your computer; no photo leaves it."
)


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
        ctx.add_sidebar_action(self._sidebar_menu)

    def _sidebar_menu(self, menu: QMenu, scope: Scope) -> None:
        if scope.kind == "all":
            menu.addAction("Object detector…", self.offer_detector)

    def offer_detector(self) -> None:
        db = self.ctx.library.db
        self.ctx.submit(lambda: detector.detector_choice(db), self._ask, key="objects-detector")

    def _ask(self, choice) -> None:
        box = QMessageBox(self.ctx.dialog_parent())
        box.setWindowTitle("Object detector")
        state = f"On, with {choice.weights}." if choice else "Off."
        box.setText(f"{DETECTOR_TEXT}\n\n{state}")
        download = box.addButton("Download", QMessageBox.ButtonRole.AcceptRole)
        from_file = box.addButton("Use a file…", QMessageBox.ButtonRole.ActionRole)
        off = box.addButton("Turn off", QMessageBox.ButtonRole.DestructiveRole) if choice else None
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        if clicked is download:
            self._adopt(None)
        elif clicked is from_file:
            path, _ = QFileDialog.getOpenFileName(
                self.ctx.dialog_parent(), "Object detector weights", "", "Weights (*.pth *.pt)"
            )
            if path:
                self._adopt(Path(path))
        elif off is not None and clicked is off:
            self.ctx.write(lambda: detector.turn_off(self.ctx.library.db), "Object detector off")

    def _adopt(self, path: Path | None) -> None:
        db = self.ctx.library.db

        library = self.ctx.library

        def work():
            if path is None and library.ml_options().offline:
                raise PhotoorgError("This library never downloads (offline): use a file instead.")
            weights = path or detector.download_weights(progress=lambda done, total: report((done, total)))
            return detector.adopt_weights(db, weights)

        def progress(value) -> None:
            done, total = value
            share = f" ({done * 100 // total} %)" if total else ""
            self.ctx.notify(f"Downloading the object detector: {done // 1_000_000} MB{share}")

        def done(choice) -> None:
            self.ctx.notify("Object detector on: finding objects in your photos", 6000)
            self.ctx.start_indexing()

        self.ctx.submit(work, done, on_yield=progress, key="objects-detector")

    def _boxes(self, row) -> list[tuple[int, int, int, int, str]]:
        """Runs off the GUI thread (see AppContext.add_viewer_overlay). Faces
        are drawn by the people overlay, with their names."""
        with self.ctx.library.db.session() as s:
            found = [o for o in located_objects(s, row.id) if o.source != SOURCE_FACE]
        return [(*o.box, box_label(o.label, o.confidence)) for o in found]
