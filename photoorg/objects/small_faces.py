"""Small faces, for telling that a person is there (not who): the offline
stage that looks for faces too small for the faces stage.

The faces stage keeps faces of 40 px and more in the full-size photo (their
descriptors need the detail), so in a 640 x 480 photo of three people in a
café, faces of 35 px are dropped. Here dlib's HOG detector looks at a reduced
copy (the longer side at most ``SIDE``) upsampled once: faces down to ~20 px of
that copy, for ~0.04 CPU s a photo. A face found this way is a ``person`` box
(source "small-face"); the people step counts them with the other evidence.

It runs only while CLIP can't tag (offline), like the ImageNet tagger; with
CLIP, the CLIP tags say "person" and the pipeline keeps its speed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from photoorg.objects.store import SOURCE_SMALL_FACE, LocatedObject, copy_objects, save_objects
from photoorg.pipeline.stages import ImageStage
from photoorg.store.schema import Photo

STAGE_NAME = "small-faces"
#: the reduced copy's longer side, before dlib's upsampling (x2)
SIDE = 640
#: HOG scores from here are faces; on the everyday set nothing else scored above 0
MIN_SCORE = 0.3
VERSION = f"hog-up1-{SIDE}-s{MIN_SCORE}"
#: how sure a small face makes us that a person is there (every one found on the
#: everyday set was a person; kept under 1 for faces in posters and prints)
PRECISION = 0.9

_local = threading.local()


def _detector():
    # dlib's detectors keep scratch state: one per thread
    detector = getattr(_local, "detector", None)
    if detector is None:
        from photoorg.faces.models import frontal_detector, import_dlib

        detector = _local.detector = frontal_detector(import_dlib())
    return detector


@dataclass
class SmallFaces:
    width: int  # of the analysed image
    height: int
    found: list[tuple[tuple[float, float, float, float], float]]  # (x, y, w, h), HOG score


def find_small_faces(image: Image.Image) -> SmallFaces:
    grey = image.convert("L")
    scale = min(1.0, SIDE / max(grey.size))
    if scale < 1.0:
        grey = grey.resize(
            (max(1, round(grey.width * scale)), max(1, round(grey.height * scale))),
            Image.Resampling.BILINEAR,
            reducing_gap=2.0,
        )
    rects, scores, _ = _detector().run(np.ascontiguousarray(np.asarray(grey, dtype=np.uint8)), 1, 0.0)
    found = [
        ((r.left() / scale, r.top() / scale, r.width() / scale, r.height() / scale), float(s))
        for r, s in zip(rects, scores)
        if s >= MIN_SCORE
    ]
    return SmallFaces(image.width, image.height, found)


class SmallFacesStage(ImageStage):
    name = STAGE_NAME
    min_side = 480
    uses_inference = False  # HOG releases the GIL: it runs in the decode workers

    @property
    def version(self) -> str:
        return VERSION

    def prepare(self, image: Image.Image, content_hash: str | None) -> SmallFaces:
        return find_small_faces(image)

    def save(self, session: Session, photo_id: int, result: SmallFaces) -> None:
        width, height = session.execute(select(Photo.width, Photo.height).where(Photo.id == photo_id)).one()
        sx = (width / result.width) if width and result.width else 1.0
        sy = (height / result.height) if height and result.height else sx
        located = [
            LocatedObject(
                "person",
                (round(x * sx), round(y * sy), round(w * sx), round(h * sy)),
                PRECISION * min(1.0, 0.7 + score / 3),
                SOURCE_SMALL_FACE,
            )
            for (x, y, w, h), score in result.found
        ]
        save_objects(session, photo_id, SOURCE_SMALL_FACE, located)

    def forget(self, session: Session, photo_id: int) -> None:
        save_objects(session, photo_id, SOURCE_SMALL_FACE, [])

    def copy_result(self, session: Session, source_photo_id: int, target_photo_id: int) -> bool:
        copy_objects(session, source_photo_id, target_photo_id, SOURCE_SMALL_FACE)
        return True
