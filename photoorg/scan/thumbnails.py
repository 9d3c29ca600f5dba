"""A disk cache of thumbnails keyed by content hash.

Keyed by content, not path: a moved or renamed photo keeps its thumbnail and
two copies share one. Files are written to a temporary name and renamed, so a
crash never leaves a half-written thumbnail behind.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from PIL import Image

THUMBNAIL_SIZE = 320  # longest side, px; the grid shows up to 256 px
THUMBNAIL_QUALITY = 82


class ThumbnailCache:
    def __init__(self, root: Path, size: int = THUMBNAIL_SIZE) -> None:
        self.root = Path(root)
        self.size = size

    def path_for(self, content_hash: str) -> Path:
        return self.root / content_hash[:2] / f"{content_hash}.jpg"

    def has(self, content_hash: str) -> bool:
        return self.path_for(content_hash).is_file()

    def make(self, image: Image.Image) -> Image.Image:
        thumb = image.copy()
        thumb.thumbnail((self.size, self.size), Image.Resampling.LANCZOS, reducing_gap=2.0)
        return thumb

    def write(self, content_hash: str, image: Image.Image) -> Path:
        """Save a thumbnail of an upright RGB image. Raises OSError (disk full)."""
        target = self.path_for(content_hash)
        # Small copies of private photos: folders 0700 and files 0600 (the mode
        # given at creation can only be narrowed by the umask, never widened).
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        target.parent.mkdir(exist_ok=True, mode=0o700)
        temp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                self.make(image).save(handle, "JPEG", quality=THUMBNAIL_QUALITY, optimize=False)
            os.replace(temp, target)
        finally:
            if temp.exists():
                temp.unlink(missing_ok=True)
        return target
