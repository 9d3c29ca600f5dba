"""Reading the text in a photo: PP-OCR (detection, angle, recognition) through
``rapidocr`` on ONNX Runtime. The three models ship inside the rapidocr wheel
(Apache-2.0), so nothing is downloaded.

Two passes keep photos without text cheap:

1. **Looking** (every photo): the detector alone on a small copy
   (:data:`PROBE_SIDE` px on the long side). It answers "are there text-like
   regions, and where" in ~30–60 ms here.
2. **Reading** (only photos the probe found text in): detection again at
   :data:`READ_SIDE` px on the long side (``Det.limit_type=max``: the detector
   never upsamples a 12 MP photo to a huge canvas, ~5× faster than rapidocr's
   default with the same lines found), then angle classification and
   recognition of each line.

Boxes come back in the pixels of the image given; the stage maps them to the
photo's full upright size.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image

#: long side of the "is there any text?" probe
PROBE_SIDE = 480
#: long side the reading pass detects at (rapidocr's Det.limit_side_len with limit_type=max)
READ_SIDE = 960
#: a probe region must cover this share of the probe image to count as text...
PROBE_MIN_AREA = 0.002
#: photos smaller than this on the long side hold no readable text (and the
#: detector reads a whole 100-px thumbnail as one "text" region)
MIN_SIDE = 160
#: ...and a read line must be this confident to be kept
MIN_CONFIDENCE = 0.6
#: the version of what the reading produces; part of the stage version
ENGINE_VERSION = "ppocr-v1"


@dataclass(frozen=True)
class TextLine:
    text: str
    box: tuple[float, float, float, float]  # x, y, width, height in the analysed image's pixels
    confidence: float


class OcrEngine:
    """One rapidocr pipeline, built on first use. A rapidocr call stores its
    options (``use_rec``...) on the engine for the calls after it, so calls are
    serialised and always pass every option."""

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads
        self._engine = None
        self._build_lock = threading.Lock()
        self._call_lock = threading.Lock()

    def _run(self, array: np.ndarray, *, read: bool):
        engine = self._get()
        with self._call_lock:
            return engine(array, use_det=True, use_cls=read, use_rec=read)

    def _get(self):
        with self._build_lock:
            if self._engine is None:
                # lazy: rapidocr imports onnxruntime and opencv (~0.5 s); only the
                # text stage and `photoorg text` need them.
                from rapidocr import RapidOCR

                # rapidocr logs every model path on each build, and a warning with
                # a traceback for every photo without text: the normal case here.
                logging.getLogger("RapidOCR").setLevel(logging.ERROR)
                params = {
                    "Global.log_level": "error",
                    "Det.limit_type": "max",
                    "Det.limit_side_len": READ_SIDE,
                }
                if self._threads:
                    params["EngineConfig.onnxruntime.intra_op_num_threads"] = self._threads
                    params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
                self._engine = _build(RapidOCR, params)
                logging.getLogger("RapidOCR").setLevel(logging.ERROR)  # the build resets it
            return self._engine

    def probe(self, image: Image.Image) -> float:
        """The share of a small copy that looks like text (0 when none)."""
        if max(image.size) < MIN_SIDE:
            return 0.0
        small = _fit(image, PROBE_SIDE)
        result = self._run(np.asarray(small), read=False)
        boxes = getattr(result, "boxes", None)
        if boxes is None or len(boxes) == 0:
            return 0.0
        area = sum(_quad_area(box) for box in boxes)
        return float(area / (small.width * small.height))

    def read(self, image: Image.Image) -> list[TextLine]:
        """Every line of text in ``image``, in reading order (top to bottom), with
        boxes in ``image``'s pixels."""
        # A small photo is enlarged to the reading size first: the detector and
        # recogniser were trained on text of 20–40 px, and a 640×480 camera
        # photo's captions are often half that.
        scale = READ_SIDE / max(image.size)
        if scale > 1.2:
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.BICUBIC)
        else:
            scale = 1.0
        result = self._run(np.asarray(image.convert("RGB")), read=True)
        texts = getattr(result, "txts", None)
        if not texts:
            return []
        lines = []
        for text, score, quad in zip(texts, result.scores, result.boxes):
            text = " ".join(str(text).split())
            if not text or float(score) < MIN_CONFIDENCE:
                continue
            xs, ys = quad[:, 0], quad[:, 1]
            x0, y0 = float(max(xs.min(), 0)), float(max(ys.min(), 0))
            box = (x0 / scale, y0 / scale, (float(xs.max()) - x0) / scale, (float(ys.max()) - y0) / scale)
            lines.append(TextLine(text, box, round(float(score), 4)))
        lines.sort(key=lambda line: (round(line.box[1] / max(line.box[3], 1)), line.box[0]))
        return lines


def _build(factory, params: dict):
    try:
        return factory(params=params)
    except (KeyError, ValueError, TypeError):
        # An engine config key this rapidocr release doesn't know: the thread
        # settings are optional, the size limit is not.
        core = {k: v for k, v in params.items() if k.startswith(("Global.", "Det.limit"))}
        return factory(params=core)


def _fit(image: Image.Image, side: int) -> Image.Image:
    image = image.convert("RGB")
    scale = side / max(image.size)
    if scale >= 1:
        return image
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))


def _quad_area(quad) -> float:
    points = np.asarray(quad, dtype=np.float64)
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def text_present(coverage: float) -> bool:
    return coverage >= PROBE_MIN_AREA
