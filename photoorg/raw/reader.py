"""Reading camera RAW files with rawpy (LibRaw).

The picture: the JPEG (or bitmap) preview the camera embedded, when it is as
large as the stages ask for: decoding it costs milliseconds where demosaicing
the sensor data costs a second or more. Only a file whose preview is missing
or too small is demosaiced (at half size when that is enough).

The metadata: many RAW formats are TIFF files (DNG, CR2, NEF, ARW, PEF), whose
EXIF Pillow reads through the same code as a JPEG's (photoorg/scan/metadata.py);
for the others (CR3, RAF, ORF, RW2) the embedded JPEG preview carries the EXIF.
LibRaw fills in what neither has (the date, the lens). Size and orientation
come from LibRaw alone, because LibRaw is what turns the pixels upright.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

import numpy as np
import rawpy
from PIL import Image

from photoorg.pipeline.work import DECODE_SCALE_KEY
from photoorg.raw.media import RAW_EXTENSIONS, RAW_FORMATS
from photoorg.scan.formats import register_formats
from photoorg.scan.imageio import MAX_PIXELS, ImageReadError
from photoorg.scan.metadata import DATE_FROM_EXIF, PhotoMetadata, read_metadata

# LibRaw's "flip" -> the EXIF orientation it stands for, and the turn (degrees
# counter-clockwise, as PIL's rotate takes it) that makes the sensor's pixels upright.
_FLIP_ORIENTATION = {0: 1, 3: 3, 5: 8, 6: 6}
_FLIP_TURN = {0: 0, 3: 180, 5: 90, 6: 270}

_LIBRAW_ERRORS = (rawpy.LibRawError,)


def format_name(path: str) -> str:
    return os.path.splitext(path)[1][1:].upper()[:16]


@contextmanager
def open_raw(path: str) -> Iterator[rawpy.RawPy]:
    try:
        raw = rawpy.imread(path)
    except rawpy.LibRawFileUnsupportedError as exc:
        raise ImageReadError("not a RAW file LibRaw can read (unsupported or damaged)") from exc
    except _LIBRAW_ERRORS as exc:
        raise ImageReadError(f"unreadable RAW file ({_describe(exc)})") from exc
    try:
        sizes = raw.sizes
        if sizes.width <= 0 or sizes.height <= 0:
            raise ImageReadError("RAW file has no picture size")
        if sizes.width * sizes.height > MAX_PIXELS:
            raise ImageReadError(f"RAW image is too large to decode safely ({sizes.width}x{sizes.height})")
        yield raw
    except _LIBRAW_ERRORS as exc:
        raise ImageReadError(f"corrupt RAW data ({_describe(exc)})") from exc
    finally:
        raw.close()


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _preview(raw: rawpy.RawPy) -> Image.Image | None:
    """The embedded preview as it is stored (not turned), or None."""
    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    except _LIBRAW_ERRORS:
        return None
    try:
        if thumb.format == rawpy.ThumbFormat.JPEG:
            return Image.open(io.BytesIO(thumb.data))  # headers only: decoded at the size needed
        array = np.asarray(thumb.data)
        if array.ndim == 2:
            array = np.stack([array] * 3, axis=-1)
        if array.dtype != np.uint8:
            array = (array / max(1, array.max()) * 255).astype(np.uint8)
        return Image.fromarray(array[..., :3])
    except Exception:  # a damaged preview: the sensor data may still be fine
        return None


def _upright_size(raw: rawpy.RawPy) -> tuple[int, int]:
    sizes = raw.sizes
    width, height = sizes.width, sizes.height
    return (height, width) if sizes.flip in (5, 6) else (width, height)


class RawReader:
    """The media reader for camera RAW files (see photoorg/extensions/media_readers.py)."""

    kind = "raw"
    extensions = RAW_EXTENSIONS
    formats = RAW_FORMATS

    def read_metadata(self, path: str) -> PhotoMetadata:
        with open_raw(path) as raw:
            width, height = _upright_size(raw)
            flip = raw.sizes.flip
            timestamp = raw.other.timestamp if raw.other else None
            lens = raw.lens.model if raw.lens else ""
            exif = _container_exif(path)
            if exif is None or not (exif.camera_make or exif.taken_at):
                preview = _preview(raw)
                from_preview = _image_exif(preview) if preview is not None else None
                exif = _merged(exif, from_preview)
        meta = exif or PhotoMetadata(format=None, width=0, height=0)
        meta = replace(
            meta,
            format=format_name(path),
            width=width,
            height=height,
            orientation=_FLIP_ORIENTATION.get(flip, 1),
        )
        if meta.taken_at is None and _plausible(timestamp):
            meta = replace(meta, taken_at=timestamp.replace(tzinfo=None), date_source=DATE_FROM_EXIF)
        if not meta.lens and lens:
            meta = replace(meta, lens=lens.strip() or None)
        return meta

    def decode(self, path: str, min_side: int) -> Image.Image:
        with open_raw(path) as raw:
            full_short = min(raw.sizes.width, raw.sizes.height)
            turn = _FLIP_TURN.get(raw.sizes.flip, 0)
            preview = _preview(raw)
            if preview is not None and min(preview.size) >= max(1, min_side):
                image = _decoded_preview(preview, min_side)
                if turn:
                    image = image.rotate(turn, expand=True)
            else:
                image = _demosaic(raw, min_side)
        image.info[DECODE_SCALE_KEY] = full_short / max(1, min(image.size))
        return image


def _decoded_preview(preview: Image.Image, min_side: int) -> Image.Image:
    if preview.format == "JPEG" and min_side > 0:
        preview.draft("RGB", (min_side, min_side))  # DCT scaling, as for any JPEG
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        preview.load()
    return preview.convert("RGB")


def _demosaic(raw: rawpy.RawPy, min_side: int) -> Image.Image:
    """The sensor data made into a picture (upright: LibRaw applies the flip).
    Half size (each 2x2 block one pixel, no interpolation) when it is enough."""
    half = min(raw.sizes.width, raw.sizes.height) // 2 >= min_side
    try:
        rgb = raw.postprocess(half_size=half, use_camera_wb=True, output_bps=8)
    except MemoryError as exc:
        raise ImageReadError("not enough memory to decode this RAW file") from exc
    return Image.fromarray(rgb)


def _container_exif(path: str) -> PhotoMetadata | None:
    """The EXIF of a TIFF-based RAW file, read by Pillow as a TIFF's."""
    register_formats()
    try:
        with open(path, "rb") as handle, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(handle) as image:
                return read_metadata(image)
    except Exception:  # not a TIFF Pillow knows (CR3, RAF, ORF, RW2), or odd headers
        return None


def _image_exif(image: Image.Image) -> PhotoMetadata | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read_metadata(image)
    except Exception:
        return None


def _merged(first: PhotoMetadata | None, second: PhotoMetadata | None) -> PhotoMetadata | None:
    """``first`` with its empty fields filled from ``second``."""
    if first is None or second is None:
        return first or second
    filled = {
        name: getattr(second, name)
        for name, value in first.as_dict().items()
        if value is None and getattr(second, name) is not None
    }
    return replace(first, **filled)


def _plausible(value) -> bool:
    return isinstance(value, datetime) and 1971 <= value.year <= 2200
