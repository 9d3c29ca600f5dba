"""Loading grid thumbnails off the GUI thread (calibre's and Picard's patterns).

- Requests are served last-in, first-out: what the user scrolled to last is
  on screen now, so it comes first; stale requests beyond a cap are dropped.
- Workers make only a QImage (safe off the GUI thread); the QPixmap is made on
  the GUI thread, and kept in an LRU sized to a few screens of thumbnails.
- Results reach the GUI in batches, at most every 30 ms, so a burst of
  thousands of arrivals costs a few repaints, not thousands.
- A thumbnail missing from the disk cache (indexing has not reached it yet) is
  made from the original with the same code the pipeline uses.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QImage, QPixmap

from photoorg.scan.imageio import ImageReadError, load_upright
from photoorg.scan.thumbnails import ThumbnailCache

MAX_QUEUED = 600


class _Bridge(QObject):
    loaded = Signal(str, int, QImage)  # content hash, size, image (null when it failed)


class ThumbnailLoader(QObject):
    #: content hashes whose thumbnails just became available
    thumbnails_ready = Signal(list)

    def __init__(self, cache: ThumbnailCache, threads: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache = cache
        # (hash, size) -> path, newest request last; served from the end.
        self._queue: OrderedDict[tuple[str, int], str] = OrderedDict()
        self._failed: set[str] = set()
        self._condition = threading.Condition()
        self._stopping = False
        self._pixmaps: OrderedDict[tuple[str, int], QPixmap] = OrderedDict()
        self.capacity = 800
        self._arrived: list[str] = []
        self._bridge = _Bridge()
        self._bridge.loaded.connect(self._on_loaded)
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(30)
        self._flush_timer.timeout.connect(self._flush)
        self._threads = [
            threading.Thread(target=self._work, name=f"photoorg-thumbs-{i}", daemon=True)
            for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    # -- GUI thread --------------------------------------------------------------------

    def pixmap(self, content_hash: str | None, path: str, size: int) -> QPixmap | None:
        """The cached pixmap, or None after queueing a load (painted when ready)."""
        if not content_hash:
            return None
        key = (content_hash, size)
        pixmap = self._pixmaps.get(key)
        if pixmap is not None:
            self._pixmaps.move_to_end(key)
            return pixmap
        if content_hash in self._failed:
            return None
        with self._condition:
            self._queue[key] = path
            self._queue.move_to_end(key)  # seen again: to the front of the line
            while len(self._queue) > MAX_QUEUED:
                self._queue.popitem(last=False)  # long scrolled past
            self._condition.notify()
        return None

    def failed(self, content_hash: str | None) -> bool:
        return content_hash in self._failed

    def clear(self) -> None:
        """Forget pixmaps (the cell size changed)."""
        self._pixmaps.clear()
        with self._condition:
            self._queue.clear()

    def retry_failed(self) -> None:
        self._failed.clear()

    @Slot(str, int, QImage)
    def _on_loaded(self, content_hash: str, size: int, image: QImage) -> None:
        if image.isNull():
            self._failed.add(content_hash)
        else:
            self._pixmaps[(content_hash, size)] = QPixmap.fromImage(image)
            while len(self._pixmaps) > self.capacity:
                self._pixmaps.popitem(last=False)
        self._arrived.append(content_hash)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        arrived, self._arrived = self._arrived, []
        if arrived:
            self.thumbnails_ready.emit(arrived)

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._queue.clear()
            self._condition.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    # -- worker threads ---------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._condition:
                while not self._queue and not self._stopping:
                    self._condition.wait()
                if self._stopping:
                    return
                (content_hash, size), path = self._queue.popitem(last=True)  # newest first
            image = self._load(content_hash, path, size)
            if self._stopping:
                return
            self._bridge.loaded.emit(content_hash, size, image)

    def _load(self, content_hash: str, path: str, size: int) -> QImage:
        thumb_path: Path = self.cache.path_for(content_hash)
        image = QImage(str(thumb_path)) if thumb_path.is_file() else QImage()
        if image.isNull():
            try:
                self.cache.write(content_hash, load_upright(path, self.cache.size * 3 // 4))
                image = QImage(str(thumb_path))
            except (ImageReadError, OSError):
                return QImage()
        if image.isNull():
            return image
        return image.scaled(
            QSize(size, size), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
