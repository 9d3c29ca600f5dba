"""Reading videos with PyAV (FFmpeg): the metadata, and the frames that stand
for the video (a representative one for the thumbnail and the image stages,
a few keyframes across its length for search by scene).

Decoding is bounded. Frames are found by seeking to evenly spaced times and
decoding the first frame there, never by playing the video through, so an
hour costs little more than a minute. Each file gets a time budget, a cap on
the packets read per seek, and a cap on a frame's pixels; frames are scaled
down as they are converted, so memory holds a dozen small pictures whatever
the video's resolution. A file past these limits, or one FFmpeg can't read,
raises :class:`ImageReadError` with the reason, and the index records it.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import av
import numpy as np
from PIL import Image, ImageStat

from photoorg.scan.imageio import ImageReadError
from photoorg.scan.metadata import PhotoMetadata
from photoorg.video.media import FACTS_KEY, KEYFRAMES_KEY, POSTER_TIME_KEY
from photoorg.video.probe import VIDEO_EXTENSIONS, VIDEO_FORMATS, VideoFacts, video_metadata

# Limits: past them a file is recorded with the reason, not decoded.
MAX_FRAME_PIXELS = 8192 * 8192  # beyond 8K frames, a frame alone is hundreds of MB
MAX_FILE_BYTES = 64 * 1024**3
TIME_BUDGET_S = 30.0  # per file, for all its frames
MAX_PACKETS_PER_SEEK = 500  # a seek that finds no frame in this many packets gives up
MIN_KEYFRAMES, MAX_KEYFRAMES = 3, 12
SECONDS_PER_KEYFRAME = 10.0
# The shortest side keyframes are kept at when no stage asks for more: enough for CLIP.
MIN_FRAME_SIDE = 224


@dataclass
class Frame:
    seconds: float
    image: Image.Image


class VideoReader:
    """The media reader for videos (see photoorg/extensions/media_readers.py)."""

    kind = "video"
    extensions = VIDEO_EXTENSIONS
    formats = VIDEO_FORMATS

    def read_metadata(self, path: str) -> PhotoMetadata:
        with open_video(path) as video:
            return video.metadata()

    def decode(self, path: str, min_side: int) -> Image.Image:
        with open_video(path) as video:
            frames = video.sample(keyframe_count(video.facts.duration_s), max(min_side, MIN_FRAME_SIDE))
            facts = video.facts
        poster = representative(frames)
        image = poster.image.copy()
        image.info[FACTS_KEY] = facts
        image.info[POSTER_TIME_KEY] = poster.seconds
        image.info[KEYFRAMES_KEY] = [(f.seconds, f.image) for f in distinct(frames)]
        return image


def keyframe_count(duration_s: float) -> int:
    return max(MIN_KEYFRAMES, min(MAX_KEYFRAMES, math.ceil(duration_s / SECONDS_PER_KEYFRAME)))


class OpenVideo:
    def __init__(self, path: str, container) -> None:
        self.path = path
        self.container = container
        self.stream = container.streams.video[0]
        codec = self.stream.codec_context
        self.coded_width, self.coded_height = codec.width, codec.height
        if self.coded_width <= 0 or self.coded_height <= 0:
            raise ImageReadError("video stream has no picture size")
        if self.coded_width * self.coded_height > MAX_FRAME_PIXELS:
            raise ImageReadError(
                f"video frames are too large to decode safely ({self.coded_width}x{self.coded_height})"
            )
        self.facts = VideoFacts(
            duration_s=self._duration(),
            codec=codec.name,
            fps=float(self.stream.average_rate) if self.stream.average_rate else None,
            rotation=self._rotation(),
        )

    def _duration(self) -> float:
        if self.container.duration and self.container.duration > 0:
            return self.container.duration / av.time_base
        if self.stream.duration and self.stream.time_base:
            return float(self.stream.duration * self.stream.time_base)
        return 0.0

    def _rotation(self) -> int:
        # The display matrix lives on the stream's side data and on each frame;
        # the first frame is the one place every PyAV version exposes it.
        try:
            for frame in self._frames_from_start(deadline=time.monotonic() + 5):
                return round(frame.rotation or 0) % 360
        except ImageReadError:
            return 0
        return 0

    def metadata(self) -> PhotoMetadata:
        width, height = self.coded_width, self.coded_height
        if self.facts.rotation in (90, 270):
            width, height = height, width
        return video_metadata(
            self.path, width, height, dict(self.container.metadata), dict(self.stream.metadata)
        )

    # -- frames ---------------------------------------------------------------

    def sample(self, count: int, min_side: int) -> list[Frame]:
        """Up to ``count`` frames spread over the video, each the first frame
        found after a seek, scaled so its shorter side is ``min_side``."""
        deadline = time.monotonic() + TIME_BUDGET_S
        duration = self.facts.duration_s
        frames: list[Frame] = []
        seen: set[int] = set()
        if duration <= 0:
            for frame in self._frames_from_start(deadline):
                frames.append(self._picture(frame, min_side))
                break
        for index in range(count if duration > 0 else 0):
            target = duration * (index + 0.5) / count
            try:
                frame = self._frame_near(target, deadline)
            except ImageReadError:
                if frames:
                    break  # the budget ran out: keep what was found
                raise
            if frame is None or frame.pts in seen:
                continue
            seen.add(frame.pts)
            frames.append(self._picture(frame, min_side))
        if not frames:
            raise ImageReadError("no frame of the video could be decoded")
        return frames

    def sequence(self, count: int, min_side: int) -> list[Frame]:
        """Up to ``count`` frames evenly spaced in time, decoded in order from
        the start: smooth motion for a short clip, where seeking would land on
        its two or three keyframes only."""
        deadline = time.monotonic() + TIME_BUDGET_S
        step = max(self.facts.duration_s, 1e-3) / max(1, count)
        frames: list[Frame] = []
        next_time = 0.0
        start = self._start_seconds()
        for frame in self._frames_from_start(deadline):
            seconds = (float(frame.time) if frame.time is not None else 0.0) - start
            if seconds + 1e-6 >= next_time:
                frames.append(self._picture(frame, min_side))
                next_time = seconds + step
                if len(frames) >= count:
                    break
        if not frames:
            raise ImageReadError("no frame of the video could be decoded")
        return frames

    def _frame_near(self, seconds: float, deadline: float):
        stream = self.stream
        if stream.time_base:
            start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
            try:
                self.container.seek(int((start + seconds) / stream.time_base), stream=stream)
            except av.error.FFmpegError:
                return None
        for frame in self._frames(deadline):
            return frame
        return None

    def _frames_from_start(self, deadline: float) -> Iterator:
        try:
            self.container.seek(0)
        except av.error.FFmpegError:
            pass
        yield from self._frames(deadline)

    def _frames(self, deadline: float) -> Iterator:
        packets = 0
        try:
            for packet in self.container.demux(self.stream):
                packets += 1
                if packets > MAX_PACKETS_PER_SEEK:
                    return
                if time.monotonic() > deadline:
                    raise ImageReadError(f"decoding took longer than {TIME_BUDGET_S:.0f} s: stopped")
                yield from packet.decode()
        except av.error.FFmpegError as exc:
            raise ImageReadError(f"corrupt video data ({_describe(exc)})") from exc

    def _picture(self, frame, min_side: int) -> Frame:
        scale = min(1.0, min_side / max(1, min(frame.width, frame.height)))
        width = max(2, int(frame.width * scale) // 2 * 2)
        height = max(2, int(frame.height * scale) // 2 * 2)
        image = frame.to_image(width=width, height=height)
        rotation = round(frame.rotation or 0) % 360 if hasattr(frame, "rotation") else 0
        if rotation:
            image = image.rotate(rotation, expand=True)
        seconds = float(frame.time) if frame.time is not None else 0.0
        return Frame(max(0.0, seconds - self._start_seconds()), image.convert("RGB"))

    def _start_seconds(self) -> float:
        stream = self.stream
        if stream.start_time and stream.time_base:
            return float(stream.start_time * stream.time_base)
        return 0.0


@contextmanager
def open_video(path: str) -> Iterator[OpenVideo]:
    """A video opened for reading, closed on exit; ImageReadError when it can't be."""
    size = os.path.getsize(path)  # OSError: gone or unreadable, as for any file
    if size > MAX_FILE_BYTES:
        raise ImageReadError(
            f"video is too large to index ({_size_text(size)}; the limit is {_size_text(MAX_FILE_BYTES)})"
        )
    try:
        container = av.open(path, metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise ImageReadError(f"not a readable video ({_describe(exc)})") from exc
    try:
        if not container.streams.video:
            raise ImageReadError("the file holds no video stream")
        video = OpenVideo(path, container)
        yield video
    except av.error.FFmpegError as exc:
        raise ImageReadError(f"corrupt video data ({_describe(exc)})") from exc
    finally:
        container.close()


def _size_text(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _describe(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.strip() or type(exc).__name__


def interest(image: Image.Image) -> float:
    """How much a frame shows: the spread of its grey levels, near zero for a
    black, white or flat frame (fades, lens caps, the first frame of a phone)."""
    grey = image.convert("L").resize((64, 64))
    stat = ImageStat.Stat(grey)
    mean, spread = stat.mean[0], stat.stddev[0]
    if mean < 16 or mean > 240:
        spread *= 0.1
    return spread


def representative(frames: list[Frame]) -> Frame:
    """The frame the thumbnail shows: the one with the most in it, the earliest
    of equals."""
    return max(frames, key=lambda f: (round(interest(f.image), 1), -f.seconds))


def distinct(frames: list[Frame], threshold: float = 4.0) -> list[Frame]:
    """The frames worth searching: black or flat frames and near copies of the
    previous kept one are left out (a static shot needs one vector, not ten)."""
    kept: list[Frame] = []
    last = None
    for frame in frames:
        if interest(frame.image) < 2.0 and len(frames) > 1:
            continue
        small = np.asarray(frame.image.convert("L").resize((16, 16)), dtype=np.float32)
        if last is not None and float(np.abs(small - last).mean()) < threshold:
            continue
        kept.append(frame)
        last = small
    return kept or [representative(frames)]
