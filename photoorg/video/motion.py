"""The moving part of a Live Photo or motion photo, for playing on hover and
in a player: a video file as it is, or the MP4 that Google cameras append to
a JPEG (MVIMG_*.jpg, PXL_*.MP.jpg: the video follows the JPEG's end, and the
XMP says so with ``MicroVideoOffset`` or a ``MotionPhoto`` container item).
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import av
from PIL import Image

from photoorg.scan.files import read_regular_file
from photoorg.scan.imageio import ImageReadError
from photoorg.video.probe import VIDEO_EXTENSIONS
from photoorg.video.reader import OpenVideo, open_video

#: a motion photo's video is short; a tail past this is not one
MAX_TAIL_BYTES = 64 * 1024**2
_BRANDS = (b"ftypmp4", b"ftypisom", b"ftypmp42", b"ftypqt", b"ftypavc1", b"ftyp3gp")


def embedded_video(data: bytes) -> bytes | None:
    """The MP4 appended to a JPEG, or None. The video starts at an ``ftyp``
    box after the JPEG's first bytes; its four-byte size comes before it."""
    best = None
    for brand in _BRANDS:
        at = data.find(brand, 4)
        if at >= 4 and (best is None or at < best):
            best = at
    if best is None:
        return None
    start = best - 4
    size = int.from_bytes(data[start : start + 4], "big")
    if not 8 <= size <= 256 or len(data) - start > MAX_TAIL_BYTES:
        return None
    return data[start:]


def is_video_path(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in VIDEO_EXTENSIONS


def playable_file(path: str, cache_dir: Path) -> str:
    """A file a player can open: the video itself, or a motion photo's video
    written once into ``cache_dir``. Raises ImageReadError when there is none."""
    if is_video_path(path):
        return path
    tail = embedded_video(read_regular_file(path))
    if tail is None:
        raise ImageReadError("this photo holds no video")
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"{hashlib.sha256(tail).hexdigest()[:32]}.mp4"
    if not target.exists():
        temporary = target.with_suffix(".part")
        temporary.write_bytes(tail)
        os.replace(temporary, target)
    return str(target)


def preview_frames(path: str, count: int, side: int) -> list[Image.Image]:
    """About ``count`` frames across the moving part, scaled so the longer side
    is ``side``: what the grid plays on hover. Bounded like all decoding
    (reader.py)."""
    if is_video_path(path):
        with open_video(path) as video:
            return _frames(video, count, side)
    tail = embedded_video(read_regular_file(path))
    if tail is None:
        raise ImageReadError("this photo holds no video")
    try:
        container = av.open(io.BytesIO(tail), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise ImageReadError(f"the photo's video can't be read ({exc})") from exc
    try:
        if not container.streams.video:
            raise ImageReadError("the photo's video has no picture")
        return _frames(OpenVideo(path, container), count, side)
    finally:
        container.close()


#: clips up to this long play every frame in order; longer ones are sampled across
SHORT_CLIP_S = 10.0


def _frames(video: OpenVideo, count: int, side: int) -> list[Image.Image]:
    short = max(
        16, side * min(video.coded_width, video.coded_height) // max(video.coded_width, video.coded_height)
    )
    if video.facts.duration_s <= SHORT_CLIP_S:
        return [frame.image for frame in video.sequence(count, short)]
    return [frame.image for frame in video.sample(count, short)]
