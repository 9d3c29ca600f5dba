"""The optional COCO object detector: torchvision's SSDlite320-MobileNetV3
(BSD-3-Clause code; weights trained by torchvision on COCO 2017).

It is off until the user asks for it: `photoorg objects detector get` (or the
app's "Object detector…") downloads the weights from torchvision's server with
progress into the user cache, or `--weights FILE` adopts a local copy. The
library remembers the file in the setting ``objects.detector``.

A weights file is loaded strictly (every tensor of the architecture must be in
it with its shape) and then run on a probe; anything else is refused with the
reason. There is no path on which the detector runs with weights that did not
come from the file: photoorg never runs a model with random weights.
"""

from __future__ import annotations

import hashlib
import os
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from photoorg.errors import Cancelled, InvalidInput, ModelUnavailableError
from photoorg.ml.weights import url_unreachable_reason
from photoorg.progress import CancelToken
from photoorg.store.db import Database

ARCH = "ssdlite320_mobilenet_v3_large"
WEIGHTS_URL = "https://download.pytorch.org/models/ssdlite320_mobilenet_v3_large_coco-a79551df.pth"
#: torchvision names its files after the first hex digits of their SHA-256
WEIGHTS_SHA256_PREFIX = "a79551df"
SETTING = "objects.detector"
#: boxes under this score are not kept (the detector proposes hundreds)
MIN_SCORE = 0.35
#: a label becomes a tag when its best box reaches this score
TAG_SCORE = 0.5
CONNECT_TIMEOUT = 3.0

ProgressCallback = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class DetectorChoice:
    """What the library asked for: the detector on, with this weights file."""

    weights: Path
    digest: str  # sha256 of the file, first 12 digits: the stage's version

    @property
    def version(self) -> str:
        return f"{ARCH}-{self.digest}"


def detector_choice(db: Database) -> DetectorChoice | None:
    """The library's detector, when it is on and its file is there (no model load)."""
    stored = db.get_setting(SETTING)
    if not isinstance(stored, dict) or not stored.get("weights"):
        return None
    path = Path(stored["weights"])
    if not path.is_file():
        return None
    return DetectorChoice(path, str(stored.get("digest") or "")[:12])


def download_folder() -> Path:
    from photoorg.tags.concept_cache import cache_dir

    return cache_dir() / "detector"


def download_weights(progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> Path:
    """Fetch the published weights into the user cache (kept there for every
    library); a file already there with the right hash is used as it is."""
    folder = download_folder()
    target = folder / WEIGHTS_URL.rsplit("/", 1)[1]
    if target.is_file() and _sha256(target).startswith(WEIGHTS_SHA256_PREFIX):
        return target
    # Without a network, urlopen waits for the resolver (10-40 s); ask quickly first.
    unreachable = url_unreachable_reason(WEIGHTS_URL, CONNECT_TIMEOUT)
    if unreachable is not None:
        raise ModelUnavailableError(
            f"Could not download the object detector ({unreachable}). Connect to the internet and try "
            f"again, or download {WEIGHTS_URL} yourself and pass it with --weights FILE.",
            model_key=ARCH,
        )
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    try:
        with urllib.request.urlopen(WEIGHTS_URL, timeout=CONNECT_TIMEOUT * 5) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            done = 0
            with open(partial, "wb") as out:
                while chunk := response.read(1 << 16):
                    if cancel is not None and cancel.cancelled:
                        raise Cancelled("download cancelled")
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
    except Cancelled:
        partial.unlink(missing_ok=True)
        raise
    except OSError as exc:  # URLError, timeouts, a full disk
        partial.unlink(missing_ok=True)
        reason = str(getattr(exc, "reason", None) or exc).splitlines()[0][:120]
        raise ModelUnavailableError(
            f"Could not download the object detector ({reason}). Connect to the internet and try again, "
            f"or download {WEIGHTS_URL} yourself and pass it with --weights FILE.",
            model_key=ARCH,
        ) from exc
    if not _sha256(partial).startswith(WEIGHTS_SHA256_PREFIX):
        partial.unlink(missing_ok=True)
        raise ModelUnavailableError(
            "The downloaded object detector is damaged (its checksum does not match); try again.",
            model_key=ARCH,
        )
    os.replace(partial, target)
    return target


def adopt_weights(db: Database, path: Path) -> DetectorChoice:
    """Check a weights file (a strict load and a probe) and make it the
    library's detector. Raises InvalidInput with the reason for a bad file."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise InvalidInput(f"No such weights file: {path}")
    load_model(path)  # raises with the reason
    digest = _sha256(path)[:12]
    db.set_setting(SETTING, {"weights": str(path), "digest": digest, "arch": ARCH})
    return DetectorChoice(path, digest)


def turn_off(db: Database) -> None:
    db.set_setting(SETTING, None)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# -- the model ------------------------------------------------------------------------------

_models: dict[str, object] = {}
_models_lock = threading.Lock()


def build_untrained():
    """The architecture with no weights at all (tests save one to a file)."""
    # lazy: torchvision imports torch (seconds); only detection needs it
    from torchvision.models.detection import ssdlite320_mobilenet_v3_large

    return ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=91)


def load_model(path: Path):
    """The detector with the file's weights, loaded once per process per file."""
    import torch  # lazy: torch takes seconds to import; only detection needs it

    key = str(path)
    with _models_lock:
        if key in _models:
            return _models[key]
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # pickle errors, truncated zip, not a torch file
            raise InvalidInput(f"{path.name} is not a torch weights file ({type(exc).__name__}).") from exc
        if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
            state = state["model"]
        if not isinstance(state, dict):
            raise InvalidInput(f"{path.name} holds no state dict of the {ARCH} detector.")
        model = build_untrained()
        expected = model.state_dict()
        missing = [k for k in expected if k not in state]
        wrong = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)]
        if missing or wrong:
            example = (missing or wrong)[0]
            raise InvalidInput(
                f"{path.name} is not a {ARCH} COCO checkpoint ({len(missing)} tensors missing, "
                f"{len(wrong)} of another shape, e.g. {example})."
            )
        model.load_state_dict(state, strict=True)
        model.eval()
        with torch.inference_mode():
            probe = model([torch.full((3, 160, 160), 0.5)])[0]
        if not torch.isfinite(probe["scores"]).all() or not torch.isfinite(probe["boxes"]).all():
            raise InvalidInput(f"{path.name} gives non-finite detections; it is not usable.")
        _models[key] = model
        return model


def coco_labels() -> list[str]:
    """The detector's class names by index (index 0 is the background)."""
    # lazy: torchvision imports torch
    from torchvision.models.detection import SSDLite320_MobileNet_V3_Large_Weights

    return list(SSDLite320_MobileNet_V3_Large_Weights.COCO_V1.meta["categories"])


def to_tensor(image: Image.Image, side: int = 320):
    """The image for the detector: RGB floats in 0..1, its longer side ``side``
    (SSDlite resizes to 320 x 320 itself; a smaller copy saves the transfer)."""
    import torch  # lazy: torch takes seconds to import

    image = image.convert("RGB")
    scale = side / max(image.size)
    if scale < 1.0:
        image = image.resize(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
            Image.Resampling.BILINEAR,
            reducing_gap=2.0,
        )
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    return torch.from_numpy(pixels.transpose(2, 0, 1).copy())


def detect(model, tensors: list) -> list[list[tuple[int, tuple[float, float, float, float], float]]]:
    """Per image: (class index, (x0, y0, x1, y1) in the tensor's pixels, score)."""
    import torch  # lazy: torch takes seconds to import

    with torch.inference_mode():
        outputs = model(tensors)
    found = []
    for out in outputs:
        keep = out["scores"] >= MIN_SCORE
        found.append(
            [
                (int(label), tuple(float(v) for v in box), float(score))
                for label, box, score in zip(out["labels"][keep], out["boxes"][keep], out["scores"][keep])
            ]
        )
    return found
