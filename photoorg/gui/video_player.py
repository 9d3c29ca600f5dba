"""Playing a video, a Live Photo or a motion photo: in the app with
QtMultimedia when the installed Qt has it, otherwise in the system's player.

PySide6-Essentials (what photoorg installs) has no QtMultimedia; the full
PySide6 (or PySide6-Addons) adds it. Which one is used is decided once, here.
"""

from __future__ import annotations

import importlib.util

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget


def in_app_playback() -> bool:
    """Whether QtMultimedia (and its widgets) can be imported in this Qt."""
    try:
        return all(
            importlib.util.find_spec(name) is not None
            for name in ("PySide6.QtMultimedia", "PySide6.QtMultimediaWidgets")
        )
    except (ImportError, ValueError):
        return False


class PlayerDialog(QDialog):
    """A plain player window: the video, playing, looped for a Live Photo."""

    def __init__(self, path: str, parent: QWidget | None = None, loop: bool = False) -> None:
        super().__init__(parent)
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer  # lazy: an optional Qt module
        from PySide6.QtMultimediaWidgets import QVideoWidget

        self.setWindowTitle("Video")
        self.resize(960, 600)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        video = QVideoWidget(self)
        layout.addWidget(video)
        self.audio = QAudioOutput(self)
        self.player = QMediaPlayer(self)
        self.player.setAudioOutput(self.audio)
        self.player.setVideoOutput(video)
        if loop:
            self.player.setLoops(QMediaPlayer.Loops.Infinite)
        self.player.setSource(QUrl.fromLocalFile(path))
        self.player.play()

    def done(self, result: int) -> None:
        self.player.stop()
        super().done(result)


def play(path: str, parent: QWidget | None = None, *, loop: bool = False) -> str:
    """Play a video file (already checked off the GUI thread). Returns where:
    "app" or "system"."""
    if in_app_playback():
        dialog = PlayerDialog(path, parent, loop=loop)
        dialog.show()
        return "app"
    QDesktopServices.openUrl(QUrl.fromLocalFile(path))
    return "system"
