"""Putting regions written by other tools onto the faces photoorg found.

Boxes are compared as fractions of the photo as displayed (after its EXIF
orientation), which is how the faces stage stores faces and how digiKam and
Lightroom write MWG regions. A region whose AppliedToDimensions are the
displayed size turned a quarter was written against the stored pixels; it
is turned the same way before matching.
"""

from __future__ import annotations

from collections.abc import Sequence

from photoorg.xmp.model import Box, Region

#: overlap (intersection over union) from which a region is taken to be a
#: face: a hand-drawn region and a detector's box of the same face typically
#: overlap 0.5-0.8; neighbours in a group photo rarely pass 0.2
MIN_IOU = 0.3


def iou(a: Box, b: Box) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    width = min(ax + aw, bx + bw) - max(ax, bx)
    height = min(ay + ah, by + bh) - max(ay, by)
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / (aw * ah + bw * bh - inter)


def normalised_box(box: tuple[int, int, int, int], size: tuple[int, int]) -> Box:
    """A pixel box (x, y, w, h) as fractions of an image of ``size``."""
    width, height = size
    x, y, w, h = box
    return (x / width, y / height, w / width, h / height)


def _turned(box: Box, orientation: int) -> Box:
    """A box on the stored pixels, on the image as displayed (EXIF 5-8)."""
    x, y, w, h = box
    if orientation == 6:  # displayed turned 90° clockwise
        return (1 - y - h, x, h, w)
    if orientation == 8:  # turned 90° anticlockwise
        return (y, 1 - x - w, h, w)
    if orientation == 5:  # transposed
        return (y, x, h, w)
    if orientation == 7:  # transversed
        return (1 - y - h, 1 - x - w, h, w)
    return box


def displayed_regions(
    regions: Sequence[Region],
    applied_to: tuple[int, int] | None,
    displayed: tuple[int | None, int | None],
    orientation: int | None,
) -> list[Region]:
    width, height = displayed
    quarter_turn = orientation in (5, 6, 7, 8)
    if not (quarter_turn and applied_to and width and height and width != height):
        return list(regions)
    if tuple(applied_to) != (height, width):
        return list(regions)
    return [Region(r.name, _turned(r.box, orientation or 1), r.kind) for r in regions]


def match_regions(regions: Sequence[Region], faces: Sequence[tuple[int, Box]]) -> list[tuple[Region, int]]:
    """Each named face region with the detected face it covers best (face id),
    one face per region and one region per face, best overlaps first."""
    pairs = sorted(
        (
            (iou(region.box, box), index, face_id)
            for index, region in enumerate(regions)
            if region.name and region.kind.lower() == "face"
            for face_id, box in faces
        ),
        reverse=True,
    )
    taken_regions: set[int] = set()
    taken_faces: set[int] = set()
    matched = []
    for overlap, index, face_id in pairs:
        if overlap < MIN_IOU:
            break
        if index in taken_regions or face_id in taken_faces:
            continue
        taken_regions.add(index)
        taken_faces.add(face_id)
        matched.append((regions[index], face_id))
    return matched
