"""Playing a Live Photo or a video on its grid tile while the pointer rests on
it. The frames come from the core (photoorg/video/motion.py) through the
shared image loader, off the GUI thread, as one strip of frames side by side;
the tile shows one frame of the strip after another."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QRect, QTimer
from PySide6.QtGui import QImage, QPainter, QPixmap

from photoorg.gui.images import ImageLoader

FRAMES = 12
FRAME_MS = 110


def strip_image(path: str, side: int) -> QImage:
    """The frames of the moving part side by side (worker thread); a null
    image when there are none (a still without video, no PyAV)."""
    try:
        from photoorg.video.motion import preview_frames  # lazy: PyAV is an optional extra
    except ImportError:
        return QImage()
    try:
        frames = preview_frames(path, FRAMES, side)
    except Exception:  # unreadable video: the tile keeps its still
        return QImage()
    # Always FRAMES frames (a short clip's last one repeated), so the painter
    # knows each frame's width from the strip's.
    frames = [frames[min(len(frames) - 1, i * len(frames) // FRAMES)] for i in range(FRAMES)]
    width, height = frames[0].size
    strip = QImage(width * len(frames), height, QImage.Format.Format_RGB888)
    strip.fill(0)
    painter = QPainter(strip)
    for index, frame in enumerate(frames):
        frame = frame.convert("RGB").resize((width, height))
        image = QImage(frame.tobytes(), width, height, width * 3, QImage.Format.Format_RGB888)
        painter.drawImage(index * width, 0, image)
    painter.end()
    return strip


class HoverPlayer(QObject):
    """Gives the hovered tile its current frame and asks for a repaint on each."""

    KIND = "motion"

    def __init__(
        self, loader: ImageLoader, repaint: Callable[[], None], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.loader = loader
        self._repaint = repaint
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._tick)
        self._playing: str | None = None
        self._started = 0.0

    def frame(self, path: str, side: int) -> tuple[QPixmap, QRect] | None:
        """The strip and the part of it to draw now, or None (loading, or no video)."""
        if path != self._playing:
            self._playing, self._started = path, time.monotonic()
        if not self._timer.isActive():
            self._timer.start()
        strip = self.loader.pixmap((self.KIND, path, side), lambda: strip_image(path, side))
        if strip is None or strip.isNull():
            return None
        width = strip.width() // FRAMES
        index = int((time.monotonic() - self._started) * 1000 / FRAME_MS) % FRAMES
        return strip, QRect(index * width, 0, width, strip.height())

    def stop(self) -> None:
        """Nothing is hovered: no more repaints."""
        self._playing = None
        self._timer.stop()

    def _tick(self) -> None:
        if self._playing is None:
            self._timer.stop()
            return
        self._repaint()
