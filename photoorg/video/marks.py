"""How videos show in a listing: their duration on the tile, and Live Photos
(a still and a short video of the same name, as iPhones write them: IMG_0001.HEIC
and IMG_0001.MOV) as one item that plays on hover. Google's motion photos (a
JPEG with the video appended: MVIMG_*.jpg, PXL_*.MP.jpg) are one file already:
they get the badge, and the hover player reads the video from the file's tail
(see motion.py)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from photoorg.display import clock_text
from photoorg.extensions.item_marks import ItemMark, ItemRef
from photoorg.video import store
from photoorg.video.probe import VIDEO_FORMATS

LIVE_BADGE = "LIVE"
#: a Live Photo's video is about 3 s; longer ones beside a still are their own item
LIVE_MAX_SECONDS = 6.0
_STILL_FORMATS = frozenset({"JPEG", "HEIF", "AVIF", "PNG"})
_MOTION_NAME = re.compile(r"^(MVIMG_.*|.*\.MP)\.jpe?g$", re.IGNORECASE)


def duration_text(seconds: float) -> str:
    """42.4 -> "0:42"; 3725 -> "1:02:05"."""
    return clock_text(seconds)


def is_motion_photo_name(path: str) -> bool:
    return bool(_MOTION_NAME.match(os.path.basename(path)))


def _key(path: str) -> tuple[str, str]:
    folder, name = os.path.split(path)
    return folder, os.path.splitext(name)[0].casefold()


def video_marks(session: Session, refs: Sequence[ItemRef]) -> Mapping[int, ItemMark]:
    marks: dict[int, ItemMark] = {}
    videos = [ref for ref in refs if ref.format in VIDEO_FORMATS]
    lengths = store.durations(session, (ref.id for ref in videos)) if videos else {}
    stills: dict[tuple[str, str], ItemRef] = {}
    if videos:
        wanted = {_key(ref.path) for ref in videos}
        for ref in refs:
            if ref.format in _STILL_FORMATS and _key(ref.path) in wanted:
                stills.setdefault(_key(ref.path), ref)
    for ref in videos:
        seconds = lengths.get(ref.id)
        still = stills.get(_key(ref.path))
        if still is not None and (seconds is None or seconds <= LIVE_MAX_SECONDS):
            marks[ref.id] = ItemMark(lead=still.id)
            marks[still.id] = ItemMark(badge=LIVE_BADGE, motion=ref.path)
        elif seconds is not None:
            marks[ref.id] = ItemMark(badge=duration_text(seconds), motion=ref.path)
    for ref in refs:
        if ref.format == "JPEG" and ref.id not in marks and is_motion_photo_name(ref.path):
            marks[ref.id] = ItemMark(badge=LIVE_BADGE, motion=ref.path)
    return marks
