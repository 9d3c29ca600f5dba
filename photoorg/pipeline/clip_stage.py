"""The CLIP image-embedding stage.

The vectors come from the image runtime chosen for this machine (fp32 torch,
or ONNX Runtime on a CPU; see ml/onnx_image.py). On a GPU the batch adapts to
the device's memory: a batch that runs out of memory is split in halves, and
the smaller size is kept for the rest of the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import numpy as np
from PIL import Image
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from photoorg.ml.clip import ClipEncoder
from photoorg.ml.onnx_image import ImageRuntime, torch_runtime
from photoorg.ml.registry import ModelChoice
from photoorg.pipeline.stages import ImageStage
from photoorg.store.schema import Embedding, Model

EMBEDDINGS_GENERATION = "embeddings"

log = logging.getLogger(__name__)


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

    def __init__(
        self,
        encoder: ClipEncoder,
        model_id: int,
        batch_size: int | None = None,
        runtime: ImageRuntime | None = None,
    ) -> None:
        self.encoder = encoder
        self.model_id = model_id
        self.min_side = encoder.image_size
        self._preprocess = encoder.preprocess
        self.runtime = runtime or torch_runtime(encoder)
        on_gpu = encoder.device != "cpu"
        self.batch_size = batch_size or (64 if on_gpu else 16)
        #: the largest batch the device has taken; halved on out-of-memory
        self.device_batch = self.batch_size

    @property
    def version(self) -> str:
        return self.encoder.choice.key

    def prepare(self, image: Image.Image, content_hash: str | None):
        return self._preprocess(image)

    def infer(self, prepared: list) -> list[np.ndarray]:
        import torch  # lazy: torch takes seconds to import; only model work needs it

        batch = torch.stack(prepared)
        if self.encoder.device == "cpu":
            return list(self.runtime.encode(batch))
        vectors, self.device_batch = encode_fitting_memory(self.runtime.encode, batch, self.device_batch)
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


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA's OutOfMemoryError, or MPS's RuntimeError saying the same."""
    try:
        import torch

        if isinstance(exc, torch.OutOfMemoryError):
            return True
    except (ImportError, AttributeError):
        pass
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def _free_device_cache() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    mps = getattr(torch, "mps", None)
    if mps is not None and hasattr(mps, "empty_cache") and torch.backends.mps.is_available():
        mps.empty_cache()


def encode_fitting_memory(encode: Callable, batch, size: int) -> tuple[np.ndarray, int]:
    """Encode ``batch`` in slices of at most ``size``, halving the slice when
    the device runs out of memory. Returns the vectors and the size that fit
    (the next batch starts there). One image that does not fit is an error."""
    outputs = []
    start = 0
    size = max(1, size)
    while start < len(batch):
        part = batch[start : start + size]
        try:
            outputs.append(encode(part))
        except Exception as exc:
            if not is_out_of_memory(exc) or size == 1:
                raise
            size = max(1, size // 2)
            log.info("out of device memory: CLIP batches of %d from now on", size)
            _free_device_cache()
            continue
        start += len(part)
    return np.concatenate(outputs), size
