"""Which files are images, and teaching Pillow the formats it lacks."""

from __future__ import annotations

import threading

from PIL import features

_BASE_EXTENSIONS = {
    ".jpg",
    ".jpeg",
    ".jpe",
    ".jfif",
    ".png",
    ".webp",
    ".tif",
    ".tiff",
    ".bmp",
    ".dib",
    ".gif",
    ".heic",
    ".heif",
    ".hif",
}

_registered = False
_lock = threading.Lock()


def register_formats() -> None:
    """Register pillow-heif's HEIC/HEIF opener once per process."""
    global _registered
    with _lock:
        if _registered:
            return
        from pillow_heif import register_heif_opener  # lazy: loads libheif; only when files are decoded

        # Thumbnails inside HEIC files are not needed: decoding goes through
        # libheif, which applies the container's rotation itself.
        register_heif_opener()
        _registered = True


def image_extensions() -> frozenset[str]:
    extensions = set(_BASE_EXTENSIONS)
    if features.check("avif"):
        extensions.update({".avif"})
    return frozenset(extensions)


IMAGE_EXTENSIONS = image_extensions()


def is_image_name(name: str) -> bool:
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in IMAGE_EXTENSIONS
