"""What a photo says about itself: size, date, camera, lens, GPS, orientation.

Camera EXIF is full of junk (empty dates, NUL padding, zero GPS fixes, wrong
types), so every field is read defensively: a bad field is dropped, never fatal.

Pillow reads the EXIF; exifread fills in what Pillow skips or can't parse
(``exif_fallback``). The capture date comes from the first source that has one:
EXIF DateTimeOriginal, then DateTimeDigitized (CreateDate), then the camera's
own blocks (``camera_notes``), then XMP, then IPTC (``xmp_iptc``), then the
EXIF modification time (IFD0 DateTime: for many old cameras the only date).
``date_source`` says which kind of source it was; with none, the index dates
the photo by its file's modification time and records the source as "file".
Width, height and orientation come from Pillow alone, because Pillow is what
rotates the pixels on decoding and the two must agree.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from dataclasses import asdict, dataclass
from datetime import datetime

from PIL import Image

from photoorg.scan.camera_notes import read_camera_note
from photoorg.scan.exif_fallback import read_exif_dirs
from photoorg.scan.xmp_iptc import iptc_date, xmp_date

# The version of what this module reads. Bump it when the reader learns to find
# more: a rescan then re-reads the header of every photo read by an older
# version (photoorg/pipeline/metadata_refresh.py) without analysing it again.
# 1: Pillow EXIF and XMP. 2: exifread fallback, camera blocks, IPTC, NUL-cut text.
METADATA_VERSION = 2

# Photo.date_source values: where the photo's date came from.
DATE_FROM_EXIF = "exif"  # EXIF, or the camera's own blocks (maker notes, CIFF)
DATE_FROM_XMP = "xmp"
DATE_FROM_IPTC = "iptc"
DATE_FROM_FILE = "file"  # no date inside the file: its modification time, an estimate

_IFD_EXIF = 0x8769
_IFD_GPS = 0x8825

_TAG_MAKE = 0x010F
_TAG_MODEL = 0x0110
_TAG_ORIENTATION = 0x0112
_TAG_DATETIME = 0x0132
_TAG_DATETIME_ORIGINAL = 0x9003
_TAG_DATETIME_DIGITIZED = 0x9004
_TAG_OFFSET_TIME = 0x9010
_TAG_OFFSET_TIME_ORIGINAL = 0x9011
_TAG_OFFSET_TIME_DIGITIZED = 0x9012
_TAG_MAKER_NOTE = 0x927C
_TAG_LENS_MAKE = 0xA433
_TAG_LENS_MODEL = 0xA434

# Orientations 5..8 swap width and height when displayed.
_SWAPS_AXES = {5, 6, 7, 8}


@dataclass
class PhotoMetadata:
    format: str | None
    width: int
    height: int
    orientation: int | None = None
    taken_at: datetime | None = None
    tz_offset_min: int | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    lens: str | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    gps_alt: float | None = None
    # DATE_FROM_EXIF/XMP/IPTC, or None when the file holds no date (the index
    # then records DATE_FROM_FILE).
    date_source: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _text(value) -> str | None:
    """A tag's text up to its first NUL, trimmed: cameras pad fixed-size fields
    with NULs and sometimes leave old bytes after the terminator ("ION230\\0F")."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.split(b"\x00", 1)[0].decode("utf-8", "replace")
    text = str(value).split("\x00", 1)[0].strip()
    return text or None


_EXIF_DATE = re.compile(r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")


def parse_exif_datetime(value) -> datetime | None:
    """'2008:05:30 15:56:01' -> datetime; None for blanks, zeros and nonsense."""
    text = _text(value)
    if not text:
        return None
    match = _EXIF_DATE.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups())
    if not 1826 <= year <= 2200:  # the first photograph; anything else is a blank
        return None
    try:
        return datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return None


_OFFSET = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")


def parse_offset_minutes(value) -> int | None:
    """'+02:00' -> 120."""
    text = _text(value)
    if not text:
        return None
    match = _OFFSET.match(text)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    total = int(hours) * 60 + int(minutes)
    if total > 14 * 60:
        return None
    return -total if sign == "-" else total


def _rational(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _first(value):
    """One value of a tag that a reader may return as a 1-tuple."""
    if isinstance(value, (tuple, list)):
        return value[0] if len(value) == 1 else None
    return value


def _dms_to_degrees(dms, ref) -> float | None:
    if not isinstance(dms, (tuple, list)):
        dms = (dms,)
    parts = [_rational(v) for v in dms]
    if not 1 <= len(parts) <= 3 or any(p is None for p in parts):
        return None
    parts += [0.0] * (3 - len(parts))
    degrees = parts[0] + parts[1] / 60.0 + parts[2] / 3600.0
    if _text(ref) in ("S", "W"):
        degrees = -degrees
    return degrees


def _gps(gps_ifd: dict) -> tuple[float | None, float | None, float | None]:
    if not gps_ifd:
        return None, None, None
    lat = _dms_to_degrees(gps_ifd.get(2, ()), gps_ifd.get(1))
    lon = _dms_to_degrees(gps_ifd.get(4, ()), gps_ifd.get(3))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None, None
    if lat == 0 and lon == 0:  # cameras write 0,0 when they had no fix
        return None, None, None
    alt = _rational(_first(gps_ifd.get(6)))
    if alt is not None and _first(gps_ifd.get(5)) in (1, b"\x01"):  # below sea level
        alt = -alt
    return round(lat, 7), round(lon, 7), alt


def _pillow_dirs(image: Image.Image) -> tuple[dict, dict, dict, bool]:
    """(IFD0, EXIF IFD, GPS IFD, whether Pillow choked on any of them)."""
    failed = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Corrupt EXIF data": handled below
            exif = image.getexif()
    except Exception:  # malformed EXIF blocks raise all sorts of errors
        return {}, {}, {}, True
    dirs = []
    for pointer in (_IFD_EXIF, _IFD_GPS):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                dirs.append(dict(exif.get_ifd(pointer)))
        except Exception:
            dirs.append({})
            failed = True
    return dict(exif), dirs[0], dirs[1], failed


def _has_exif_block(image: Image.Image) -> bool:
    """Whether the file holds an EXIF block at all, parsed or not."""
    if image.info.get("exif"):
        return True
    segments = getattr(image, "applist", None) or ()
    return any(marker == "APP1" and segment[:4] == b"Exif" for marker, segment in segments)


def _fallback_dirs(image: Image.Image) -> tuple[dict, dict, dict]:
    """exifread's reading of the file behind ``image``, which is still open
    (headers only); its read position is put back for the decoder."""
    handle = getattr(image, "fp", None)
    if handle is None or not hasattr(handle, "seek"):
        return {}, {}, {}
    try:
        position = handle.tell()
    except (OSError, ValueError):
        return {}, {}, {}
    try:
        return read_exif_dirs(handle)
    finally:
        try:
            handle.seek(position)
        except (OSError, ValueError):
            pass


def _exif_dirs(image: Image.Image) -> tuple[dict, dict, dict, object]:
    """(IFD0, EXIF IFD, GPS IFD) from Pillow, completed by exifread where Pillow
    failed; and the orientation as Pillow alone sees it."""
    ifd0, exif_ifd, gps_ifd, failed = _pillow_dirs(image)
    pillow_orientation = ifd0.get(_TAG_ORIENTATION)
    if failed or (not ifd0 and _has_exif_block(image)):
        extra_ifd0, extra_exif, extra_gps = _fallback_dirs(image)
        for ours, theirs in ((ifd0, extra_ifd0), (exif_ifd, extra_exif), (gps_ifd, extra_gps)):
            for key, value in theirs.items():
                ours.setdefault(key, value)
    return ifd0, exif_ifd, gps_ifd, pillow_orientation


def _capture_date(
    image: Image.Image, ifd0: dict, exif_ifd: dict, camera_date: datetime | None
) -> tuple[datetime | None, int | None, str | None]:
    """(date, UTC offset in minutes, DATE_FROM_*) from the first source that has one."""
    for date_tag, offset_tag in (
        (_TAG_DATETIME_ORIGINAL, _TAG_OFFSET_TIME_ORIGINAL),
        (_TAG_DATETIME_DIGITIZED, _TAG_OFFSET_TIME_DIGITIZED),
    ):
        taken = parse_exif_datetime(exif_ifd.get(date_tag))
        if taken:
            return taken, parse_offset_minutes(exif_ifd.get(offset_tag)), DATE_FROM_EXIF
    if camera_date:
        return camera_date, None, DATE_FROM_EXIF
    taken, offset = xmp_date(image)
    if taken:
        return taken, offset, DATE_FROM_XMP
    taken, offset = iptc_date(image)
    if taken:
        return taken, offset, DATE_FROM_IPTC
    # IFD0 DateTime is the last edit time in most cameras' files, but for
    # many it is the only date there is.
    taken = parse_exif_datetime(ifd0.get(_TAG_DATETIME))
    if taken:
        return taken, parse_offset_minutes(exif_ifd.get(_TAG_OFFSET_TIME)), DATE_FROM_EXIF
    return None, None, None


def read_metadata(image: Image.Image) -> PhotoMetadata:
    """Read metadata from an opened (not necessarily loaded) image. Never
    raises for a damaged file: what can't be read is left empty."""
    width, height = image.size
    # Only Pillow's reading of the orientation counts: Pillow rotates the pixels
    # (exif_transpose), and a value it can't see would make the stored size
    # disagree with the thumbnails.
    ifd0, exif_ifd, gps_ifd, orientation = _exif_dirs(image)
    if image.format == "HEIF":
        # libheif applies the container's rotation while decoding and pillow-heif
        # resets the EXIF tag, so the pixel size is already the displayed size.
        orientation = image.info.get("original_orientation") or orientation
        display_swapped = False
    else:
        display_swapped = orientation in _SWAPS_AXES
    if not isinstance(orientation, int) or not 1 <= orientation <= 8:
        orientation = None
    if display_swapped:
        width, height = height, width

    make, model = _text(ifd0.get(_TAG_MAKE)), _text(ifd0.get(_TAG_MODEL))
    note = read_camera_note(image, exif_ifd.get(_TAG_MAKER_NOTE), make)
    if note and not (make or model):
        make, model = note.make, note.model
    taken_at, offset, date_source = _capture_date(image, ifd0, exif_ifd, note.taken_at if note else None)

    lens = _text(exif_ifd.get(_TAG_LENS_MODEL))
    lens_make = _text(exif_ifd.get(_TAG_LENS_MAKE))
    if lens and lens_make and not lens.lower().startswith(lens_make.lower()):
        lens = f"{lens_make} {lens}"
    lat, lon, alt = _gps(gps_ifd)

    return PhotoMetadata(
        format=image.format,
        width=width,
        height=height,
        orientation=orientation,
        taken_at=taken_at,
        tz_offset_min=offset,
        camera_make=make,
        camera_model=model,
        lens=lens,
        gps_lat=lat,
        gps_lon=lon,
        gps_alt=alt,
        date_source=date_source,
    )


def read_metadata_file(path: str | os.PathLike) -> PhotoMetadata | None:
    """Read a file's metadata from its headers alone, without reading or
    decoding the pixels; None when the file can't be opened as an image. A
    file a media reader claims (a video, a RAW file) is read by the reader."""
    from photoorg.scan.formats import reader_for, register_formats
    from photoorg.scan.imageio import ImageReadError

    media_reader = reader_for(os.fspath(path))
    if media_reader is not None:
        try:
            return media_reader.read_metadata(os.fspath(path))
        except (ImageReadError, OSError):
            return None

    register_formats()
    try:
        with open(path, "rb") as handle, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(handle) as image:
                return read_metadata(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    except Exception:  # Pillow plugins raise a zoo of types on bad headers
        return None


def camera_label(make: str | None, model: str | None) -> str | None:
    """'Canon' + 'Canon EOS 40D' -> 'Canon EOS 40D'; 'NIKON CORPORATION' + 'NIKON D70' -> 'NIKON D70'."""
    if not model:
        return make
    if not make:
        return model
    first = make.split()[0].lower()
    if model.lower().startswith(first):
        return model
    return f"{make} {model}"
