"""Getting the CLIP model: what it is, how big, from where; download with
progress and cancel, or use a local weights file."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from photoorg.errors import Cancelled, ModelUnavailableError, PhotoorgError
from photoorg.gui.workers import BACKGROUND_NICENESS, Job, WorkerPool, report
from photoorg.library import Library
from photoorg.ml.registry import CURATED_MODELS, ModelChoice
from photoorg.ml.weights import download_weights, hf_cache_dir, weights_source
from photoorg.progress import CancelToken


@dataclass(frozen=True)
class ModelFacts:
    """What the dialog says about the model, read off the GUI thread."""

    choice: ModelChoice
    size: str
    source: str
    cache_dir: str


def model_facts(library: Library) -> ModelFacts:
    """Reads the library's settings (worker thread)."""
    choice = library.model_choice()
    known = next(
        (m for m in CURATED_MODELS if m.arch == choice.arch and m.pretrained == choice.pretrained), None
    )
    size = f"about {known.download_mb} MB" if known else "size unknown"
    return ModelFacts(choice, size, _source(choice), str(hf_cache_dir()))


def _source(choice: ModelChoice) -> str:
    if choice.weights_file or not choice.pretrained:
        return "a local file"
    try:
        return weights_source(choice.arch, choice.pretrained).url
    except PhotoorgError:
        return "the open_clip project"


class ModelDialog(QDialog):
    """Shown when search by meaning has no model; ``accepted`` means the model
    is now available (downloaded, or a file chosen)."""

    def __init__(self, library: Library, facts: ModelFacts, parent=None, reason: str = "") -> None:
        super().__init__(parent)
        self.library = library
        self.choice = facts.choice
        self.setWindowTitle("Search by meaning needs its model")
        self.setMinimumWidth(520)
        source = facts.source
        text = QLabel(
            f"<p>photoorg finds photos by what is in them with the CLIP model "
            f"<b>{facts.choice.label}</b>. Its weights are not on this computer yet.</p>"
            f"<p>Download: {facts.size}, once, from <a href='{source}'>{source}</a>, into "
            f"<code>{facts.cache_dir}</code>. Your photos never leave this computer: only the model "
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
        self._pool: WorkerPool | None = None  # started with the first download or file
        self._job: Job | None = None

    def _submit(self, fn, **options) -> None:
        if self._pool is None:
            # Loading a weights file builds the model: heavy, so niced like indexing.
            self._pool = WorkerPool("photoorg-model", 1, niceness=BACKGROUND_NICENESS, parent=self)
        self._job = self._pool.submit(fn, self._on_done, self._on_failed, **options)

    # -- download ------------------------------------------------------------------------

    def download(self) -> None:
        choice = self.choice
        if not choice.pretrained:
            self.status.setText("This model has no published weights; use a weights file.")
            return
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText("Connecting…")
        self.download_button.setEnabled(False)
        self.file_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        token = CancelToken()

        def run() -> str:
            try:
                path = download_weights(
                    choice.arch,
                    choice.pretrained,
                    progress=lambda done, total: report((done, total)),
                    cancel=token,
                )
            except Cancelled as exc:
                raise Cancelled("Download cancelled.") from exc
            except ModelUnavailableError as exc:
                # Asked for by name: here the network's own reason is what helps.
                raise ModelUnavailableError(f"Can't download the model now: {exc.reason or exc}.") from exc
            return str(path)

        self._submit(run, on_yield=lambda p: self._on_progress(*p), token=token, cooperative=True)

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
        if self._job is not None and not self._job.finished and not self._job.token.cancelled:
            self._job.token.cancel()  # the download stops and answers "cancelled"
            self.status.setText("Cancelling…")
            return
        self.reject()

    def done(self, result: int) -> None:
        if self._pool is not None:
            self._pool.shutdown(timeout=15)
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

        def run() -> str:
            library.select_model(library.model_choice().arch, path)
            library.clip_encoder(library.ml_options(offline=True))
            return path

        self._submit(run)
