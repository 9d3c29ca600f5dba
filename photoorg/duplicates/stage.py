"""The hash and quality stage: all its work is in the decode workers
(``prepare``, numpy on the image the pipeline already decoded), so it adds no
decode and never waits for the inference thread."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image
from sqlalchemy.orm import Session

from photoorg.duplicates import store
from photoorg.duplicates.fingerprint import Fingerprint, fingerprint
from photoorg.duplicates.quality import WORK_SIDE, Quality, measure
from photoorg.pipeline.stages import ImageStage

STAGE_NAME = "duplicates"
VERSION = "1"
GENERATION = "duplicates"


@dataclass(frozen=True)
class Measured:
    fingerprint: Fingerprint
    quality: Quality


class DuplicatesStage(ImageStage):
    name = STAGE_NAME
    # The thumbnail stage decodes this large anyway: no extra decode cost.
    min_side = WORK_SIDE
    uses_inference = False
    generation = GENERATION

    @property
    def version(self) -> str:
        return VERSION

    def prepare(self, image: Image.Image, content_hash: str | None) -> Measured:
        return Measured(fingerprint(image), measure(image))

    def save(self, session: Session, photo_id: int, result: Measured) -> None:
        store.save_fingerprint(session, photo_id, result.fingerprint, result.quality)

    def copy_result(self, session: Session, source_photo_id: int, target_photo_id: int) -> bool:
        return store.copy_fingerprint(session, source_photo_id, target_photo_id)

    def forget(self, session: Session, photo_id: int) -> None:
        store.forget(session, photo_id)
