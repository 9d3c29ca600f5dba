"""The video capability's stages. Both read what the video reader put on the
decoded picture's ``info`` (see reader.py); every other stage (thumbnail,
CLIP, faces, text) works on that picture, the video's representative frame,
unchanged.

- ``video``: the duration, codec and poster time (no model).
- ``video-scenes``: a CLIP vector per keyframe, with its time, so that search
  finds a video by any of its scenes and says when it happens.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image
from sqlalchemy.orm import Session

from photoorg.pipeline.clip_stage import ClipStage
from photoorg.pipeline.stages import ImageStage
from photoorg.video import store
from photoorg.video.media import FACTS_KEY, KEYFRAMES_KEY, POSTER_TIME_KEY
from photoorg.video.probe import VIDEO_FORMATS

INFO_STAGE = "video"
INFO_VERSION = "1"
SCENES_STAGE = "video-scenes"
SCENES_VERSION = "1"


class VideoInfoStage(ImageStage):
    name = INFO_STAGE
    uses_inference = False
    formats = VIDEO_FORMATS

    @property
    def version(self) -> str:
        return INFO_VERSION

    def prepare(self, image: Image.Image, content_hash: str | None) -> Any:
        facts = image.info.get(FACTS_KEY)
        return None if facts is None else (facts, float(image.info.get(POSTER_TIME_KEY, 0.0)))

    def save(self, session: Session, photo_id: int, result: Any) -> None:
        if result is not None:
            store.save_info(session, photo_id, *result)

    def copy_result(self, session: Session, source_photo_id: int, target_photo_id: int) -> bool:
        return store.copy_info(session, source_photo_id, target_photo_id)

    def forget(self, session: Session, photo_id: int) -> None:
        store.forget_info(session, photo_id)


class VideoScenesStage(ImageStage):
    """CLIP on each keyframe, through the CLIP stage's own preprocessing and
    runtime (one model in memory for both)."""

    name = SCENES_STAGE
    formats = VIDEO_FORMATS
    generation = store.FRAMES_GENERATION

    def __init__(self, clip: ClipStage) -> None:
        self.clip = clip
        self.min_side = clip.min_side
        self.batch_size = max(1, clip.batch_size // 4)  # each video brings several frames

    @property
    def version(self) -> str:
        return scenes_version(self.clip.version)

    def prepare(self, image: Image.Image, content_hash: str | None) -> Any:
        frames = image.info.get(KEYFRAMES_KEY) or []
        return [(seconds, self.clip.prepare(frame, content_hash)) for seconds, frame in frames]

    def infer(self, prepared: list[Any]) -> list[Any]:
        flat = [tensor for frames in prepared for _, tensor in frames]
        vectors = self.clip.infer(flat) if flat else []
        results, start = [], 0
        for frames in prepared:
            part = vectors[start : start + len(frames)]
            results.append([(seconds, np.asarray(v)) for (seconds, _), v in zip(frames, part, strict=True)])
            start += len(frames)
        return results

    def save(self, session: Session, photo_id: int, result: Any) -> None:
        store.save_frames(session, photo_id, self.clip.model_id, result)

    def copy_result(self, session: Session, source_photo_id: int, target_photo_id: int) -> bool:
        return store.copy_frames(session, source_photo_id, target_photo_id, self.clip.model_id)

    def forget(self, session: Session, photo_id: int) -> None:
        store.forget_frames(session, photo_id, self.clip.model_id)


def scenes_version(clip_version: str) -> str:
    return f"{clip_version}#scenes{SCENES_VERSION}"
