"""Opening image files safely and decoding them at the size the work needs.

Decoding costs more than inference on a CPU, so JPEGs are decoded at reduced
size with ``Image.draft`` (libjpeg's DCT scaling: a 12 MP photo comes out at
1/8 of its size for little more than the cost of parsing it).
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from photoorg.scan.formats import reader_for, register_formats

# Anything larger is refused before its pixels are decoded: a file that claims
# to be 100,000 x 100,000 would otherwise take tens of GB of memory.
MAX_PIXELS = 200_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageReadError(Exception):
    """A file that can't be read as an image; the message says why, in words."""


def open_image(data: bytes) -> Image.Image:
    """Open image bytes lazily (headers only) and check their pixel count."""
    register_formats()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise ImageReadError("not an image, or an unsupported format") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageReadError(f"image is too large to decode safely ({exc})") from exc
    except Exception as exc:  # Pillow plugins raise a zoo of types on bad headers
        raise ImageReadError(f"unreadable image header ({_describe(exc)})") from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ImageReadError(f"image has no pixels ({width}x{height})")
    if width * height > MAX_PIXELS:
        raise ImageReadError(
            f"image is too large to decode safely ({width}x{height}, "
            f"{width * height / 1e6:.0f} MP; the limit is {MAX_PIXELS / 1e6:.0f} MP)"
        )
    return image


def decode(image: Image.Image, min_side: int) -> Image.Image:
    """Decode an opened image to RGB, upright, with its shorter side at least
    ``min_side`` pixels where the source allows, and as little more as the
    decoder makes cheap."""
    try:
        if image.format == "JPEG" and min_side > 0:
            image.draft("RGB", (min_side, min_side))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # EXIF quirks warn; they are not fatal
            image.load()
            if image.format != "HEIF":  # libheif already applied the rotation
                image = ImageOps.exif_transpose(image)
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)
        if image.mode != "RGB":
            image = _to_rgb(image)
        return image
    except ImageReadError:
        raise
    except OSError as exc:
        raise ImageReadError(f"corrupt or truncated image data ({_describe(exc)})") from exc
    except (ValueError, SyntaxError, IndexError, TypeError, KeyError, EOFError, ZeroDivisionError) as exc:
        raise ImageReadError(f"corrupt image data ({_describe(exc)})") from exc
    except MemoryError as exc:
        raise ImageReadError("not enough memory to decode this image") from exc


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale (scans, TIFFs): scale to 8 bits rather than clip.
        return image.point(lambda v: v / 256).convert("L").convert("RGB")
    return image.convert("RGB")


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def load_upright(path: str, min_side: int = 0) -> Image.Image:
    """Open and decode a file in one call (viewer, on-demand thumbnails). A file
    a media reader claims (a video, a RAW file) gives the reader's picture."""
    reader = reader_for(path)
    if reader is not None:
        return reader.decode(path, min_side)
    with open(path, "rb") as handle:
        data = handle.read()
    return decode(open_image(data), min_side)
