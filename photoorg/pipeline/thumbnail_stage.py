"""Thumbnails, made from the same decode as every other stage."""

from __future__ import annotations

from PIL import Image
from sqlalchemy.orm import Session

from photoorg.pipeline.stages import ImageStage
from photoorg.scan.thumbnails import ThumbnailCache


class ThumbnailStage(ImageStage):
    name = "thumbnail"
    uses_inference = False

    def __init__(self, cache: ThumbnailCache) -> None:
        self.cache = cache
        # The thumbnail's long side is cache.size; for photos of 4:3 or wider a
        # short side of 3/4 of that is enough, and lets JPEG decode at 1/8 scale.
        self.min_side = cache.size * 3 // 4

    @property
    def version(self) -> str:
        return f"jpeg-{self.cache.size}"

    def prepare(self, image: Image.Image, content_hash: str | None) -> None:
        # Runs in a decode worker: the file write belongs there, off the writer.
        if content_hash and not self.cache.has(content_hash):
            self.cache.write(content_hash, image)

    def save(self, session: Session, photo_id: int, result: None) -> None:
        pass  # the file is the result; the stage row records it

    def copy_result(self, session: Session, source_photo_id: int, target_photo_id: int) -> bool:
        return True  # keyed by content hash: the copy already has it
