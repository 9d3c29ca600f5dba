"""Face crops for the people cards and the review screen, cut from the
original photo (upright, at reduced decode size) and cached as small JPEGs in
``<library>/faces/``. Keyed by face id and box, so a face analysed again gets
a fresh crop. Qt-free; front ends call it off their GUI thread.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from PIL import Image

from photoorg.scan.imageio import load_upright

CROP_SIZE = 192
#: the crop is a square this many times the face box's larger side (hair, chin)
MARGIN = 1.7


def crops_dir(library_root: Path) -> Path:
    return Path(library_root) / "faces"


def crop_path(library_root: Path, face, size: int = CROP_SIZE) -> Path:
    x, y, w, h = face.box
    return crops_dir(library_root) / f"{face.id // 1000:04d}" / f"{face.id}-{x}-{y}-{w}-{h}-{size}.jpg"


def crop_box(face, image_size: tuple[int, int], ratio: float) -> tuple[int, int, int, int]:
    """The square around the face, in the decoded image's pixels, kept inside it."""
    x, y, w, h = (v * ratio for v in face.box)
    width, height = image_size
    side = min(max(w, h) * MARGIN, width, height)
    cx, cy = x + w / 2, y + h / 2
    left = min(max(0.0, cx - side / 2), width - side)
    top = min(max(0.0, cy - side / 2), height - side)
    return round(left), round(top), round(left + side), round(top + side)


def make_crop(face, size: int = CROP_SIZE) -> Image.Image:
    full_w, full_h = face.photo_size
    _, _, w, h = face.box
    wanted = max(w, h) * MARGIN
    min_side = 0
    if full_w and full_h and wanted > 0:
        # Decode just large enough that the crop has `size` pixels of detail.
        min_side = min(min(full_w, full_h), math.ceil(min(full_w, full_h) * size / wanted))
    image = load_upright(face.path, min_side)
    ratio = image.width / full_w if full_w else 1.0
    crop = image.crop(crop_box(face, image.size, ratio))
    return crop.resize((size, size), Image.Resampling.LANCZOS)


def face_crop(library_root: Path, face, size: int = CROP_SIZE) -> Path:
    """The cached crop of a face, made now if needed."""
    path = crop_path(library_root, face, size)
    if path.is_file():
        return path
    crop = make_crop(face, size)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            crop.save(out, "JPEG", quality=88)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return path
