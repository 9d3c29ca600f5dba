"""The CLIP image-embedding stage."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from PIL import Image
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from photoorg.ml.clip import ClipEncoder
from photoorg.ml.registry import ModelChoice
from photoorg.pipeline.stages import ImageStage
from photoorg.store.schema import Embedding, Model

EMBEDDINGS_GENERATION = "embeddings"


def ensure_model_row(session: Session, choice: ModelChoice, dim: int) -> int:
    model_id = session.scalar(select(Model.id).where(Model.key == choice.key))
    if model_id is not None:
        return model_id
    row = Model(
        key=choice.key,
        arch=choice.arch,
        pretrained=choice.pretrained,
        weights_sha256=choice.weights_sha256,
        dim=dim,
        created_at=datetime.now(),
    )
    session.add(row)
    session.flush()
    return row.id


class ClipStage(ImageStage):
    name = "clip"
    generation = EMBEDDINGS_GENERATION

    def __init__(self, encoder: ClipEncoder, model_id: int, batch_size: int | None = None) -> None:
        self.encoder = encoder
        self.model_id = model_id
        self.min_side = encoder.image_size
        self._preprocess = encoder.preprocess
        on_gpu = encoder.device != "cpu"
        self.batch_size = batch_size or (64 if on_gpu else 16)

    @property
    def version(self) -> str:
        return self.encoder.choice.key

    def prepare(self, image: Image.Image, content_hash: str | None):
        return self._preprocess(image)

    def infer(self, prepared: list) -> list[np.ndarray]:
        import torch  # lazy: torch takes seconds to import; only model work needs it

        vectors = self.encoder.encode_images(torch.stack(prepared))
        return list(vectors)

    def save(self, session: Session, photo_id: int, result: np.ndarray) -> None:
        # Delete and insert rather than update: a fresh id tells the in-memory
        # search matrix that this vector changed.
        self.forget(session, photo_id)
        session.execute(insert(Embedding).values(photo_id=photo_id, model_id=self.model_id, vector=result))

    def copy_result(self, session: Session, source_photo_id: int, target_photo_id: int) -> bool:
        vector = session.scalar(
            select(Embedding.vector).where(
                Embedding.photo_id == source_photo_id, Embedding.model_id == self.model_id
            )
        )
        if vector is None:
            return False
        self.save(session, target_photo_id, vector)
        return True

    def forget(self, session: Session, photo_id: int) -> None:
        session.execute(
            delete(Embedding).where(Embedding.photo_id == photo_id, Embedding.model_id == self.model_id)
        )
