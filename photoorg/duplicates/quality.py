"""What makes one copy of a photo better than another: a quality record per
photo, measured on the decoded image, and the eyes of its faces.

Sharpness is the variance of the Laplacian with the noise's share taken out:
for white noise of deviation σ the 4-neighbour Laplacian's variance is 20σ²,
and σ comes from Immerkær's estimator (a mask blind to the image's own
gradients), so a noisy high-ISO shot no longer reads as the sharpest. It is
then divided by the picture's own variance: detail relative to contrast, so a
brightness or contrast edit of a photo is exactly as sharp as the photo.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

#: the short side the sharpness is measured at, so copies at different sizes
#: compare fairly (a small copy, scaled up, reads blurrier, as it looks); the
#: thumbnail stage already has photos decoded this large (3/4 of 320 px)
WORK_SIDE = 240
#: grey levels at or beyond which a pixel counts as clipped
HIGHLIGHT, SHADOW = 250, 5
#: an eye aspect ratio below this is a closed eye (Soukupová & Čech, 2016, use 0.2)
EYES_CLOSED_EAR = 0.2
#: is:blurry below this sharpness. Measured on the camera samples: sharp photos
#: 3.4-45, the same blurred by a 3 px Gaussian (at a 480 px short side) 0.2-1.1.
BLURRY_BELOW = 1.5
#: is:dark: a mean grey level below this, or more than DARK_CLIPPED of the pixels crushed to black
DARK_MEAN, DARK_CLIPPED = 45.0, 0.5

_IMMERKAER = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)


@dataclass(frozen=True)
class Quality:
    sharpness: float  # noise-corrected variance of the Laplacian over the variance, ×100, at WORK_SIDE
    noise: float  # estimated noise deviation, grey levels
    highlights: float  # share of pixels at HIGHLIGHT and above
    shadows: float  # share of pixels at SHADOW and below
    brightness: float  # mean grey level, 0..255

    @property
    def blurry(self) -> bool:
        return self.sharpness < BLURRY_BELOW

    @property
    def dark(self) -> bool:
        return self.brightness < DARK_MEAN or self.shadows > DARK_CLIPPED

    @property
    def clipped(self) -> float:
        return self.highlights + self.shadows


def _conv3(grey: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    h, w = grey.shape
    out = np.zeros((h - 2, w - 2), dtype=np.float32)
    for dy in range(3):
        for dx in range(3):
            if kernel[dy, dx]:
                out += kernel[dy, dx] * grey[dy : dy + h - 2, dx : dx + w - 2]
    return out


def noise_sigma(grey: np.ndarray) -> float:
    """Immerkær's fast noise estimate (1996)."""
    h, w = grey.shape
    response = np.abs(_conv3(grey, _IMMERKAER)).sum()
    return float(response * math.sqrt(math.pi / 2) / (6.0 * (w - 2) * (h - 2)))


def laplacian_variance(grey: np.ndarray) -> float:
    lap = grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1] - 4.0 * grey[1:-1, 1:-1]
    return float(lap.var())


def measure(image: Image.Image) -> Quality:
    grey_image = image.convert("L")
    scale = WORK_SIDE / min(grey_image.size)
    if scale != 1.0:
        size = (max(3, round(grey_image.width * scale)), max(3, round(grey_image.height * scale)))
        grey_image = grey_image.resize(size, Image.Resampling.BILINEAR)
    grey = np.asarray(grey_image, dtype=np.float32)
    sigma = noise_sigma(grey)
    sharp = 100.0 * max(0.0, laplacian_variance(grey) - 20.0 * sigma * sigma) / (float(grey.var()) + 1.0)
    pixels = grey.size
    return Quality(
        sharpness=round(sharp, 3),
        noise=round(sigma, 3),
        highlights=round(float((grey >= HIGHLIGHT).sum()) / pixels, 4),
        shadows=round(float((grey <= SHADOW).sum()) / pixels, 4),
        brightness=round(float(grey.mean()), 2),
    )


# -- eyes -------------------------------------------------------------------------------

#: the eyes in dlib's (iBUG) 68-point layout: 36-41 one eye, 42-47 the other
_EYES_68 = ((36, 37, 38, 39, 40, 41), (42, 43, 44, 45, 46, 47))


def eye_aspect_ratio(points: Sequence[Sequence[float]]) -> float | None:
    """The mean of both eyes' (|p2-p6| + |p3-p5|) / (2 |p1-p4|) from 68
    landmarks; None for another layout (the 5-point one has no eyelids)."""
    if len(points) != 68:
        return None
    ratios = []
    for eye in _EYES_68:
        p = [np.asarray(points[i], dtype=np.float64) for i in eye]
        width = np.linalg.norm(p[0] - p[3])
        if width <= 0:
            return None
        ratios.append((np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / (2.0 * width))
    return float(sum(ratios) / 2.0)
