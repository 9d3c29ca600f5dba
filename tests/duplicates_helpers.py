"""Pictures for the duplicates tests: scenes with real structure (smooth
shapes and texture, as photos have), their variants, and an in-process index
run with the duplicates stage alone (no model needed)."""

from __future__ import annotations

import io
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from photoorg.duplicates.stage import DuplicatesStage
from photoorg.roots import add_root
from tests.helpers import exif_bytes


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A picture of its own per seed: a gradient sky, shapes, fine texture."""
    rng = np.random.default_rng(seed)
    w, h = size
    y = np.linspace(0, 1, h)[:, None, None]
    base = (rng.uniform(40, 200, 3) * (1 - y) + rng.uniform(40, 200, 3) * y) * np.ones((1, w, 1))
    image = Image.fromarray(base.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = rng.uniform(-0.1, 0.9) * w, rng.uniform(-0.1, 0.9) * h
        x1, y1 = x0 + rng.uniform(0.1, 0.5) * w, y0 + rng.uniform(0.1, 0.5) * h
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=fill)
    texture = rng.normal(0, 6, (h, w, 1))
    pixels = np.clip(np.asarray(image, dtype=np.float32) + texture, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


def save(image: Image.Image, path: Path, fmt: str = "JPEG", taken: datetime | None = None, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if taken is not None:
        options["exif"] = exif_bytes(taken=taken)
    if fmt == "JPEG":
        options.setdefault("quality", 92)
    image.save(path, fmt, **options)
    return path


def crop(image: Image.Image, keep: float, x: float = 0.5, y: float = 0.5) -> Image.Image:
    w, h = round(image.width * keep), round(image.height * keep)
    left, top = round((image.width - w) * x), round((image.height - h) * y)
    return image.crop((left, top, left + w, top + h))


def heic_available() -> bool:
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        Image.new("RGB", (16, 16)).save(io.BytesIO(), "HEIF")
        return True
    except Exception:
        return False


#: the variant kinds of the issue, each as (file name, format, transform)
VARIANTS = {
    "resized": ("resized.jpg", "JPEG", lambda im: im.resize((im.width // 3, im.height // 3))),
    "q30": ("q30.jpg", "JPEG", None),
    "png": ("as.png", "PNG", None),
    "webp": ("as.webp", "WEBP", None),
    "crop10": ("crop10.jpg", "JPEG", lambda im: crop(im, 0.9, 0, 0)),
    "brighter": ("brighter.jpg", "JPEG", lambda im: ImageEnhance.Brightness(im).enhance(1.3)),
    "colour": ("colour.jpg", "JPEG", lambda im: ImageEnhance.Color(im).enhance(1.5)),
    "rot90": ("rot90.jpg", "JPEG", lambda im: im.transpose(Image.Transpose.ROTATE_90)),
    "rot180": ("rot180.jpg", "JPEG", lambda im: im.transpose(Image.Transpose.ROTATE_180)),
    "rot270": ("rot270.jpg", "JPEG", lambda im: im.transpose(Image.Transpose.ROTATE_270)),
    "mirror": ("mirror.jpg", "JPEG", ImageOps.mirror),
}


def write_variant(image: Image.Image, folder: Path, kind: str) -> Path:
    name, fmt, transform = VARIANTS[kind]
    out = transform(image) if transform else image
    options = {"quality": 30} if kind == "q30" else {}
    return save(out, folder / name, fmt, **options)


def blurred(image: Image.Image, radius: float = 3) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(radius))


def index(library, folder: Path) -> None:
    """Index ``folder`` with the duplicates stage; the grouping runs after it."""
    root = add_root(library.db, folder)[0]
    for _ in library.indexer([DuplicatesStage()]).run([root.id]):
        pass


def photo_id(library, path: Path) -> int:
    from photoorg.photos import find_photo

    return find_photo(library.db, str(path)).id


def forget_send2trash() -> None:
    """Unload send2trash, which reads $XDG_DATA_HOME (where the trash is) once,
    when imported: the next import reads the environment of the moment."""
    for name in [n for n in sys.modules if n == "send2trash" or n.startswith("send2trash.")]:
        del sys.modules[name]
