"""How a photo was exposed: aperture, shutter speed, ISO and focal length,
read from EXIF when the details are asked for (one file, a few milliseconds),
so the index needs no columns for them."""

from __future__ import annotations

import os
from fractions import Fraction

from PIL import Image, UnidentifiedImageError

EXIF_IFD = 0x8769
F_NUMBER, EXPOSURE_TIME, ISO, FOCAL_LENGTH, FOCAL_35MM = 0x829D, 0x829A, 0x8827, 0x920A, 0xA405


def _number(value) -> float | None:
    if isinstance(value, tuple) and len(value) == 2:  # an unreduced rational
        value = value[0] / value[1] if value[1] else None
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if number > 0 and number == number else None


def shutter_label(seconds: float) -> str:
    """1/250 s for fast shutters, 2.5 s for slow ones (as cameras write them)."""
    if seconds >= 0.3:
        return f"{seconds:g} s"
    return f"1/{round(1 / seconds)} s"


def read_exposure(path: str | os.PathLike) -> dict:
    """``{"aperture": 2.8, "shutter_s": 0.004, "shutter": "1/250 s", "iso": 200,
    "focal_length_mm": 35.0, "focal_length_35mm": 52}``; keys the file lacks are left out."""
    try:
        with Image.open(path) as image:
            exif = image.getexif().get_ifd(EXIF_IFD)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return {}
    found: dict = {}
    aperture = _number(exif.get(F_NUMBER))
    if aperture:
        found["aperture"] = round(aperture, 1)
    shutter = _number(exif.get(EXPOSURE_TIME))
    if shutter:
        found["shutter_s"] = float(Fraction(shutter).limit_denominator(100_000))
        found["shutter"] = shutter_label(shutter)
    iso = _number(exif.get(ISO))
    if iso:
        found["iso"] = int(iso)
    focal = _number(exif.get(FOCAL_LENGTH))
    if focal:
        found["focal_length_mm"] = round(focal, 1)
    focal_35 = _number(exif.get(FOCAL_35MM))
    if focal_35:
        found["focal_length_35mm"] = int(focal_35)
    return found
