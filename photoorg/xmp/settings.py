"""Whether, and where, photoorg writes the user's decisions back as XMP."""

from __future__ import annotations

from photoorg.errors import InvalidInput
from photoorg.store.db import Database

WRITE_BACK_SETTING = "xmp.write_back"
OFF = "off"
SIDECAR = "sidecar"  # IMG_0001.CR2.xmp beside the file; the file itself is never touched
EMBEDDED = "embedded"  # inside JPEG, TIFF and DNG files; a sidecar for every other format
MODES = (OFF, SIDECAR, EMBEDDED)
MODE_LABELS = {OFF: "Off", SIDECAR: "Sidecar files (.xmp)", EMBEDDED: "Inside the files (JPEG, TIFF, DNG)"}


def write_back_mode(db: Database) -> str:
    """The stored choice; off unless the user turned it on."""
    value = db.get_setting(WRITE_BACK_SETTING, OFF)
    return value if value in MODES else OFF


def set_write_back_mode(db: Database, mode: str) -> str:
    if mode not in MODES:
        raise InvalidInput(f"XMP write-back is one of {', '.join(MODES)}, not {mode!r}.")
    db.set_setting(WRITE_BACK_SETTING, mode)
    return mode
