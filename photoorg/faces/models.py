"""dlib's face models: finding their files, loading them once, and the work
done per photo (detect, landmarks, aligned chip, quality) and per face (the
128-D descriptor).

The model files ship in the ``face-recognition-models`` package. It is found
with ``importlib.util.find_spec`` and never imported (its ``__init__`` needs
``pkg_resources``, which new setuptools no longer has).

Threads: HOG detection releases the GIL, so it runs in the decode workers.
dlib's detectors keep scratch state and are not safe to share, so each
detection borrows a detector from a pool for the process. Building one holds
the GIL for ~0.25 s, so a child process builds it and threads unpickle copies.
The descriptor network holds the GIL for ~60-75 ms a face; the stage runs it
in a child process (encoder_process.py), or here a face at a time so other
threads get the GIL back in between.

Where to look: a large photo gets a coarse look first and the fine one only
if the coarse look saw a face or a near-face (see COARSE_FRACTION below).
"""

from __future__ import annotations

import importlib.util
import logging
import pickle
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from photoorg.errors import ModelUnavailableError
from photoorg.faces.config import FACE_CHIP_PADDING, FACE_CHIP_SIZE
from photoorg.faces.encoder_process import frontal_detector_pickle
from photoorg.pipeline.work import DECODE_SCALE_KEY

LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
ENCODER_FILE = "dlib_face_recognition_resnet_model_v1.dat"
CNN_FILE = "mmod_human_face_detector.dat"

log = logging.getLogger(__name__)

_INSTALL_HINT = "Install it with: pip install dlib-bin face-recognition-models"
#: HOG detections scoring below this are dropped: real faces, even small and
#: dark ones, scored 0.35 and more on the sample photos; the false positives
#: seen (a mission patch on a suit) scored about 0.01.
MIN_HOG_SCORE = 0.1


def models_dir() -> Path:
    """The folder holding dlib's .dat files, or a readable error."""
    try:
        spec = importlib.util.find_spec("face_recognition_models")
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        folder = Path(location) / "models"
        if folder.is_dir():
            return folder
    raise ModelUnavailableError(
        "Face recognition is waiting for its models: the package face-recognition-models is not "
        f"installed. {_INSTALL_HINT}",
        model_key="faces",
    )


def model_file(name: str) -> Path:
    path = models_dir() / name
    if not path.is_file():
        raise ModelUnavailableError(
            f"Face recognition is waiting for its model file {name}, which is missing from {path.parent}. "
            f"Reinstall the package: pip install --force-reinstall face-recognition-models",
            model_key="faces",
        )
    return path


def import_dlib():
    try:
        import dlib  # lazy: dlib loads its native library; only the faces stage needs it
    except ImportError as exc:
        raise ModelUnavailableError(
            f"Face recognition is waiting for dlib, which can't be loaded ({exc}). {_INSTALL_HINT}",
            model_key="faces",
        ) from exc
    return dlib


@dataclass
class DetectedFace:
    """One face in the analysed image (coordinates in that image's pixels)."""

    box: tuple[float, float, float, float]  # x, y, w, h
    landmarks: list[tuple[float, float]]
    quality: float
    score: float
    chip: np.ndarray | None = None  # the aligned 150x150 RGB face, until described
    descriptor: np.ndarray | None = None


@dataclass
class FaceDetections:
    """All faces of one photo, and the size of the image they were found in."""

    width: int
    height: int
    detector: str
    faces: list[DetectedFace] = field(default_factory=list)
    analysed: tuple[int, int] = (0, 0)  # the image size the detector's finest look amounts to
    path: str = "full"  # how the photo was looked at: PATH_FULL or PATH_COARSE


def sharpness(gray: np.ndarray) -> float:
    """Variance of the Laplacian: high for crisp detail, low for blur."""
    g = gray.astype(np.float32)
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4.0 * g[1:-1, 1:-1]
    return float(lap.var())


def face_quality(face_width: float, chip: np.ndarray) -> float:
    """0..1: size (a face 100 px wide in the image it is cut from fills the
    aligned chip with real detail) times sharpness (variance of the Laplacian on the
    chip's inner part, saturating around a few hundred)."""
    size = min(1.0, max(0.0, face_width / 100.0))
    inner = chip[25:-25, 25:-25]
    gray = inner.mean(axis=2) if inner.ndim == 3 else inner
    sharp = sharpness(gray)
    return round(size * (sharp / (sharp + 60.0)), 4)


# -- where to look ---------------------------------------------------------------------------

#: the whole photo at the detection size
PATH_FULL = "full"
#: the whole photo at a coarse size only: no face or near-face there
PATH_COARSE = "coarse"
#: the coarse look's share of the detection size. HOG's window is 80 px, so at
#: 0.6 of 1000 px it finds faces from 13% of the photo's short side (a
#: portrait's face is 20-50%) at under half the cost of the fine look, which
#: finds them from 8%.
COARSE_FRACTION = 0.6
#: a coarse window scoring above this (a face would score above 0.1) is a
#: near-face: a face slightly too small for the coarse look. On the sample
#: photos, most faces of 8-13% of the short side scored -0.22 to 0.04 there
#: (three at the detector's 8% limit did not, and are missed), and photos
#: without faces -0.42 at most (most below -0.6).
PROPOSAL_SCORE = -0.5
#: a photo is decoded at this share of the detection size at least; the fine
#: look scales it up (as dlib's own upsampling does). A 12 MP JPEG then
#: decodes at 1/4 scale (1008x756), not 1/2 (2016x1512): a sixth less decoding
#: time, and a quarter of the pixels for every stage to resize.
DECODE_FRACTION = 0.75


class FaceAnalyzer:
    """The loaded models of one detector setting."""

    def __init__(self, detector: str = "hog", detect_side: int = 1000, cascade: bool = True) -> None:
        self.dlib = import_dlib()
        #: the coarse look first, the fine one only where it saw a face or a
        #: near-face (see COARSE_FRACTION); False: the fine look on every photo
        self.cascade = cascade
        if detector not in ("hog", "cnn"):
            raise ValueError(f"unknown detector {detector!r}")
        self.detector_name = detector
        self.detect_side = detect_side
        # The CNN's window is 40 px, HOG's 80 px: at half the size the CNN finds
        # faces as small (relative to the photo) as HOG does, at a quarter of
        # its (large) cost on a CPU.
        self.analysis_side = detect_side // 2 if detector == "cnn" else detect_side
        self._landmarks_path = str(model_file(LANDMARKS_FILE))
        self._cnn_path = str(model_file(CNN_FILE)) if detector == "cnn" else None
        self._pool_key = (detector, self._landmarks_path)
        self.encoder_path = str(model_file(ENCODER_FILE))
        self._encoder = None

    # -- models, shared by the threads ------------------------------------------------

    def make_models(self) -> tuple:
        """A detector and a landmark predictor, for one thread at a time.
        Loading them holds the GIL (~50 ms for the predictor), so they are
        pooled for the process."""
        if self._cnn_path:
            detector = self.dlib.cnn_face_detection_model_v1(self._cnn_path)
        else:
            detector = frontal_detector(self.dlib)
        return detector, self.dlib.shape_predictor(self._landmarks_path)

    def _take_models(self) -> tuple:
        with _pool_lock:
            pool = _model_pool.setdefault(self._pool_key, [])
            if pool:
                return pool.pop()
        return self.make_models()

    def _give_back(self, models: tuple) -> None:
        with _pool_lock:
            _model_pool.setdefault(self._pool_key, []).append(models)

    # -- the work -------------------------------------------------------------------------

    def source_image(self, image: Image.Image) -> Image.Image:
        """The RGB image faces are cut from: the decoder's, reduced to at most
        twice the detection size (more detail for small faces than the
        detector's image has, without carrying 12 MP)."""
        if image.mode != "RGB":
            image = image.convert("RGB")
        factor = int(min(image.size) // (self.analysis_side * 2))
        return image.reduce(factor) if factor >= 2 else image

    def fine_scale(self, source: Image.Image, reduced: bool = False) -> tuple[float, int]:
        """(scale, upsample) of the look that finds the smallest faces: the
        detection size for a large photo (scaled up to it when the decoder
        gave it reduced, a little under that size), else the photo as it is
        (upsampled twice by dlib when it is under half the size)."""
        side = self.analysis_side
        short = min(source.size)
        if short > side * 1.1 or (reduced and not self._cnn_path and side * DECODE_FRACTION <= short < side):
            return side / short, 0
        return 1.0, (1 if short * 2 <= side else 0)

    def _detect(self, image: Image.Image, detector, predictor) -> FaceDetections:
        # A photo the decoder reduced (work.py notes by how much) is larger
        # than it looks: the fine look treats it at the detection size.
        reduced = float(image.info.get(DECODE_SCALE_KEY, 1.0)) > 1.0
        source = self.source_image(image)
        scale, upsample = self.fine_scale(source, reduced)
        whole = (0, 0, source.width, source.height)
        path = PATH_FULL
        found: list = []
        if self.cascade and not self._cnn_path and scale * COARSE_FRACTION < 1.0 and upsample == 0:
            # A cheap look first; the fine one only where it saw a face or a near-face.
            found = self._run_pass(detector, source, whole, scale * COARSE_FRACTION, 0, PROPOSAL_SCORE)
            if not found:
                path = PATH_COARSE
        if path == PATH_FULL:
            # The fine look's pyramid holds the coarse scales too: its boxes,
            # all of them, as without the coarse look.
            found = self._run_pass(detector, source, whole, scale, upsample, MIN_HOG_SCORE)
        rgb = np.ascontiguousarray(np.asarray(source, dtype=np.uint8))
        result = FaceDetections(source.width, source.height, self.detector_name, path=path)
        result.analysed = (round(source.width * scale), round(source.height * scale))
        height, width = rgb.shape[:2]
        for x0, y0, x1, y1, score in found:
            left, top = max(0, round(x0)), max(0, round(y0))
            right, bottom = min(width - 1, round(x1) - 1), min(height - 1, round(y1) - 1)
            if right - left < 4 or bottom - top < 4:
                continue
            shape = predictor(rgb, self.dlib.rectangle(left, top, right, bottom))
            chip = np.asarray(self.dlib.get_face_chip(rgb, shape, FACE_CHIP_SIZE, FACE_CHIP_PADDING))
            points = [(float(shape.part(i).x), float(shape.part(i).y)) for i in range(shape.num_parts)]
            box = (float(left), float(top), float(right - left + 1), float(bottom - top + 1))
            result.faces.append(
                DetectedFace(
                    box=box,
                    landmarks=points,
                    quality=face_quality(box[2], chip),
                    score=round(score, 3),
                    chip=chip,
                )
            )
        return result

    def detect(self, image: Image.Image) -> FaceDetections:
        """Faces of an upright RGB image, with landmarks, chips and quality
        (coordinates in ``image``'s pixels, or the reduced copy's, whose size
        the result carries)."""
        models = self._take_models()
        try:
            return self._detect(image, *models)
        finally:
            self._give_back(models)

    def _run_pass(
        self, detector, source: Image.Image, box, scale: float, upsample: int, min_score: float
    ) -> list:
        """Detections in ``box`` of ``source`` looked at ``scale``, as
        (left, top, right, bottom) in source pixels with their scores."""
        left, top = box[0], box[1]
        part = source if box == (0, 0, source.width, source.height) else source.crop(box)
        detect = part if self._cnn_path else part.convert("L")
        if scale != 1.0:
            size = (max(1, round(detect.width * scale)), max(1, round(detect.height * scale)))
            detect = detect.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
        pixels = np.ascontiguousarray(np.asarray(detect, dtype=np.uint8))
        if self._cnn_path:
            found = [(d.rect, float(d.confidence)) for d in detector(pixels, upsample)]
        else:
            rects, scores, _ = detector.run(pixels, upsample, min(0.0, min_score))
            found = [(rect, score) for rect, score in zip(rects, scores) if score >= min_score]
        ratio_x, ratio_y = part.width / detect.width, part.height / detect.height
        return [
            (
                left + rect.left() * ratio_x,
                top + rect.top() * ratio_y,
                left + (rect.right() + 1) * ratio_x,
                top + (rect.bottom() + 1) * ratio_y,
                float(score),
            )
            for rect, score in found
        ]

    def describe(self, chip: np.ndarray) -> np.ndarray:
        """The 128-D descriptor of an aligned face chip (float32), in this
        process (the stage uses a child process; see encoder_process.py)."""
        if self._encoder is None:
            self._encoder = _shared_encoder(self.dlib, self.encoder_path)
        vector = self._encoder.compute_face_descriptor(np.ascontiguousarray(chip))
        return np.asarray(vector, dtype=np.float32)


_encoders: dict[str, object] = {}
_encoder_lock = threading.Lock()
_model_pool: dict[tuple, list[tuple]] = {}
_pool_lock = threading.Lock()
_detector_pickle: list[bytes | None] = []  # [] until first asked, then [the child's pickle or None]
_detector_lock = threading.Lock()


def frontal_detector(dlib):
    """A new HOG face detector: unpickled from one a child process built
    (~1 ms, where building it here would hold the GIL ~0.25 s), or built here
    when no child can run."""
    with _detector_lock:  # waiting on a lock releases the GIL
        if not _detector_pickle:
            _detector_pickle.append(frontal_detector_pickle())
        data = _detector_pickle[0]
    if data:
        try:
            detector = pickle.loads(data)
            if isinstance(detector, dlib.fhog_object_detector):
                return detector
        except Exception as exc:  # a child with another dlib: build it here instead
            log.warning("the face detector from the child process can't be used (%s)", exc)
    return dlib.get_frontal_face_detector()


def _shared_encoder(dlib, path: str):
    # ~22 MB of weights: load once per process, whatever the detector setting.
    with _encoder_lock:
        encoder = _encoders.get(path)
        if encoder is None:
            encoder = dlib.face_recognition_model_v1(path)
            _encoders[path] = encoder
        return encoder
