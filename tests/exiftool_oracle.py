"""ExifTool as the reference reader: what it says a folder's files carry, and
how often photoorg's reader agrees, field by field.

Used by tests/test_metadata_exiftool.py and benchmarks/bench_metadata.py.

The reference date follows photoorg's documented order of sources
(``photoorg/scan/metadata.py``), with every value taken from ExifTool:
EXIF DateTimeOriginal, EXIF CreateDate (DateTimeDigitized), a DateTimeOriginal
from the camera's own blocks (maker notes, CIFF, APP12), XMP
(exif:DateTimeOriginal, photoshop:DateCreated, xmp:CreateDate), IPTC
DateCreated/TimeCreated, then IFD0 ModifyDate. Make and model are IFD0's, else
the camera blocks'. GPS is ExifTool's signed composite position; 0,0 counts as
no position, since cameras write it when they had no fix.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".heic", ".heif", ".hif"}
FIELDS = ("date", "make", "model", "gps")

_TAGS = ["-Make", "-Model", "-DateTimeOriginal", "-CreateDate", "-ModifyDate", "-DateCreated", "-TimeCreated"]
_TAGS += ["-GPSLatitude", "-GPSLongitude"]
_STANDARD_GROUPS = {"IFD0", "IFD1", "ExifIFD", "Composite", "IPTC"}
_DATE = re.compile(r"^(\d{4}):(\d{2}):(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?")


def exiftool_available() -> bool:
    return shutil.which("exiftool") is not None


@dataclass
class Reference:
    date: datetime | None = None
    date_only: bool = False  # ExifTool's value had no time of day
    make: str | None = None
    model: str | None = None
    gps: tuple[float, float] | None = None


def _date(text) -> tuple[datetime | None, bool]:
    match = _DATE.match(str(text or ""))
    if not match:
        return None, False
    year, month, day, hour, minute, second = match.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:  # "0000:00:00 00:00:00" and other blanks
        return None, False
    return value, hour is None


def _camera_groups(record: dict, name: str) -> list:
    """Values of ``name`` from groups that are neither standard EXIF nor XMP:
    the camera's own blocks (Reconyx, PictureInfo, CIFF...)."""
    found = []
    for key, value in record.items():
        group, _, tag = key.partition(":")
        if tag == name and group not in _STANDARD_GROUPS and not group.startswith("XMP"):
            found.append(value)
    return found


def reference(record: dict) -> Reference:
    ref = Reference()
    candidates = [record.get("ExifIFD:DateTimeOriginal"), record.get("ExifIFD:CreateDate")]
    candidates += _camera_groups(record, "DateTimeOriginal")
    candidates += [
        record.get("XMP-exif:DateTimeOriginal"),
        record.get("XMP-photoshop:DateCreated"),
        record.get("XMP-xmp:CreateDate"),
    ]
    if record.get("IPTC:DateCreated"):
        time = str(record.get("IPTC:TimeCreated") or "")
        candidates.append(f"{record['IPTC:DateCreated']} {time}".strip())
    candidates.append(record.get("IFD0:ModifyDate"))
    for candidate in candidates:
        value, date_only = _date(candidate)
        if value is not None:
            ref.date, ref.date_only = value, date_only
            break

    def text(value) -> str | None:
        value = str(value).strip() if value is not None else ""
        return value or None

    ref.make = text(record.get("IFD0:Make")) or next(
        (text(v) for v in _camera_groups(record, "Make") if text(v)), None
    )
    ref.model = text(record.get("IFD0:Model")) or next(
        (text(v) for v in _camera_groups(record, "Model") if text(v)), None
    )
    lat, lon = record.get("Composite:GPSLatitude"), record.get("Composite:GPSLongitude")
    if isinstance(lat, (int, float)) and isinstance(lon, (int, float)) and (lat, lon) != (0, 0):
        ref.gps = (float(lat), float(lon))
    return ref


def exiftool_references(folder: Path) -> dict[Path, Reference]:
    """Every image under ``folder`` -> what ExifTool reads in it."""
    result = subprocess.run(
        ["exiftool", "-j", "-n", "-G1", "-a", "-r", "-charset", "filename=utf8", *_TAGS, str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    records = json.loads(result.stdout or "[]")
    return {
        Path(r["SourceFile"]): reference(r)
        for r in records
        if Path(r["SourceFile"]).suffix.lower() in IMAGE_SUFFIXES
    }


@dataclass
class FieldScore:
    carried: int = 0  # files where ExifTool finds the field
    agreed: int = 0
    disagreements: list[str] = field(default_factory=list)
    invented: list[str] = field(default_factory=list)  # a value where ExifTool finds none

    @property
    def ratio(self) -> float:
        return self.agreed / self.carried if self.carried else 1.0


def _agrees(name: str, ours, ref: Reference) -> bool:
    if name == "date":
        if ours.taken_at is None:
            return False
        if ref.date_only:
            return ours.taken_at.date() == ref.date.date()
        return ours.taken_at == ref.date
    if name == "make":
        return ours.camera_make == ref.make
    if name == "model":
        return ours.camera_model == ref.model
    if ours.gps_lat is None or ours.gps_lon is None:
        return False
    return abs(ours.gps_lat - ref.gps[0]) < 1e-5 and abs(ours.gps_lon - ref.gps[1]) < 1e-5


def _ours(name: str, ours) -> object | None:
    if ours is None:
        return None
    return {
        "date": ours.taken_at,
        "make": ours.camera_make,
        "model": ours.camera_model,
        "gps": ours.gps_lat,
    }[name]


def compare(
    references: dict[Path, Reference], read: Callable[[Path], object | None]
) -> dict[str, FieldScore]:
    """Per field: how many files carry it and how many of those ``read``
    (path -> metadata with photoorg's field names, or None) agrees on."""
    scores = {name: FieldScore() for name in FIELDS}
    for path, ref in sorted(references.items()):
        ours = read(path)
        for name in FIELDS:
            expected = ref.date if name == "date" else getattr(ref, name)
            if expected is None:
                found = _ours(name, ours)
                if found is not None:
                    scores[name].invented.append(f"{path.name}: {found!r}")
                continue
            score = scores[name]
            score.carried += 1
            if ours is not None and _agrees(name, ours, ref):
                score.agreed += 1
            else:
                score.disagreements.append(f"{path.name}: exiftool {expected!r}")
    return scores


def files_agreeing(
    references: dict[Path, Reference], read: Callable[[Path], object | None]
) -> tuple[int, int]:
    """(files on which every field ExifTool finds agrees, files with any field)."""
    agreed = carried = 0
    for path, ref in references.items():
        fields = [n for n in FIELDS if (ref.date if n == "date" else getattr(ref, n)) is not None]
        if not fields:
            continue
        carried += 1
        ours = read(path)
        agreed += ours is not None and all(_agrees(n, ours, ref) for n in fields)
    return agreed, carried


def summary(scores: dict[str, FieldScore]) -> str:
    return ", ".join(f"{n} {s.agreed}/{s.carried} ({s.ratio:.3f})" for n, s in scores.items())
