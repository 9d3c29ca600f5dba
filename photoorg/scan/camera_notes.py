"""Capture dates and camera names that some cameras write outside standard EXIF.

Early digital cameras and some trail cameras record when a photo was taken only
in their own blocks, which general-purpose readers (Pillow, exifread) skip:

- Canon's CIFF heap in an APP0 segment (PowerShot cameras of the late 1990s):
  make, model and a Unix timestamp.
- Olympus's "[picture info]" text in an APP12 segment: a Unix timestamp.
- Reconyx trail cameras' maker notes: the date as six little-endian numbers.

The layouts follow ExifTool's CanonRaw, APP12 and Reconyx modules. Timestamps
are converted the way ExifTool converts them (as UTC clock time), since these
cameras had no notion of a time zone. Every reader is bounds-checked and returns
nothing rather than raise on a damaged block.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta

from PIL import Image

_EPOCH = datetime(1970, 1, 1)

# CIFF record tags (ExifTool CanonRaw.pm): the record type bits, and the two
# records wanted here.
_CIFF_SUBHEAPS = {0x2800, 0x3000}
_CIFF_MAKE_MODEL = 0x080A
_CIFF_TIMESTAMP = 0x180E
_CIFF_MAX_DEPTH = 4


@dataclass
class CameraNote:
    taken_at: datetime | None = None
    make: str | None = None
    model: str | None = None


def _unix_time(seconds: int) -> datetime | None:
    # 1990 .. 2100: anything else is an unset clock, not a date.
    if not 631152000 <= seconds <= 4102444800:
        return None
    return _EPOCH + timedelta(seconds=seconds)


def _clean(raw: bytes) -> str | None:
    text = raw.split(b"\x00", 1)[0].decode("latin-1").strip()
    return text or None


# -- Canon CIFF ----------------------------------------------------------------


def _ciff_records(data: bytes, start: int, end: int, order: str, depth: int, note: CameraNote) -> None:
    if depth > _CIFF_MAX_DEPTH or end - start < 6 or end > len(data):
        return
    (table,) = struct.unpack_from(order + "I", data, end - 4)
    table += start
    if not start <= table <= end - 6:
        return
    (count,) = struct.unpack_from(order + "H", data, table)
    for index in range(count):
        record = table + 2 + index * 10
        if record + 10 > end:
            return
        tag, size, offset = struct.unpack_from(order + "HII", data, record)
        if tag & 0xC000 == 0x4000:  # the value lives in the record itself
            value_start, value_end = record + 2, record + 10
        elif tag & 0xC000 == 0:
            value_start, value_end = start + offset, start + offset + size
            if value_end > end or value_start < start:
                continue
        else:
            continue
        if tag & 0x3800 in _CIFF_SUBHEAPS:
            _ciff_records(data, value_start, value_end, order, depth + 1, note)
        elif tag & 0x3FFF == _CIFF_MAKE_MODEL and note.make is None:
            parts = data[value_start:value_end].split(b"\x00")
            if len(parts) >= 2:
                note.make, note.model = _clean(parts[0]), _clean(parts[1])
        elif tag & 0x3FFF == _CIFF_TIMESTAMP and note.taken_at is None and value_end - value_start >= 4:
            (seconds,) = struct.unpack_from(order + "I", data, value_start)
            note.taken_at = _unix_time(seconds)


def read_ciff(segment: bytes) -> CameraNote | None:
    """A Canon CIFF heap ("II" + header length + "HEAP"), as found in APP0."""
    if len(segment) < 14 or segment[:2] not in (b"II", b"MM") or segment[6:10] != b"HEAP":
        return None
    order = "<" if segment[:2] == b"II" else ">"
    (header,) = struct.unpack_from(order + "I", segment, 2)
    if not 14 <= header < len(segment):
        return None
    note = CameraNote()
    try:
        _ciff_records(segment, header, len(segment), order, 0, note)
    except struct.error:
        return None
    return note if (note.taken_at or note.make or note.model) else None


# -- Olympus APP12 "[picture info]" ----------------------------------------------

_PICTURE_INFO_TIME = re.compile(rb"\bTimeDate=(\d{1,10})\b")


def read_picture_info(segment: bytes) -> CameraNote | None:
    if b"[picture info]" not in segment:
        return None
    match = _PICTURE_INFO_TIME.search(segment)
    taken = _unix_time(int(match.group(1))) if match else None
    return CameraNote(taken_at=taken) if taken else None


# -- Reconyx maker notes ---------------------------------------------------------


def _date_from(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime | None:
    if not 1990 <= year <= 2100:
        return None
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def read_reconyx(note: bytes, make: str | None = None) -> CameraNote | None:
    """The three Reconyx maker-note layouts ExifTool knows (HyperFire,
    UltraFire, HyperFire 2)."""
    hyperfire = note[:2] == b"\x01\xf1" and (note[2:4] in (b"\x02\x00", b"\x03\x00") or make == "RECONYX")
    try:
        if hyperfire:  # int16u words, the date at word 0x0b
            words = list(struct.unpack_from("<6H", note, 0x0B * 2))
            if words[0] & 0xFF00 and not words[0] & 0xFF:  # seen written big-endian
                words = [((w >> 8) | ((w & 0xFF) << 8)) for w in words]
            second, minute, hour, month, day, year = words
        elif note.startswith(b"RECONYXUF\x00"):  # UltraFire: bytes at 0x3b
            second, minute, hour, day, month, year_low, year_high = struct.unpack_from("<7B", note, 0x3B)
            year = year_low + year_high * 256
        elif note.startswith(b"RECONYXH2\x00"):  # HyperFire 2: int16u at byte 0x3e
            second, minute, hour, day, month, year = struct.unpack_from("<6H", note, 0x3E)
        else:
            return None
    except struct.error:
        return None
    taken = _date_from(year, month, day, hour, minute, second)
    return CameraNote(taken_at=taken) if taken else None


def _as_bytes(value) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (tuple, list)):
        try:
            return bytes(value)
        except (TypeError, ValueError):
            return None
    return None


def read_camera_note(image: Image.Image, maker_note, make: str | None = None) -> CameraNote | None:
    """Whatever the camera's own blocks say, or None."""
    note_bytes = _as_bytes(maker_note)
    if note_bytes:
        found = read_reconyx(note_bytes, make)
        if found:
            return found
    for marker, segment in getattr(image, "applist", None) or ():
        if marker == "APP0":
            found = read_ciff(segment)
        elif marker == "APP12":
            found = read_picture_info(segment)
        else:
            continue
        if found:
            return found
    return None
