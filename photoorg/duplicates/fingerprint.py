"""Perceptual hashes that survive rotation, mirroring and small crops.

A photo is reduced to a 32×32 grey square. Its pHash (the signs of the 8×8
lowest DCT frequencies against their median, as ``imagehash`` computes it) and
its dHash (the sign of each horizontal step on a 9×8 grid) are taken:

- for all eight turns and flips of the square (``VARIANTS``): a copy turned by
  90° or mirrored has, as its plain hash, one of the original's variants;
- for nine windows of the upright photo, each 92% of its width and height, at
  the corners, edge middles and centre (``WINDOWS``): a copy cropped by up to
  10% on any side looks like one of them (measured: a 10% corner crop is 14-26
  bits from the whole photo's pHash, 2-10 from the nearest window's).

The grouping indexes variant 0 of every photo and asks with the other
variants and the windows, so one lookup table serves every orientation and crop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

#: the side of the grey square the hashes are taken on
SIDE = 32
#: the eight variants, in the order stored: (quarter turns anticlockwise, mirrored)
VARIANTS: tuple[tuple[int, bool], ...] = tuple(
    (turns, mirror) for mirror in (False, True) for turns in range(4)
)
#: how much of each side a window keeps, and where the windows sit (0 left/top .. 1 right/bottom)
WINDOW_SCALE = 0.92
WINDOWS: tuple[tuple[float, float], ...] = tuple((x, y) for y in (0.0, 0.5, 1.0) for x in (0.0, 0.5, 1.0))

_BITS = (1 << np.arange(63, -1, -1, dtype=np.uint64)).astype(np.uint64)


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m.astype(np.float32)


# Only the 8 lowest rows are needed: an 8×32 matrix instead of a full 2-D DCT.
_DCT8 = _dct_matrix(SIDE)[:8]


@dataclass(frozen=True)
class Fingerprint:
    """A photo's hashes as signed 64-bit integers (SQLite's INTEGER)."""

    phash: tuple[int, ...]  # per VARIANTS
    dhash: tuple[int, ...]  # per VARIANTS
    window_phash: tuple[int, ...]  # per WINDOWS
    window_dhash: tuple[int, ...]  # per WINDOWS


def grey_square(image: Image.Image, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """The photo (or ``box`` of it) as a SIDE×SIDE float grey square."""
    grey = image if image.mode == "L" else image.convert("L")
    small = grey.resize((SIDE, SIDE), Image.Resampling.BOX, box=box)
    return np.asarray(small, dtype=np.float32)


def _pack(bits: np.ndarray) -> int:
    """64 booleans, first most significant, as a signed 64-bit integer."""
    value = int(np.bitwise_or.reduce(_BITS[bits.ravel()], initial=np.uint64(0)))
    return value - (1 << 64) if value >= 1 << 63 else value


def phash(square: np.ndarray) -> int:
    low = _DCT8 @ square @ _DCT8.T
    return _pack(low > np.median(low))


def dhash(square: np.ndarray) -> int:
    rows = square.reshape(8, SIDE // 8, SIDE).mean(axis=1)
    cols = rows[:, np.linspace(0, SIDE - 1, 9).round().astype(int)]
    return _pack(cols[:, 1:] > cols[:, :-1])


def _window_box(width: int, height: int, x: float, y: float) -> tuple[int, int, int, int]:
    w, h = round(width * WINDOW_SCALE), round(height * WINDOW_SCALE)
    left, top = round((width - w) * x), round((height - h) * y)
    return left, top, left + w, top + h


def fingerprint(image: Image.Image) -> Fingerprint:
    grey = image.convert("L")
    square = grey_square(grey)
    ph, dh = [], []
    for turns, mirror in VARIANTS:
        variant = np.rot90(np.fliplr(square) if mirror else square, turns)
        ph.append(phash(variant))
        dh.append(dhash(variant))
    wp, wd = [], []
    for x, y in WINDOWS:
        window = grey_square(grey, _window_box(grey.width, grey.height, x, y))
        wp.append(phash(window))
        wd.append(dhash(window))
    return Fingerprint(tuple(ph), tuple(dh), tuple(wp), tuple(wd))


def distance(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()
