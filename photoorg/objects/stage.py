"""The COCO detector as an analysis stage (only when the user installed it).

``prepare`` (decode workers) shrinks the photo to the detector's input;
``infer`` (inference thread) runs a batch; ``save`` (writer) maps the boxes to
the photo's upright full size, stores them (``photo_objects``, source
"detector") and tags the photo with the labels whose best box is sure enough
(``photo_tags``, source "detector"), so ``tag:`` and ``object:`` use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from photoorg.ml.device import configure_torch_threads
from photoorg.objects import detector
from photoorg.objects.labels import concept_for
from photoorg.objects.store import SOURCE_DETECTOR, LocatedObject, copy_objects, save_objects, stored_objects
from photoorg.pipeline.stages import ImageStage
from photoorg.store.schema import TAG_ON, Photo, PhotoTag
from photoorg.tags.store import TAGS_GENERATION
from photoorg.tags.vocabulary import TagTree

STAGE_NAME = "objects"
TAG_SOURCE_DETECTOR = "detector"


@dataclass
class Detections:
    width: int  # of the analysed image
    height: int
    found: list[tuple[str, tuple[float, float, float, float], float]]  # label, x0 y0 x1 y1, score


class DetectorStage(ImageStage):
    name = STAGE_NAME
    min_side = 240
    batch_size = 8
    generation = TAGS_GENERATION

    def __init__(self, choice: detector.DetectorChoice, tree: TagTree, threads: int | None = None) -> None:
        self.choice = choice
        self.tree = tree
        self.threads = threads
        self.model = detector.load_model(Path(choice.weights))
        self.labels = detector.coco_labels()

    @property
    def version(self) -> str:
        return self.choice.version

    def prepare(self, image: Image.Image, content_hash: str | None):
        return detector.to_tensor(image)

    def infer(self, prepared: list) -> list[Detections]:
        configure_torch_threads(self.threads)
        results = []
        for tensor, found in zip(prepared, detector.detect(self.model, prepared)):
            named = [(self.labels[i], box, score) for i, box, score in found if 0 < i < len(self.labels)]
            results.append(Detections(int(tensor.shape[2]), int(tensor.shape[1]), named))
        return results

    def save(self, session: Session, photo_id: int, result: Detections) -> None:
        width, height = session.execute(select(Photo.width, Photo.height).where(Photo.id == photo_id)).one()
        sx = (width / result.width) if width and result.width else 1.0
        sy = (height / result.height) if height and result.height else sx
        objects = [
            LocatedObject(
                self._name(label),
                (
                    round(x0 * sx),
                    round(y0 * sy),
                    max(1, round((x1 - x0) * sx)),
                    max(1, round((y1 - y0) * sy)),
                ),
                score,
                SOURCE_DETECTOR,
            )
            for label, (x0, y0, x1, y1), score in result.found
        ]
        save_objects(session, photo_id, SOURCE_DETECTOR, objects)
        self._save_tags(session, photo_id, objects)

    def _name(self, coco_label: str) -> str:
        """The vocabulary's name for a COCO label ("dining table" is a "table"),
        so object: and the hierarchy read the detector's boxes like the others."""
        tag_id = concept_for(coco_label, self.tree)
        return self.tree.names[tag_id] if tag_id is not None else coco_label

    def _save_tags(self, session: Session, photo_id: int, objects: list[LocatedObject]) -> None:
        session.execute(
            delete(PhotoTag).where(PhotoTag.photo_id == photo_id, PhotoTag.source == TAG_SOURCE_DETECTOR)
        )
        best: dict[int, float] = {}
        for obj in objects:
            tag_id = concept_for(obj.label, self.tree)
            if tag_id is not None and obj.confidence >= detector.TAG_SCORE:
                best[tag_id] = max(best.get(tag_id, 0.0), obj.confidence)
        now = datetime.now()
        for tag_id, confidence in best.items():
            session.add(
                PhotoTag(
                    photo_id=photo_id,
                    tag_id=tag_id,
                    source=TAG_SOURCE_DETECTOR,
                    confidence=confidence,
                    state=TAG_ON,
                    updated_at=now,
                )
            )

    def forget(self, session: Session, photo_id: int) -> None:
        save_objects(session, photo_id, SOURCE_DETECTOR, [])
        session.execute(
            delete(PhotoTag).where(PhotoTag.photo_id == photo_id, PhotoTag.source == TAG_SOURCE_DETECTOR)
        )

    def copy_result(self, session: Session, source_photo_id: int, target_photo_id: int) -> bool:
        copy_objects(session, source_photo_id, target_photo_id, SOURCE_DETECTOR)
        self._save_tags(
            session,
            target_photo_id,
            [o for o in stored_objects(session, target_photo_id) if o.source == SOURCE_DETECTOR],
        )
        return True
