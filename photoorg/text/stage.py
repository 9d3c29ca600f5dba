"""The text stage: find and read the text in each photo.

All of the work runs in the decode workers (``prepare``): ONNX Runtime releases
the GIL, so reading overlaps the other stages, and there is no batching to gain
(every photo has a different number of lines). The writer maps the boxes to the
photo's upright full size and stores them (see :mod:`photoorg.text.store`).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from photoorg.pipeline.stages import ImageStage
from photoorg.store.schema import Photo
from photoorg.text import ocr
from photoorg.text.kinds import document_kinds
from photoorg.text.store import StoredLine, copy_lines, forget, save_lines

STAGE_NAME = "text"
VERSION = f"{ocr.ENGINE_VERSION}-probe{ocr.PROBE_SIDE}-read{ocr.READ_SIDE}"


@dataclass
class ReadText:
    """What ``prepare`` found: lines in the analysed image's pixels."""

    width: int
    height: int
    coverage: float  # share of the probe image that looked like text
    lines: list[ocr.TextLine]


class TextStage(ImageStage):
    name = STAGE_NAME
    # A 4:3 photo decoded with its short side at 720 px has the 960 px long side
    # the reader works at; any larger decode is shrunk by the detector anyway.
    min_side = 720
    uses_inference = False
    generation = "text"

    def __init__(self, engine: ocr.OcrEngine | None = None, on_kinds=None) -> None:
        self._engine = engine or ocr.OcrEngine(threads=1)
        #: called in the writer with (session, photo_id, {kind: confidence})
        self._on_kinds = on_kinds

    @property
    def version(self) -> str:
        return VERSION

    def prepare(self, image: Image.Image, content_hash: str | None) -> ReadText:
        coverage = self._engine.probe(image)
        lines = self._engine.read(image) if ocr.text_present(coverage) else []
        return ReadText(image.width, image.height, coverage, lines)

    def save(self, session: Session, photo_id: int, result: ReadText) -> None:
        width, height, fmt, make = session.execute(
            select(Photo.width, Photo.height, Photo.format, Photo.camera_make).where(Photo.id == photo_id)
        ).one()
        scale_x = (width / result.width) if width and result.width else 1.0
        scale_y = (height / result.height) if height and result.height else scale_x
        stored = [
            StoredLine(line.text, _scaled(line.box, scale_x, scale_y, width, height), line.confidence)
            for line in result.lines
        ]
        save_lines(session, photo_id, stored)
        if self._on_kinds is not None:
            kinds = document_kinds(result.lines, result.width, result.height, fmt=fmt, has_camera=bool(make))
            self._on_kinds(session, photo_id, kinds)

    def copy_result(self, session: Session, source_photo_id: int, target_photo_id: int) -> bool:
        copy_lines(session, source_photo_id, target_photo_id)
        return True

    def forget(self, session: Session, photo_id: int) -> None:
        forget(session, photo_id)


def _scaled(box, sx: float, sy: float, width: int | None, height: int | None) -> tuple[int, int, int, int]:
    x, y, w, h = box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy
    if width and height:
        x, y = min(max(x, 0.0), width - 1), min(max(y, 0.0), height - 1)
        w, h = min(w, width - x), min(h, height - y)
    return round(x), round(y), max(1, round(w)), max(1, round(h))
