"""Readers for files that are not Pillow images (videos, camera RAW files).

A reader claims file extensions. For each of its files it gives the same two
things the pipeline gets from Pillow for a JPEG: the metadata (a
``PhotoMetadata``) and one decoded, upright RGB picture that stands for the
file (a video's representative frame, a RAW file's preview). Every stage then
runs on that picture unchanged. A reader may put more on the picture's
``info`` (a video's keyframes, its duration) for the stages of its own
capability to pick up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from photoorg.extensions._point import NamedExtensionPoint

if TYPE_CHECKING:
    from PIL import Image

    from photoorg.scan.metadata import PhotoMetadata


class MediaReader(Protocol):
    #: names the reader ("video", "raw"); two capabilities can't claim one kind
    kind: str
    #: lower-case file extensions with the dot (".mp4")
    extensions: frozenset[str]
    #: the photos' ``format`` values its files get ("MP4", "CR2")
    formats: frozenset[str]

    def read_metadata(self, path: str) -> PhotoMetadata:
        """The file's metadata; raises ``ImageReadError`` with a reason a user can read."""
        ...

    def decode(self, path: str, min_side: int) -> Image.Image:
        """The picture that stands for the file: RGB, upright, its shorter side
        at least ``min_side`` where the source allows. Raises ``ImageReadError``."""
        ...


_point: NamedExtensionPoint[MediaReader] = NamedExtensionPoint("media reader")


def register_media_reader(reader: MediaReader) -> None:
    _point.register(reader.kind, reader)


def media_readers() -> tuple[MediaReader, ...]:
    return tuple(_point.items().values())
