"""One loader for every small image the window paints: grid thumbnails and
face crops (calibre's and Picard's patterns).

- Requests are served last-in, first-out (a ``lifo`` :class:`WorkerPool`): what
  the user scrolled to last is on screen now, so it comes first; requests
  beyond a cap are dropped, and asking again for a waiting image moves it to
  the front of the line.
- Workers make only a QImage (safe off the GUI thread); the QPixmap is made on
  the GUI thread and kept in one LRU sized to a few screens of thumbnails.
- Arrivals reach the views in batches, at most every 30 ms, so a burst of
  thousands costs a few repaints, not thousands.

Keys are tuples whose first item names the kind of image ("thumb", "face"),
so a view can forget its own kind (the grid, when the cell size changes).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap

from photoorg.faces.crops import face_crop
from photoorg.gui.workers import Job, WorkerPool
from photoorg.scan.imageio import ImageReadError, load_upright
from photoorg.scan.thumbnails import ThumbnailCache

MAX_QUEUED = 600
CAPACITY = 1400  # ~800 thumbnails (a few screens) and ~600 face crops
BATCH_MS = 30

Key = tuple[Hashable, ...]


class ImageLoader(QObject):
    #: keys whose images just became available (or failed), in batches
    ready = Signal(list)

    def __init__(self, threads: int = 2, capacity: int = CAPACITY, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.capacity = capacity
        # Not niced, unlike indexing: these are the pictures the user is looking
        # at, and at the indexer's priority they would wait for a whole run.
        self._pool = WorkerPool("photoorg-images", threads, lifo=True, max_queued=MAX_QUEUED, parent=self)
        self._pixmaps: OrderedDict[Key, QPixmap] = OrderedDict()
        self._failed: set[Key] = set()
        self._jobs: dict[Key, Job] = {}
        self._arrived: list[Key] = []
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(BATCH_MS)
        self._flush_timer.timeout.connect(self._flush)

    def pixmap(self, key: Key, load: Callable[[], QImage]) -> QPixmap | None:
        """The cached pixmap, or None after queueing ``load`` (run on a worker
        thread; a null image or an error counts as failed)."""
        pixmap = self._pixmaps.get(key)
        if pixmap is not None:
            self._pixmaps.move_to_end(key)
            return pixmap
        if key in self._failed:
            return None
        job = self._jobs.get(key)
        if job is not None and not job.discarded and (job.started or self._pool.promote(job)):
            return None  # being made now, or asked for again: served next
        self._jobs[key] = self._pool.submit(
            load, partial(self._loaded, key), lambda _message: self._loaded(key, None), key=key
        )
        return None

    def failed(self, key: Key) -> bool:
        return key in self._failed

    def forget(self, kind: str) -> None:
        """Drop the pixmaps and waiting requests of one kind of image."""
        for key in [k for k in self._pixmaps if k[0] == kind]:
            del self._pixmaps[key]
        for key, job in list(self._jobs.items()):
            if key[0] == kind and not job.started:
                job.cancel()
                del self._jobs[key]

    def forget_failures(self) -> None:
        self._failed.clear()

    def stop(self) -> None:
        self._pool.shutdown()

    def _loaded(self, key: Key, image: QImage | None) -> None:
        self._jobs.pop(key, None)
        if image is None or image.isNull():
            self._failed.add(key)
        else:
            self._pixmaps[key] = QPixmap.fromImage(image)
            while len(self._pixmaps) > self.capacity:
                self._pixmaps.popitem(last=False)
        self._arrived.append(key)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        arrived, self._arrived = self._arrived, []
        if arrived:
            self.ready.emit(arrived)


# -- the two kinds of image -----------------------------------------------------------------------


def thumbnail_image(cache: ThumbnailCache, content_hash: str, path: str, size: int) -> QImage:
    """A grid thumbnail (worker thread). One missing from the disk cache
    (indexing has not reached it yet) is made from the original with the same
    code the pipeline uses."""
    thumb_path: Path = cache.path_for(content_hash)
    image = QImage(str(thumb_path)) if thumb_path.is_file() else QImage()
    if image.isNull():
        try:
            cache.write(content_hash, load_upright(path, cache.size * 3 // 4))
            image = QImage(str(thumb_path))
        except (ImageReadError, OSError):
            return QImage()
    if image.isNull():
        return image
    return image.scaled(
        QSize(size, size), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def face_image(library_root: Path, face) -> QImage:
    """A face crop, cut from the original and cached on disk (worker thread);
    a vanished or unreadable original raises and a placeholder is drawn."""
    return QImage(str(face_crop(library_root, face)))


class Thumbnails:
    """Grid thumbnails through the shared loader."""

    KIND = "thumb"

    def __init__(self, loader: ImageLoader, cache: ThumbnailCache) -> None:
        self.loader = loader
        self.cache = cache
        self.ready = loader.ready

    def pixmap(self, content_hash: str | None, path: str, size: int) -> QPixmap | None:
        if not content_hash:
            return None
        key = (self.KIND, content_hash, size)
        return self.loader.pixmap(key, partial(thumbnail_image, self.cache, content_hash, path, size))

    def failed(self, content_hash: str | None, size: int) -> bool:
        return bool(content_hash) and self.loader.failed((self.KIND, content_hash, size))

    def clear(self) -> None:
        """Forget thumbnails (the cell size changed)."""
        self.loader.forget(self.KIND)


class FaceCrops:
    """Face crops through the shared loader."""

    KIND = "face"

    def __init__(self, loader: ImageLoader, library_root: Path) -> None:
        self.loader = loader
        self.root = library_root
        #: keys (see :meth:`key`) of crops that just arrived, in batches
        self.ready = loader.ready

    @classmethod
    def key(cls, face) -> Key:
        x, y, w, h = face.box
        return (cls.KIND, face.id, x, y, w, h)

    def pixmap(self, face) -> QPixmap | None:
        """The crop if loaded; otherwise None, and it is loaded (``ready`` fires)."""
        if face is None:
            return None
        return self.loader.pixmap(self.key(face), partial(face_image, self.root, face))

    def failed(self, face) -> bool:
        return face is not None and self.loader.failed(self.key(face))
