"""What a photo says about itself: size, date, camera, lens, GPS, orientation.

Camera EXIF is full of junk (empty dates, NUL padding, zero GPS fixes, wrong
types), so every field is read defensively: a bad field is dropped, never fatal.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from datetime import datetime

from PIL import Image

_IFD_EXIF = 0x8769
_IFD_GPS = 0x8825

_TAG_MAKE = 0x010F
_TAG_MODEL = 0x0110
_TAG_ORIENTATION = 0x0112
_TAG_DATETIME = 0x0132
_TAG_DATETIME_ORIGINAL = 0x9003
_TAG_DATETIME_DIGITIZED = 0x9004
_TAG_OFFSET_TIME_ORIGINAL = 0x9011
_TAG_OFFSET_TIME = 0x9010
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

    def as_dict(self) -> dict:
        return asdict(self)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).replace("\x00", "").strip()
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
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _dms_to_degrees(dms, ref) -> float | None:
    try:
        parts = [_rational(v) for v in dms]
    except TypeError:
        return None
    if len(parts) != 3 or any(p is None for p in parts):
        return None
    degrees = parts[0] + parts[1] / 60.0 + parts[2] / 3600.0
    if _text(ref) in ("S", "W"):
        degrees = -degrees
    return degrees


def _gps(gps_ifd) -> tuple[float | None, float | None, float | None]:
    if not gps_ifd:
        return None, None, None
    lat = _dms_to_degrees(gps_ifd.get(2, ()), gps_ifd.get(1))
    lon = _dms_to_degrees(gps_ifd.get(4, ()), gps_ifd.get(3))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None, None
    if lat == 0 and lon == 0:  # cameras write 0,0 when they had no fix
        return None, None, None
    alt = _rational(gps_ifd.get(6))
    if alt is not None and gps_ifd.get(5) in (1, b"\x01"):
        alt = -alt
    return round(lat, 7), round(lon, 7), alt


_XMP_DATE = re.compile(
    rb"(?:exif:DateTimeOriginal|xmp:CreateDate|photoshop:DateCreated)\s*(?:=\s*\"|>)\s*([0-9T:\-+ .Z]+)"
)


def _xmp_date(image: Image.Image) -> tuple[datetime | None, int | None]:
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if not xmp:
        return None, None
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8", "replace")
    match = _XMP_DATE.search(xmp)
    if not match:
        return None, None
    text = match.group(1).decode("ascii", "replace").strip()
    taken = parse_exif_datetime(text.replace("-", ":", 2))
    offset = None
    tail = re.search(r"([+-]\d{2}:?\d{2})$", text)
    if tail:
        offset = parse_offset_minutes(tail.group(1))
    elif text.endswith("Z"):
        offset = 0
    return taken, offset


def read_metadata(image: Image.Image) -> PhotoMetadata:
    """Read metadata from an opened (not necessarily loaded) image."""
    width, height = image.size
    try:
        exif = image.getexif()
    except Exception:  # malformed EXIF blocks raise all sorts of errors
        exif = Image.Exif()

    orientation = exif.get(_TAG_ORIENTATION)
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

    try:
        exif_ifd = exif.get_ifd(_IFD_EXIF)
    except Exception:
        exif_ifd = {}
    try:
        gps_ifd = exif.get_ifd(_IFD_GPS)
    except Exception:
        gps_ifd = {}

    taken_at = parse_exif_datetime(exif_ifd.get(_TAG_DATETIME_ORIGINAL)) or parse_exif_datetime(
        exif_ifd.get(_TAG_DATETIME_DIGITIZED)
    )
    offset = parse_offset_minutes(exif_ifd.get(_TAG_OFFSET_TIME_ORIGINAL)) if taken_at else None
    if taken_at is None:
        taken_at, offset = _xmp_date(image)
    if taken_at is None:
        # IFD0 DateTime is the last edit time in most cameras' files, but for
        # many it is the only date there is.
        taken_at = parse_exif_datetime(exif.get(_TAG_DATETIME))
        offset = parse_offset_minutes(exif_ifd.get(_TAG_OFFSET_TIME)) if taken_at else None

    make, model = _text(exif.get(_TAG_MAKE)), _text(exif.get(_TAG_MODEL))
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
    )


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
