"""Starting the desktop app."""

from __future__ import annotations

import importlib
import sys

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QStyleFactory

from photoorg.errors import PhotoorgError
from photoorg.gui.main_window import MainWindow
from photoorg.gui.theme import stylesheet
from photoorg.library import Library
from photoorg.memory import freeze_long_lived, tune_allocator


def dark_palette() -> QPalette:
    palette = QPalette()
    window, base, text = QColor("#1f2023"), QColor("#17181a"), QColor("#e8e8ea")
    for role, colour in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, window),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, QColor("#2a2b2f")),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.ToolTipBase, QColor("#2a2b2f")),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Highlight, QColor("#2563eb")),
        (QPalette.ColorRole.HighlightedText, QColor("white")),
        (QPalette.ColorRole.PlaceholderText, QColor("#8a8b90")),
        (QPalette.ColorRole.Link, QColor("#8ab4f8")),
        (QPalette.ColorRole.LinkVisited, QColor("#c58af9")),
    ):
        palette.setColor(role, colour)
    return palette


THEMES = ("system", "light", "dark")


def saved_theme() -> str:
    """The theme chosen in Settings (kept with the app's settings, not the library)."""
    theme = str(QSettings("photoorg", "photoorg").value("view/theme", "system"))
    return theme if theme in THEMES else "system"


def light_palette(palette: QPalette) -> QPalette:
    """Fusion's light palette, with the two text colours that miss WCAG AA
    (4.5:1) made darker: placeholder text (4.0:1) and selected text (3.7:1)."""
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#686868"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#2563eb"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("white"))
    return palette


def apply_look(app: QApplication, theme: str = "system") -> None:
    """Fusion in light or dark ("system" follows the desktop; native look on macOS)."""
    dark = theme == "dark" or (
        theme == "system" and QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    )
    if sys.platform != "darwin" or theme != "system":
        app.setStyle(QStyleFactory.create("Fusion"))
        app.setPalette(dark_palette() if dark else light_palette(app.style().standardPalette()))
    app.setStyleSheet(stylesheet(app.palette()))


# Imported before the window opens, not by the index thread mid-run: loading
# an extension module holds the GIL (scipy's took up to 450 ms with its
# warnings), and the window would freeze for as long. ~0.3 s at start-up.
# torch is left out: it costs seconds, and only a run that embeds needs it.
PRELOADED_MODULES = ("scipy.sparse", "scipy.sparse.csgraph", "dlib", "pillow_heif")


def preload_modules() -> None:
    for name in PRELOADED_MODULES:
        try:
            importlib.import_module(name)
        except (ImportError, OSError):  # an optional feature's library: the feature says so when used
            pass


def create_app(argv: list[str] | None = None, *, preload: bool = True) -> QApplication:
    # Background threads (indexing, thumbnails) run Python too. The GUI thread
    # must win the GIL back quickly or painting waits on them: 2 ms instead of
    # the default 5 ms halved the worst event-loop stall in the latency test.
    sys.setswitchinterval(0.002)
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("photoorg")
    app.setOrganizationName("photoorg")
    app.setApplicationDisplayName("photoorg")
    apply_look(app, saved_theme())
    from photoorg.gui.none_refcount import install as guard_none_refcount

    guard_none_refcount(app)  # PySide6 6.12 on Python 3.11: see the module
    if preload:
        preload_modules()
    return app


class _FirstPaint(QObject):
    def __init__(self, window: MainWindow, then) -> None:
        super().__init__(window)
        self._then = then
        window.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._then)  # after this paint reaches the screen
        return False


def after_first_paint(window: MainWindow) -> None:
    """What must not delay the window's first paint: the imports that would
    otherwise stall it mid-indexing, then the search model, loaded in the
    background (niced) so that the first search answers at once."""

    def then() -> None:
        preload_modules()
        freeze_long_lived("startup")  # Qt's, SQLAlchemy's and the window's objects live until exit
        window.prepare_search()

    _FirstPaint(window, then)


def run_app(library_dir: str | None = None) -> int:
    app = create_app(preload=False)  # after the first paint instead
    try:
        library = Library(library_dir)
    except PhotoorgError as exc:
        QMessageBox.critical(None, "photoorg can't open the library", str(exc))
        return 1
    window = MainWindow(library)
    window.show()
    after_first_paint(window)
    try:
        return app.exec()
    finally:
        library.close()


def main() -> int:
    tune_allocator()
    library = None
    args = sys.argv[1:]
    if "--library" in args:
        index = args.index("--library")
        library = args[index + 1] if index + 1 < len(args) else None
    return run_app(library)


if __name__ == "__main__":
    raise SystemExit(main())
