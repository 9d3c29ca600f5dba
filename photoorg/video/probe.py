"""What a video file says about itself: duration, size, date, place, camera.

FFmpeg (through PyAV) reads the container's tags: QuickTime/MP4 ``creation_time``
(UTC by the format's definition), Apple's ``com.apple.quicktime.creationdate``
(local time with its offset), ``©xyz`` and Apple's ISO 6709 location, which
FFmpeg reports as ``location`` (Android phones write the same ``©xyz`` atom),
and Matroska's ``DATE_RECORDED``. The capture date comes from the first that
has one: Apple's local date, then the container's creation time, then the
video stream's, then a recording date tag; with none the index dates the video
by its file's modification time, as for photos.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from photoorg.scan.metadata import DATE_FROM_EXIF, PhotoMetadata

# An MP4 "creation_time" of zero is the format's epoch (1904) or Unix's: blanks.
_BLANK_YEARS = (1904, 1970)
_ISO_DATE = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)
# ISO 6709, as QuickTime writes it: "+48.8584+002.2945+035.000/" (altitude optional)
_ISO6709 = re.compile(r"^\s*([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?\s*/?\s*$")

#: container format names as FFmpeg gives them -> the short name the index shows
_FORMAT_NAMES = {".mp4": "MP4", ".m4v": "M4V", ".mov": "MOV", ".mkv": "MKV", ".webm": "WEBM"}
_FORMAT_NAMES.update({".avi": "AVI", ".3gp": "3GP", ".3g2": "3G2", ".mts": "MTS", ".m2ts": "M2TS"})
#: the photos' ``format`` of videos: the stages for videos apply to these
VIDEO_FORMATS = frozenset(_FORMAT_NAMES.values()) | {"VIDEO"}
#: the file extensions the video reader claims
VIDEO_EXTENSIONS = frozenset(_FORMAT_NAMES)


@dataclass(frozen=True)
class VideoFacts:
    """What the index keeps about a video beside the photo columns."""

    duration_s: float
    codec: str | None
    fps: float | None
    rotation: int  # degrees counter-clockwise to turn the decoded frames upright


def parse_video_date(value: str | None) -> tuple[datetime | None, int | None, bool]:
    """A tag's date -> (naive date, UTC offset in minutes or None, whether
    the text named its zone). None for blanks and nonsense."""
    if not value:
        return None, None, False
    match = _ISO_DATE.match(str(value))
    if not match:
        return None, None, False
    year, month, day, hour, minute, second, zone = match.groups()
    if int(year) in _BLANK_YEARS or not 1826 <= int(year) <= 2200:
        return None, None, False
    try:
        when = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None, None, False
    if zone is None:
        return when, None, False
    if zone == "Z":
        return when, 0, True
    digits = zone.replace(":", "")
    offset = int(digits[1:3]) * 60 + int(digits[3:5])
    return when, -offset if digits[0] == "-" else offset, True


def local_time(when_utc: datetime) -> tuple[datetime, int]:
    """A UTC time as this machine's local wall time, and that offset: photos
    are dated in local time (EXIF has no zone), so videos are too."""
    local = when_utc.replace(tzinfo=UTC).astimezone()
    offset = local.utcoffset() or timedelta(0)
    return local.replace(tzinfo=None), int(offset.total_seconds() // 60)


def capture_date(container_tags: dict, stream_tags: dict) -> tuple[datetime | None, int | None]:
    """(local date, UTC offset in minutes) from the first tag that has one."""
    for key in ("com.apple.quicktime.creationdate",):
        when, offset, zoned = parse_video_date(_tag(container_tags, key))
        if when:
            return when, offset if zoned else None
    for tags in (container_tags, stream_tags):
        when, offset, zoned = parse_video_date(_tag(tags, "creation_time"))
        if when:
            # MP4 times are UTC; a zone in the text says so or says otherwise.
            utc = when - timedelta(minutes=offset or 0)
            return local_time(utc)
    for key in ("date_recorded", "date", "creation_date"):
        when, offset, _ = parse_video_date(_tag(container_tags, key))
        if when:
            return when, offset
    return None, None


def parse_location(value: str | None) -> tuple[float | None, float | None, float | None]:
    """ISO 6709 text -> (lat, lon, alt); Nones when absent, malformed or 0,0."""
    if not value:
        return None, None, None
    match = _ISO6709.match(str(value))
    if not match:
        return None, None, None
    lat, lon = float(match.group(1)), float(match.group(2))
    alt = float(match.group(3)) if match.group(3) else None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None, None
    return round(lat, 7), round(lon, 7), alt


def location_of(container_tags: dict) -> tuple[float | None, float | None, float | None]:
    for key in ("com.apple.quicktime.location.iso6709", "location", "location-eng"):
        place = parse_location(_tag(container_tags, key))
        if place[0] is not None:
            return place
    return None, None, None


def _tag(tags: dict, key: str) -> str | None:
    """A tag by name, whatever its case (FFmpeg keeps the file's)."""
    for name, value in tags.items():
        if name.lower() == key:
            text = str(value).strip()
            return text or None
    return None


def format_name(path: str) -> str:
    dot = path.rfind(".")
    extension = path[dot:].lower() if dot >= 0 else ""
    return _FORMAT_NAMES.get(extension, "VIDEO")


def video_metadata(
    path: str, width: int, height: int, container_tags: dict, stream_tags: dict
) -> PhotoMetadata:
    """The photo columns of a video. ``width``/``height`` are as displayed."""
    taken_at, offset = capture_date(container_tags, stream_tags)
    lat, lon, alt = location_of(container_tags)
    make = _tag(container_tags, "com.apple.quicktime.make") or _tag(container_tags, "make")
    model = _tag(container_tags, "com.apple.quicktime.model") or _tag(container_tags, "model")
    return PhotoMetadata(
        format=format_name(path),
        width=width,
        height=height,
        taken_at=taken_at,
        tz_offset_min=offset,
        camera_make=make,
        camera_model=model,
        gps_lat=lat,
        gps_lon=lon,
        gps_alt=alt,
        # The container's own tags play the part EXIF plays in a photo.
        date_source=DATE_FROM_EXIF if taken_at else None,
    )
