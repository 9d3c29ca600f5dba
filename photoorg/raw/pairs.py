"""RAW+JPEG pairs: a RAW file beside an image of the same name (the camera
wrote both) shows as one item, the image with a "RAW+JPEG" badge. A RAW file
alone is badged "RAW"."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from photoorg.extensions.item_marks import ItemMark, ItemRef
from photoorg.raw.media import RAW_FORMATS

PAIR_BADGE = "RAW+JPEG"
RAW_BADGE = "RAW"
# Stills a camera writes beside its RAW files: the one the pair shows.
_STILL_FORMATS = frozenset({"JPEG", "HEIF", "TIFF", "PNG", "WEBP", "AVIF", "MPO"})


def pair_key(path: str) -> tuple[str, str]:
    """(folder, name without extension, case folded): IMG_0001.CR2 and IMG_0001.jpg meet here."""
    folder, name = os.path.split(path)
    return folder, os.path.splitext(name)[0].casefold()


def raw_marks(session: Session, refs: Sequence[ItemRef]) -> Mapping[int, ItemMark]:
    raws = [ref for ref in refs if ref.format in RAW_FORMATS]
    if not raws:
        return {}
    wanted = {pair_key(ref.path) for ref in raws}
    stills: dict[tuple[str, str], int] = {}
    for ref in refs:
        if ref.format in _STILL_FORMATS:
            key = pair_key(ref.path)
            if key in wanted:
                stills.setdefault(key, ref.id)
    marks: dict[int, ItemMark] = {}
    for ref in raws:
        still = stills.get(pair_key(ref.path))
        if still is None:
            marks[ref.id] = ItemMark(badge=RAW_BADGE)
        else:
            marks[ref.id] = ItemMark(lead=still)
            marks[still] = ItemMark(badge=PAIR_BADGE)
    return marks
