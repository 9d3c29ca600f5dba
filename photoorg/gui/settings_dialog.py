"""Settings: folders, model, downloads, device and threads, XMP write-back, theme and thumbnail size.

What the dialog shows is read off the GUI thread before it opens
(:func:`load_settings`), and every change it makes is written off it too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSlider,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from photoorg.gui.grid import MAX_CELL, MIN_CELL
from photoorg.gui.workers import WorkerPool
from photoorg.library import (
    DEVICE_SETTING,
    OFFLINE_SETTING,
    RUNTIME_SETTING,
    THREADS_SETTING,
    Library,
    MlOptions,
)
from photoorg.ml.device import DEVICE_CHOICES
from photoorg.ml.registry import CURATED_MODELS, ModelChoice
from photoorg.roots import RootInfo, add_root, list_roots, remove_root
from photoorg.status import model_status
from photoorg.xmp.settings import MODE_LABELS, OFF, set_write_back_mode, write_back_mode
from photoorg.xmp.writer import unavailable_reason

if TYPE_CHECKING:  # the window opens the dialog
    from photoorg.gui.main_window import MainWindow


@dataclass(frozen=True)
class SettingsData:
    roots: list[RootInfo]
    choice: ModelChoice
    options: MlOptions  # offline there: the stored choice or the environment's
    offline_stored: bool  # the user's own "never download" choice
    model_status: str
    xmp_write_back: str = OFF
    xmp_unavailable: str | None = None  # why write-back can't be turned on here


def load_settings(library: Library) -> SettingsData:
    """Everything the dialog shows (worker thread: the roots' folders are checked on disk)."""
    try:
        status = model_status(library)
    except Exception as exc:  # a broken cache must not break the dialog
        text = f"Can't tell whether the weights are here: {exc}"
    else:
        if status["weights_available"]:
            text = f"Weights: {status['weights_location']}"
        else:
            text = f"Weights not downloaded yet (cache: {status['cache_dir']})."
    offline = bool(library.db.get_setting(OFFLINE_SETTING))
    return SettingsData(
        list_roots(library.db),
        library.model_choice(),
        library.ml_options(),
        offline,
        text,
        write_back_mode(library.db),
        unavailable_reason(),
    )


@dataclass(frozen=True)
class SettingsChanges:
    device: str | None
    threads: int | None
    model: str | None  # a new model spec, or None to keep the current one
    runtime: str | None = None  # "torch", "onnx", or None: automatic
    offline: bool | None = None  # None: the environment decides, the stored choice is kept
    xmp_write_back: str | None = None  # None: unchanged


def apply_settings(library: Library, changes: SettingsChanges) -> bool:
    """Store the choices (worker thread); True when the model changed."""
    library.db.set_setting(DEVICE_SETTING, changes.device)
    library.db.set_setting(THREADS_SETTING, changes.threads)
    library.db.set_setting(RUNTIME_SETTING, changes.runtime)
    if changes.offline is not None:
        library.db.set_setting(OFFLINE_SETTING, True if changes.offline else None)
    if changes.xmp_write_back is not None:
        set_write_back_mode(library.db, changes.xmp_write_back)
    if changes.model:
        library.select_model(changes.model)
        return True
    return False


def open_settings(window: MainWindow) -> None:
    """Read the settings off the GUI thread, show the dialog, write the changes off it."""
    library = window.library

    def show(data: SettingsData) -> None:
        dialog = SettingsDialog(library, data, window.grid.cell_size, window.tasks, window)
        dialog.rescan_requested.connect(lambda: (window.refresh_all(), window.indexing.start()))
        dialog.model_requested.connect(window.status.get_model)
        if not dialog.exec():
            return
        window.grid.set_cell_size(dialog.cell_size)
        window.photo_app.apply_theme(dialog.theme)
        changes = dialog.changes()

        def applied(model_changed: bool) -> None:
            if model_changed:
                window.indexing.start()

        window.tasks.submit(lambda: apply_settings(library, changes), applied)

    window.tasks.submit(lambda: load_settings(library), show, key="settings")


class SettingsDialog(QDialog):
    #: folders were added or removed, or a rescan was asked for
    rescan_requested = Signal()
    #: the user wants to fetch the model now
    model_requested = Signal()

    def __init__(
        self, library: Library, data: SettingsData, cell_size: int, tasks: WorkerPool, parent=None
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.data = data
        self.tasks = tasks
        self.setWindowTitle("Settings")
        self.setMinimumSize(640, 460)
        tabs = QTabWidget()
        tabs.addTab(self._folders_tab(), "Folders")
        tabs.addTab(self._model_tab(), "Model")
        tabs.addTab(self._metadata_tab(), "Metadata")
        tabs.addTab(self._appearance_tab(cell_size), "Appearance")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)
        self.model_changed = False

    # -- folders ------------------------------------------------------------------------

    def _folders_tab(self) -> QWidget:
        page = QWidget()
        self.roots = QListWidget()
        add = QPushButton("Add folder…")
        remove = QPushButton("Remove")
        rescan = QPushButton("Rescan all")
        add.clicked.connect(self._add_root)
        remove.clicked.connect(self._remove_root)
        rescan.clicked.connect(self.rescan_requested)
        note = QLabel(
            "Removing a folder keeps your files and remembers their tags and albums in case it comes back."
        )
        note.setWordWrap(True)
        note.setObjectName("Muted")
        buttons = QHBoxLayout()
        for button in (add, remove, rescan):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addWidget(self.roots)
        layout.addLayout(buttons)
        layout.addWidget(note)
        self._fill_roots(self.data.roots)
        return page

    def _fill_roots(self, roots: list[RootInfo]) -> None:
        self.roots.clear()
        for root in roots:
            state = "" if root.online else " — not connected"
            item = QListWidgetItem(f"{root.path}  ({root.photos:,} photos{state})")
            item.setData(Qt.ItemDataRole.UserRole, root.path)
            self.roots.addItem(item)

    def _add_root(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos", os.path.expanduser("~"))
        if not folder:
            return
        library = self.library

        def add() -> list[RootInfo]:
            add_root(library.db, folder, library.paths.root)
            return list_roots(library.db)

        self.tasks.submit(
            add,
            self._roots_changed,
            lambda message: QMessageBox.warning(self, "Can't add that folder", message),
        )

    def _roots_changed(self, roots: list[RootInfo]) -> None:
        self._fill_roots(roots)
        self.rescan_requested.emit()

    def _remove_root(self) -> None:
        item = self.roots.currentItem()
        if item is None:
            return
        path = item.data(Qt.ItemDataRole.UserRole)
        answer = QMessageBox.question(
            self,
            "Remove folder",
            f"Stop showing the photos in {path}?\n\nNo file is deleted, and their tags and albums are "
            "remembered in case you add the folder again.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            db = self.library.db

            def remove() -> list[RootInfo]:
                remove_root(db, path)
                return list_roots(db)

            self.tasks.submit(remove, self._roots_changed)

    # -- model ------------------------------------------------------------------------------

    def _model_tab(self) -> QWidget:
        page = QWidget()
        choice = self.data.choice
        self.model = QComboBox()
        for known in CURATED_MODELS:
            self.model.addItem(f"{known.spec}  —  {known.summary}", known.spec)
        spec = f"{choice.arch}:{choice.pretrained}"
        index = self.model.findData(spec)
        if index < 0:
            self.model.addItem(choice.label, spec)
            index = self.model.count() - 1
        # Long model names: the list is as wide as its longest entry, and the
        # chosen one is spelled out in full underneath.
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.model.setMinimumContentsLength(24)
        self.model_name = QLabel()
        self.model_name.setWordWrap(True)
        self.model_name.setObjectName("ModelName")
        self.model.currentIndexChanged.connect(self._show_model_name)
        self.model.setCurrentIndex(index)
        self._show_model_name()
        self.offline = QCheckBox("Never download models (offline)")
        self.offline.setToolTip("photoorg then uses only model files already on this computer")
        stored = self.data.offline_stored
        forced = self.data.options.offline and not stored  # the environment says so
        self.offline.setChecked(stored or forced)
        if forced:
            self.offline.setEnabled(False)
            self.offline.setToolTip("PHOTOORG_OFFLINE or HF_HUB_OFFLINE is set in the environment")
        self.model_status = QLabel()
        self.model_status.setWordWrap(True)
        get = QPushButton("Get the model…")
        get.clicked.connect(self.model_requested)
        options = self.data.options
        self.device = QComboBox()
        self.device.addItems(list(DEVICE_CHOICES))
        self.device.setCurrentText(options.device or "auto")
        self.runtime = QComboBox()
        self.runtime.addItems(["auto", "torch", "onnx"])
        self.runtime.setCurrentText(options.runtime or "auto")
        self.runtime.setToolTip(
            "How the CPU runs the image model while indexing. auto: ONNX Runtime (2-4x faster) "
            "when its results match the standard model's, checked once per model."
        )
        self.threads = QSpinBox()
        self.threads.setRange(0, os.cpu_count() or 8)
        self.threads.setSpecialValueText("automatic")
        self.threads.setValue(options.threads or 0)
        form = QFormLayout(page)
        form.addRow("Model", self.model)
        form.addRow("", self.model_name)
        form.addRow("", self.model_status)
        form.addRow("Downloads", self.offline)
        form.addRow("", get)
        form.addRow("Device", self.device)
        form.addRow("CPU runtime", self.runtime)
        form.addRow("CPU threads", self.threads)
        note = QLabel("Changing the model analyses every photo again with it, in the background.")
        note.setWordWrap(True)
        note.setObjectName("Muted")
        form.addRow("", note)
        self.model_status.setText(self.data.model_status)
        return page

    def _show_model_name(self, *_args) -> None:
        text = self.model.currentText()
        self.model_name.setText(text)
        self.model.setToolTip(text)

    # -- metadata ---------------------------------------------------------------------------

    def _metadata_tab(self) -> QWidget:
        page = QWidget()
        self.write_back = QComboBox()
        for mode, label in MODE_LABELS.items():
            self.write_back.addItem(label, mode)
        self.write_back.setCurrentIndex(self.write_back.findData(self.data.xmp_write_back))
        note = QLabel(
            "Ratings, favourites (as the label “Favorite”), your tags, captions and named people are "
            "written as XMP when you change them, for digiKam, darktable and Lightroom to read. "
            "RAW files always get a sidecar (IMG_0001.CR2.xmp). What those apps wrote is read at every scan."
        )
        note.setWordWrap(True)
        note.setObjectName("Muted")
        form = QFormLayout(page)
        form.addRow("Write back", self.write_back)
        form.addRow("", note)
        if self.data.xmp_unavailable:
            self.write_back.setEnabled(self.data.xmp_write_back != OFF)
            missing = QLabel(self.data.xmp_unavailable)
            missing.setWordWrap(True)
            form.addRow("", missing)
        return page

    # -- appearance --------------------------------------------------------------------------

    def _appearance_tab(self, cell_size: int) -> QWidget:
        from photoorg.gui.app import THEMES, saved_theme

        page = QWidget()
        self.theme_choice = QComboBox()
        for theme in THEMES:
            self.theme_choice.addItem(
                "Same as the system" if theme == "system" else theme.capitalize(), theme
            )
        self.theme_choice.setCurrentIndex(THEMES.index(saved_theme()))
        self.cell = QSlider(Qt.Orientation.Horizontal)
        self.cell.setRange(MIN_CELL, MAX_CELL)
        self.cell.setValue(cell_size)
        hint = QLabel("Ctrl + mouse wheel over the photos changes it too.")
        hint.setObjectName("Muted")
        hint.setWordWrap(True)
        form = QFormLayout(page)
        form.addRow("Theme", self.theme_choice)
        form.addRow("Thumbnail size", self.cell)
        form.addRow("", hint)
        return page

    @property
    def theme(self) -> str:
        return self.theme_choice.currentData()

    # -- applying --------------------------------------------------------------------------------

    def changes(self) -> SettingsChanges:
        """The choices made, for :func:`apply_settings` (after the dialog is accepted)."""
        device = self.device.currentText()
        spec = self.model.currentData()
        current = self.data.choice
        changed = spec and spec != f"{current.arch}:{current.pretrained}"
        runtime = self.runtime.currentText()
        return SettingsChanges(
            None if device == "auto" else device,
            self.threads.value() or None,
            spec if changed else None,
            None if runtime == "auto" else runtime,
            self.offline.isChecked() if self.offline.isEnabled() else None,
            self.write_back.currentData(),
        )

    @property
    def cell_size(self) -> int:
        return self.cell.value()
