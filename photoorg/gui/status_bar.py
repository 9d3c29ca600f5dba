"""The status bar and everything about indexing the user sees: the progress
line, pause and stop, the photo count, the zoom slider; adding a folder and
starting a scan; and the offer to get the model when search by meaning waits
for it. Stage names and durations come from the Qt-free :mod:`photoorg.display`,
the same words the CLI prints.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QLabel, QProgressBar, QSlider, QToolButton

from photoorg.display import progress_sentence
from photoorg.gui.grid import MAX_CELL, MIN_CELL
from photoorg.gui.indexing import IndexController
from photoorg.gui.model_dialog import ModelDialog, model_facts
from photoorg.gui.theme import icon
from photoorg.progress import Progress
from photoorg.roots import add_root, list_roots

if TYPE_CHECKING:  # the window builds this object
    from photoorg.gui.main_window import MainWindow


class IndexingStatus(QObject):
    def __init__(self, window: MainWindow, indexing: IndexController) -> None:
        super().__init__(window)
        self.window = window
        self.indexing = indexing
        self.model_missing = ""  # why search by meaning can't run, while it can't
        #: offer the model dialog by itself once per library
        self.offer_model_dialog = True
        self._build(window)
        indexing.started.connect(self._started)
        indexing.progress.connect(self._progress)
        indexing.notice.connect(self._notice)
        indexing.photos_changed.connect(window.refresh_all)
        indexing.finished.connect(self._finished)
        indexing.failed.connect(self._failed)
        indexing.paused_changed.connect(self._paused_changed)
        self.pause_button.clicked.connect(self._toggle_pause)
        self.cancel_button.clicked.connect(indexing.cancel)

    def _build(self, window: MainWindow) -> None:
        status = window.statusBar()
        self.label = QLabel("Ready")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.pause_button = QToolButton()
        self.pause_button.setIcon(icon("pause"))
        self.pause_button.setToolTip("Pause indexing")
        self.pause_button.setAutoRaise(True)
        self.cancel_button = QToolButton()
        self.cancel_button.setIcon(icon("stop"))
        self.cancel_button.setToolTip("Stop indexing (it continues where it stopped next time)")
        self.cancel_button.setAutoRaise(True)
        self.count_label = QLabel()
        self.count_label.setObjectName("Muted")
        grid = window.grid
        self.zoom = QSlider(Qt.Orientation.Horizontal)
        self.zoom.setRange(MIN_CELL, MAX_CELL)
        self.zoom.setValue(grid.cell_size)
        self.zoom.setFixedWidth(110)
        self.zoom.setToolTip("Thumbnail size (Ctrl + wheel)")
        self.zoom.valueChanged.connect(grid.set_cell_size)
        grid.cell_size_changed.connect(self.zoom.setValue)
        for widget in (self.pause_button, self.cancel_button):
            widget.hide()
        status.addWidget(self.label, 1)
        status.addPermanentWidget(self.count_label)
        zoom_icon = QLabel()
        zoom_icon.setPixmap(icon("image").pixmap(16, 16))
        status.addPermanentWidget(zoom_icon)
        status.addPermanentWidget(self.zoom)
        status.addPermanentWidget(self.progress)
        status.addPermanentWidget(self.pause_button)
        status.addPermanentWidget(self.cancel_button)

    def show_count(self, count: int, noun: str = "photo") -> None:
        """What the grid shows: "1 photo", "1,204 photos", "20 results"."""
        self.count_label.setText(f"{count:,} {noun}{'' if count == 1 else 's'}")

    def clear_count(self) -> None:
        self.count_label.clear()

    # -- folders and scans --------------------------------------------------------------------------

    def add_folder(self, folder: str | None = None) -> None:
        """Add a folder to the library (after a dialog) and index it."""
        window = self.window
        folder = folder or QFileDialog.getExistingDirectory(
            window, "Add a folder of photos", os.path.expanduser("~")
        )
        if not folder:
            return
        library = window.library

        def added(result) -> None:
            _, message = result
            window.statusBar().showMessage(message, 5000)
            window.show_grid_page()
            window.refresh_all()
            self.indexing.start()

        window.tasks.submit(lambda: add_root(library.db, folder, library.paths.root), added)

    def scan_if_there_are_folders(self) -> None:
        db = self.window.library.db

        def start(has_roots: bool) -> None:
            if has_roots and not self.indexing.running:
                self.indexing.start()

        self.window.tasks.submit(lambda: bool(list_roots(db)), start)

    # -- indexing progress -----------------------------------------------------------------------

    def _set_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        for widget in (self.pause_button, self.cancel_button):
            widget.setVisible(running)

    def _started(self) -> None:
        self._set_running(True)
        self.progress.setRange(0, 0)
        self.label.setText("Looking for photos…")

    def _progress(self, event: Progress) -> None:
        if event.total:
            self.progress.setRange(0, event.total)
            self.progress.setValue(event.done)
        else:
            self.progress.setRange(0, 0)
        self.label.setText(progress_sentence(event))

    def _notice(self, stage: str, message: str) -> None:
        if stage != "clip":
            self.window.statusBar().showMessage(message, 10000)
            return
        self.model_missing = message
        self.window.search.show_notice(
            "Search by meaning is waiting for its model; browsing, albums and tags work now. "
            '<a href="get-model">Get the model…</a>'
        )
        # Offered once per library; afterwards it stays one click away.
        settings = self.window.settings
        key = f"model/offered/{self.window.library.paths.root}"
        if self.offer_model_dialog and not settings.value(key, False, type=bool):
            settings.setValue(key, True)
            QTimer.singleShot(0, lambda: self.get_model(message, modal=False))

    def _finished(self, summary) -> None:
        self._set_running(False)
        parts = summary.highlights()
        state = "Indexing stopped" if summary.cancelled else "Up to date"
        self.label.setText(state + (": " + ", ".join(parts) if parts else ""))
        self.window.refresh_all()
        self.window.indexing_finished.emit(summary)

    def _failed(self, message: str) -> None:
        self._set_running(False)
        self.label.setText("Indexing stopped")
        self.window.show_error(message)
        self.window.indexing_finished.emit(None)

    def _toggle_pause(self) -> None:
        if self.indexing.paused:
            self.indexing.resume()
        else:
            self.indexing.pause()

    def _paused_changed(self, paused: bool) -> None:
        self.pause_button.setIcon(icon("play" if paused else "pause"))
        self.pause_button.setToolTip("Resume indexing" if paused else "Pause indexing")
        if paused:
            self.label.setText("Indexing paused")

    # -- the model ----------------------------------------------------------------------------------

    def get_model(self, reason: str = "", modal: bool = True) -> None:
        """Offer to download the model (or use a file); its facts are read off the GUI thread."""
        library = self.window.library
        reason = reason or self.model_missing
        self.window.tasks.submit(
            lambda: model_facts(library), lambda facts: self._show_model_dialog(facts, reason, modal)
        )

    def _show_model_dialog(self, facts, reason: str, modal: bool) -> None:
        if self.window.closing:
            return
        dialog = ModelDialog(self.window.library, facts, self.window, reason)
        dialog.accepted.connect(self._model_ready)
        if modal:
            dialog.exec()
        else:
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()

    def close_dialogs(self) -> None:
        """Stop a download in progress (the window closes)."""
        for dialog in self.window.findChildren(ModelDialog):
            dialog.reject()

    def notice_link(self, link: str) -> None:
        if link == "get-model":
            self.get_model()

    def _model_ready(self) -> None:
        self.model_missing = ""
        self.window.search.show_notice("")
        self.indexing.start()
