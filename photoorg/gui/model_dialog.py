"""Getting the CLIP model: what it is, how big, from where; download with
progress and cancel, or use a local weights file."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from photoorg.errors import Cancelled, PhotoorgError
from photoorg.gui.tasks import user_message
from photoorg.library import Library
from photoorg.ml.registry import CURATED_MODELS
from photoorg.progress import CancelToken


class _DownloadBridge(QObject):
    progress = Signal(object, object)  # bytes done, bytes total (ints can exceed 32 bits)
    done = Signal(str)
    failed = Signal(str)


class ModelDialog(QDialog):
    """Shown when search by meaning has no model; ``accepted`` means the model
    is now available (downloaded, or a file chosen)."""

    def __init__(self, library: Library, parent=None, reason: str = "") -> None:
        super().__init__(parent)
        self.library = library
        self.setWindowTitle("Search by meaning needs its model")
        self.setMinimumWidth(520)
        choice = library.model_choice()
        known = next(
            (m for m in CURATED_MODELS if m.arch == choice.arch and m.pretrained == choice.pretrained), None
        )
        size = f"about {known.download_mb} MB" if known else "size unknown"
        source = self._source(choice)
        from photoorg.ml.weights import hf_cache_dir

        text = QLabel(
            f"<p>photoorg finds photos by what is in them with the CLIP model "
            f"<b>{choice.label}</b>. Its weights are not on this computer yet.</p>"
            f"<p>Download: {size}, once, from <a href='{source}'>{source}</a>, into "
            f"<code>{hf_cache_dir()}</code>. Your photos never leave this computer: only the model "
            "comes in.</p>"
            "<p>Or use a weights file you already have (an open_clip checkpoint for this model).</p>"
            "<p>Browsing, the timeline, albums, the viewer and EXIF details work without it.</p>"
        )
        text.setWordWrap(True)
        text.setOpenExternalLinks(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        self.reason = QLabel(reason)
        self.reason.setWordWrap(True)
        self.reason.setObjectName("Muted")
        self.reason.setVisible(bool(reason))
        self.progress = QProgressBar()
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.download_button = QPushButton("Download")
        self.download_button.setObjectName("Primary")
        self.file_button = QPushButton("Use a weights file…")
        self.cancel_button = QPushButton("Not now")
        self.download_button.clicked.connect(self.download)
        self.file_button.clicked.connect(self.choose_file)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.file_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.download_button)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.reason)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._token: CancelToken | None = None
        self._thread: threading.Thread | None = None
        self._bridge = _DownloadBridge()
        self._bridge.progress.connect(self._on_progress)
        self._bridge.done.connect(self._on_done)
        self._bridge.failed.connect(self._on_failed)

    @staticmethod
    def _source(choice) -> str:
        if choice.weights_file or not choice.pretrained:
            return "a local file"
        try:
            from photoorg.ml.weights import weights_source

            return weights_source(choice.arch, choice.pretrained).url
        except PhotoorgError:
            return "the open_clip project"

    # -- download ------------------------------------------------------------------------

    def download(self) -> None:
        choice = self.library.model_choice()
        if not choice.pretrained:
            self.status.setText("This model has no published weights; use a weights file.")
            return
        self._token = CancelToken()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText("Connecting…")
        self.download_button.setEnabled(False)
        self.file_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        token = self._token

        def run() -> None:
            from photoorg.ml.weights import download_weights

            try:
                path = download_weights(
                    choice.arch,
                    choice.pretrained,
                    progress=lambda done, total: self._bridge.progress.emit(done, total),
                    cancel=token,
                )
            except Cancelled:
                self._bridge.failed.emit("Download cancelled.")
            except Exception as exc:
                self._bridge.failed.emit(user_message(exc))
            else:
                self._bridge.done.emit(str(path))

        self._thread = threading.Thread(target=run, name="photoorg-download", daemon=True)
        self._thread.start()

    def _on_progress(self, done: int, total: int | None) -> None:
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
            self.status.setText(f"{done / 1e6:.0f} of {total / 1e6:.0f} MB")
        else:
            self.status.setText(f"{done / 1e6:.0f} MB")

    def _on_done(self, path: str) -> None:
        self.status.setText(f"Model ready ({path}).")
        self.accept()

    def _on_failed(self, message: str) -> None:
        self.progress.hide()
        self.status.setText(message)
        self.download_button.setEnabled(True)
        self.file_button.setEnabled(True)
        self.cancel_button.setText("Not now")

    def _cancel_or_close(self) -> None:
        if self._thread is not None and self._thread.is_alive() and self._token is not None:
            self._token.cancel()
            self.status.setText("Cancelling…")
            return
        self.reject()

    def done(self, result: int) -> None:
        if self._token is not None:
            self._token.cancel()
        if self._thread is not None:
            self._thread.join(timeout=15)
        super().done(result)

    # -- local file --------------------------------------------------------------------------

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Choose an open_clip weights file",
            "",
            "Weights (*.safetensors *.bin *.pt *.pth);;All files (*)",
        )
        if path:
            self.use_file(path)

    def use_file(self, path: str) -> None:
        """Hash and load the file off the GUI thread (a few seconds for 600 MB)."""
        self.status.setText("Checking the weights file…")
        self.progress.setRange(0, 0)
        self.progress.show()
        self.download_button.setEnabled(False)
        self.file_button.setEnabled(False)
        library = self.library

        def run() -> None:
            try:
                library.select_model(library.model_choice().arch, path)
                library.clip_encoder(library.ml_options(offline=True))
            except Exception as exc:
                self._bridge.failed.emit(user_message(exc))
            else:
                self._bridge.done.emit(path)

        self._thread = threading.Thread(target=run, name="photoorg-weights-file", daemon=True)
        self._thread.start()
