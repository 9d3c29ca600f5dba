"""The media reader registered for RAW files: which files it takes, known
without importing rawpy, and the reading itself, which loads
:mod:`photoorg.raw.reader` (and LibRaw) on first use. Every command registers
the capabilities; `photoorg status` should not pay for a RAW decoder."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

    from photoorg.scan.metadata import PhotoMetadata

RAW_EXTENSIONS = frozenset(
    {".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".raf", ".orf", ".rw2", ".dng", ".pef"}
)
#: the photos' ``format`` of RAW files: the extension, upper case ("CR2")
RAW_FORMATS = frozenset(ext[1:].upper() for ext in RAW_EXTENSIONS)


class RawMedia:
    """The media reader for camera RAW files (see photoorg/extensions/media_readers.py)."""

    kind = "raw"
    extensions = RAW_EXTENSIONS
    formats = RAW_FORMATS

    def read_metadata(self, path: str) -> PhotoMetadata:
        from photoorg.raw.reader import RawReader  # lazy: loads rawpy and LibRaw

        return RawReader().read_metadata(path)

    def decode(self, path: str, min_side: int) -> Image.Image:
        from photoorg.raw.reader import RawReader  # lazy: loads rawpy and LibRaw

        return RawReader().decode(path, min_side)


#: the one reader registered (registering the same object again is a no-op)
READER = RawMedia()
