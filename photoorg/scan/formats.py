"""Which files are images (or other media a capability reads), and teaching
Pillow the formats it lacks."""

from __future__ import annotations

import os
import threading

from PIL import features

from photoorg.extensions.media_readers import MediaReader, media_readers

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


def indexable_extensions() -> frozenset[str]:
    """Pillow's image extensions and those the capabilities' media readers
    claim (videos, RAW files: see photoorg/extensions/media_readers.py)."""
    return IMAGE_EXTENSIONS | media_extensions()


def has_extension(name: str, extensions: frozenset[str]) -> bool:
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in extensions


def media_extensions() -> frozenset[str]:
    """The extensions the capabilities' media readers claim."""
    return frozenset(ext for reader in media_readers() for ext in reader.extensions)


def reader_for(path: str) -> MediaReader | None:
    """The media reader that claims this file's extension; None for Pillow's images."""
    extension = os.path.splitext(path)[1].lower()
    if not extension:
        return None
    for reader in media_readers():
        if extension in reader.extensions:
            return reader
    return None


def media_formats() -> frozenset[str]:
    """The ``format`` values of the files media readers read ("MP4", "CR2")."""
    return frozenset(fmt for reader in media_readers() for fmt in reader.formats)
