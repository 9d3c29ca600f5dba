"""How the video capability plugs into the core (see ``register`` in __init__)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.orm import Session

from photoorg.extensions.stages import StageContext
from photoorg.extensions.vector_sources import VectorSource
from photoorg.pipeline.stages import StageSpec
from photoorg.search.vector_index import VectorTable, update_vector_store
from photoorg.video import store
from photoorg.video.probe import VIDEO_FORMATS
from photoorg.video.stages import (
    INFO_STAGE,
    INFO_VERSION,
    SCENES_STAGE,
    VideoInfoStage,
    VideoScenesStage,
    scenes_version,
)

if TYPE_CHECKING:
    from photoorg.library import Library, MlOptions
    from photoorg.store.schema import Photo

SCENES_TABLE = VectorTable(store.FRAMES_TABLE, store.FRAMES_GENERATION, suffix="video-frames")
SCENES_INDEX_STAGE = "video-scenes-index"


def video_stages(library: Library, options: MlOptions, context: StageContext) -> list[StageSpec]:
    info = VideoInfoStage()

    def load_scenes() -> VideoScenesStage:
        from photoorg.pipeline.clip_stage import ClipStage, ensure_model_row

        encoder = library.clip_encoder(
            options, progress=context.progress, cancel=context.cancel, text=context.text_tower
        )
        with library.db.transaction() as s:
            model_id = ensure_model_row(s, encoder.choice, encoder.dim)
        return VideoScenesStage(ClipStage(encoder, model_id, runtime=library.image_runtime(encoder, options)))

    return [
        StageSpec(INFO_STAGE, INFO_VERSION, lambda: info, VIDEO_FORMATS),
        StageSpec(SCENES_STAGE, scenes_version(library.select_model().key), load_scenes, VIDEO_FORMATS),
    ]


def scenes_index_step(library: Library):
    """After an index run: the keyframes' snapshot, as the embeddings' (search/vector_index.py)."""

    def step(token):
        return (
            yield from update_vector_store(
                library.db, library.model_choice().key, SCENES_TABLE, SCENES_INDEX_STAGE
            )
        )

    return step


def locate(session: Session, photo_id: int, model_id: int, query: np.ndarray) -> float | None:
    """Seconds into the video of the keyframe nearest the query."""
    frames = store.frames_of(session, photo_id, model_id)
    if not frames:
        return None
    scores = np.stack([vector for _, vector in frames]) @ np.asarray(query, dtype=np.float32)
    return frames[int(np.argmax(scores))][0]


SCENES_SOURCE = VectorSource(SCENES_TABLE, locate)


def video_details(session: Session, photo: Photo) -> dict[str, Any]:
    info = store.info_of(session, photo.id)
    if info is None:
        return {}
    return {
        "video": {
            "duration": round(info["duration_s"], 2),
            "codec": info["codec"],
            "fps": None if info["fps"] is None else round(info["fps"], 3),
            "poster_time": round(info["poster_s"], 2),
        }
    }
