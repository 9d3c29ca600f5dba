"""The media reader registered for videos: which files it takes, known
without importing PyAV (~30 ms, and every command registers the
capabilities), and the reading itself, which loads :mod:`photoorg.video.reader`
(and FFmpeg) on first use. Also the keys under which a decoded video's
picture carries its keyframes to the video stages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from photoorg.video.probe import VIDEO_EXTENSIONS, VIDEO_FORMATS

if TYPE_CHECKING:
    from PIL import Image

    from photoorg.scan.metadata import PhotoMetadata

#: in the decoded picture's ``info``: [(seconds, picture)] for search by scene
KEYFRAMES_KEY = "photoorg.video.keyframes"
#: in the decoded picture's ``info``: the video's VideoFacts
FACTS_KEY = "photoorg.video.facts"
#: in the decoded picture's ``info``: the time of the representative frame
POSTER_TIME_KEY = "photoorg.video.poster_time"


class VideoMedia:
    """The media reader for videos (see photoorg/extensions/media_readers.py)."""

    kind = "video"
    extensions = VIDEO_EXTENSIONS
    formats = VIDEO_FORMATS

    def read_metadata(self, path: str) -> PhotoMetadata:
        from photoorg.video.reader import VideoReader  # lazy: loads PyAV and FFmpeg

        return VideoReader().read_metadata(path)

    def decode(self, path: str, min_side: int) -> Image.Image:
        from photoorg.video.reader import VideoReader  # lazy: loads PyAV and FFmpeg

        return VideoReader().decode(path, min_side)


#: the one reader registered (registering the same object again is a no-op)
READER = VideoMedia()
