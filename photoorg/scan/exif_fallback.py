"""A second EXIF reader for the blocks Pillow skips or can't parse.

Pillow reads the EXIF of almost every file, but it gives up on some that other
readers accept: an APP1 block whose header is not exactly ``Exif\\0\\0``, an IFD
that raises while being parsed. exifread (BSD-3, pure Python, offline) is more
lenient; its tags are turned into the same ``{tag id: value}`` dictionaries
Pillow returns, so one set of field readers serves both.
"""

from __future__ import annotations

import logging
import warnings
from typing import BinaryIO

# exifread logs every oddity of a bad file at warning level; a damaged file is
# normal input here and is reported, if at all, by the index.
logging.getLogger("exifread").setLevel(logging.CRITICAL)

_IFD_NAMES = {"Image": "ifd0", "EXIF": "exif", "GPS": "gps"}


def _plain(tag) -> object:
    """An exifread IfdTag's value in Pillow's shape: text as str, one number
    as itself, several numbers as a tuple."""
    values = tag.values
    if isinstance(values, (str, bytes)):
        return values
    values = list(values)
    if len(values) == 1:
        return values[0]
    return tuple(values)


def read_exif_dirs(handle: BinaryIO) -> tuple[dict, dict, dict]:
    """(IFD0, EXIF IFD, GPS IFD) as ``{tag id: value}``; empty when exifread
    finds nothing or fails. Never raises for bad input."""
    dirs: dict[str, dict] = {"ifd0": {}, "exif": {}, "gps": {}}
    try:
        import exifread

        handle.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tags = exifread.process_file(handle, details=False, extract_thumbnail=False)
    except Exception:  # exifread raises many types on damaged input
        return {}, {}, {}
    for key, tag in tags.items():
        ifd_name, _, _ = key.partition(" ")
        target = _IFD_NAMES.get(ifd_name)
        number = getattr(tag, "tag", None)
        if target is None or not isinstance(number, int):
            continue
        try:
            dirs[target][number] = _plain(tag)
        except Exception:
            continue
    return dirs["ifd0"], dirs["exif"], dirs["gps"]
