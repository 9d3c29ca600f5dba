"""The real main window against a temporary library, driven like a user would."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import QItemSelectionModel, QSettings, Qt, QTimer
from PySide6.QtWidgets import QInputDialog, QMessageBox
from sqlalchemy import select

from photoorg.store.schema import Album, AlbumPhoto, Photo
from tests.helpers import make_photo

pytestmark = pytest.mark.gui

SCREENSHOTS = Path(__file__).resolve().parents[1] / "benchmarks" / "out" / "screenshots"


def wait_indexed(qtbot, window, timeout=120_000):
    with qtbot.waitSignal(window.indexing_finished, timeout=timeout) as blocker:
        pass
    return blocker.args[0]


def wait_grid(qtbot, window, predicate, timeout=20_000):
    qtbot.waitUntil(lambda: predicate(window.model.photo_count()), timeout=timeout)


def select_row(window, row: int) -> None:
    index = window.model.index(row)
    window.grid.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def db_photo(library, photo_id):
    with library.db.session() as s:
        return s.get(Photo, photo_id)


def test_first_run_shows_welcome_then_indexes_a_folder(qtbot, make_window, tiny_model, photo_folder):
    window = make_window(tiny_model)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.welcome)
    with qtbot.waitSignal(window.indexing_finished, timeout=120_000) as blocker:
        window.add_folder(str(photo_folder))  # what the "Add folder…" button does after its dialog
    summary = blocker.args[0]
    assert summary.indexed == 5
    wait_grid(qtbot, window, lambda n: n == 5)
    assert window.pages.currentWidget() is window.grid_page
    qtbot.waitUntil(lambda: window.status.count_label.text() == "5 photos", timeout=10_000)
    # The timeline and folders in the sidebar are filled.
    texts = [window.sidebar.topLevelItem(i).text(0) for i in range(window.sidebar.topLevelItemCount())]
    assert "FOLDERS" in texts and "TIMELINE" in texts


def test_search_select_rate_favourite_album_and_viewer(
    qtbot, make_window, tiny_model, photo_folder, monkeypatch
):
    library = tiny_model
    from photoorg.roots import add_root

    add_root(library.db, photo_folder)
    window = make_window(library)
    wait_indexed(qtbot, window)
    wait_grid(qtbot, window, lambda n: n == 5)

    # Search by description: ranked results with scores.
    window.search.cutoff.setValue(0)
    window.search.set_text("an orange sunset")
    qtbot.waitUntil(lambda: window.model.rowCount() > 0 and bool(window.model._scores), timeout=20_000)
    scores = [window.model._scores[row.id] for row in window.model.rows]
    assert scores == sorted(scores, reverse=True)
    window.search.set_text("")
    wait_grid(qtbot, window, lambda n: n == 5)

    # Select, rate from the keyboard, favourite.
    window.grid.setFocus()
    select_row(window, 0)
    photo_id = window.model.rows[0].id
    qtbot.keyClick(window.grid, Qt.Key.Key_4)
    qtbot.waitUntil(lambda: db_photo(library, photo_id).rating == 4, timeout=10_000)
    qtbot.keyClick(window.grid, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: db_photo(library, photo_id).favorite, timeout=10_000)
    qtbot.waitUntil(lambda: window.model.rows[window.model.row_for_id(photo_id)].rating == 4, timeout=10_000)

    # Multi-select and make an album from the selection.
    window.grid.selectAll()
    assert len(window.grid.selected_ids()) == 5
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Holidays", True))
    window.actions_.create_album(window.grid.selected_ids())
    qtbot.waitUntil(lambda: _album_size(library, "Holidays") == 5, timeout=10_000)

    # Open the viewer with Enter, go to the next photo, come back with Esc.
    select_row(window, 1)
    qtbot.keyClick(window.grid, Qt.Key.Key_Return)
    assert window.pages.currentWidget() is window.viewer
    qtbot.waitUntil(lambda: window.viewer.canvas.pixmap is not None, timeout=10_000)
    qtbot.keyClick(window.viewer, Qt.Key.Key_Right)
    assert window.viewer.position == 2
    qtbot.keyClick(window.viewer, Qt.Key.Key_Escape)
    assert window.pages.currentWidget() is window.grid_page
    assert window.grid.selected_ids() == [window.model.rows[2].id]


def _album_size(library, name) -> int:
    with library.db.session() as s:
        album = s.scalar(select(Album).where(Album.name == name))
        if album is None:
            return 0
        return len(list(s.scalars(select(AlbumPhoto.photo_id).where(AlbumPhoto.album_id == album.id))))


def test_delete_asks_first_and_moves_to_the_trash(qtbot, make_window, tiny_model, photo_folder, monkeypatch):
    library = tiny_model
    from photoorg.roots import add_root

    add_root(library.db, photo_folder)
    window = make_window(library)
    wait_indexed(qtbot, window)
    wait_grid(qtbot, window, lambda n: n == 5)
    window.grid.setFocus()
    select_row(window, 0)
    row = window.model.rows[0]
    answers = []

    def answer(*args, **kwargs):
        answers.append(args[2])
        return QMessageBox.StandardButton.Cancel if len(answers) == 1 else QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    qtbot.keyClick(window.grid, Qt.Key.Key_Delete)
    assert os.path.exists(row.path), "cancelled: nothing moves"
    qtbot.keyClick(window.grid, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: not os.path.exists(row.path), timeout=10_000)
    assert "trash" in answers[0].lower()
    trashed = list((Path(os.environ["XDG_DATA_HOME"]) / "Trash" / "files").iterdir())
    assert [p.name for p in trashed] == [os.path.basename(row.path)]
    wait_grid(qtbot, window, lambda n: n == 4)
    assert db_photo(library, row.id).missing_since is not None  # kept, out of view


def test_without_a_model_search_explains_and_browsing_works(qtbot, make_window, library, photo_folder):
    from photoorg.roots import add_root

    add_root(library.db, photo_folder)
    window = make_window(library)
    wait_indexed(qtbot, window)
    wait_grid(qtbot, window, lambda n: n == 5)
    # The model dialog was offered once, by itself: what, how big, from where.
    from photoorg.gui.model_dialog import ModelDialog

    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(ModelDialog)), timeout=10_000)
    dialog = next(d for d in window.findChildren(ModelDialog) if d.isVisible())
    text = " ".join(label.text() for label in dialog.findChildren(type(window.status.count_label)))
    assert "ViT-B-32" in text and "MB" in text and "huggingface.co" in text
    dialog.download_button.click()  # offline here: it must say so, quickly, and stay open
    qtbot.waitUntil(lambda: "HF_HUB_OFFLINE" in dialog.status.text(), timeout=10_000)
    assert dialog.download_button.isEnabled()
    dialog.cancel_button.click()
    assert not dialog.isVisible()

    window.search.set_text("a dog on the beach")
    qtbot.waitUntil(lambda: "rank by meaning" in window.search.notice.text().lower(), timeout=30_000)
    assert "ViT-B-32" in window.search.notice.text() and "get-model" in window.search.notice.text()
    window.search.set_text("")
    wait_grid(qtbot, window, lambda n: n == 5)


def test_state_is_remembered(qtbot, make_window, tiny_model, photo_folder, tmp_path):
    from photoorg.roots import add_root

    add_root(tiny_model.db, photo_folder)
    window = make_window(tiny_model)
    wait_indexed(qtbot, window)
    window.grid.set_cell_size(240)
    window.close()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert int(settings.value("grid/cell")) == 240
    assert settings.value("window/geometry") is not None
    again = make_window(tiny_model)
    assert again.grid.cell_size == 240
    wait_indexed(qtbot, again)


def test_shortcuts_dialog_lists_the_keys(qtbot, make_window, library, monkeypatch):
    from photoorg.gui.dialogs import SHORTCUTS, ShortcutsDialog

    shown = []
    monkeypatch.setattr(ShortcutsDialog, "exec", lambda self: shown.append(self.findChild(object)) or 0)
    window = make_window(library)
    window.shortcuts_action.trigger()
    assert shown
    keys = " ".join(k for k, _ in SHORTCUTS)
    for key in ("Ctrl+F", "Enter", "Esc", "Del", "Ctrl+A", "F11", "0 – 5"):
        assert key in keys


@pytest.mark.slow
# Its own limit, above the wait below: on a busy machine indexing 1,000 photos
# with every default stage can pass the suite's 300 s, and a timeout that fires
# inside Qt's event loop aborts the whole run instead of failing one test.
@pytest.mark.timeout(900)
def test_gui_stays_responsive_while_indexing_and_scrolling(qtbot, make_window, tiny_model, tmp_path):
    """An event-loop latency probe: a 10 ms timer whose lateness is recorded
    while 1,000 photos are indexed and the grid is scrolled."""
    folder = tmp_path / "thousand"
    for i in range(1000):
        make_photo(
            folder / f"{i // 100:02d}" / f"p{i:04d}.jpg",
            size=(640, 480),
            pattern=i,
            color=(i % 256, (i * 3) % 256, 140),
        )
    from photoorg.roots import add_root

    add_root(tiny_model.db, folder)
    window = make_window(tiny_model)
    lateness: list[float] = []
    interval = 0.010
    state = {"last": time.perf_counter()}

    def probe():
        now = time.perf_counter()
        lateness.append(max(0.0, now - state["last"] - interval))
        state["last"] = now

    def scroll():
        bar = window.grid.verticalScrollBar()
        bar.setValue(bar.value() + 120 if bar.value() < bar.maximum() else 0)

    probe_timer, scroll_timer = QTimer(), QTimer()
    probe_timer.timeout.connect(probe)
    scroll_timer.timeout.connect(scroll)
    probe_timer.start(int(interval * 1000))
    scroll_timer.start(40)
    summary = wait_indexed(qtbot, window, timeout=800_000)
    probe_timer.stop()
    scroll_timer.stop()
    assert summary.indexed == 1000
    lateness.sort()
    worst = lateness[-1] * 1000
    p99 = lateness[int(0.99 * (len(lateness) - 1))] * 1000
    report = {
        "samples": len(lateness),
        "worst_ms": round(worst, 1),
        "p99_ms": round(p99, 1),
        "indexing_seconds": round(summary.seconds, 1),
    }
    print(f"\nGUI event-loop stalls while indexing 1000 photos and scrolling: {report}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS.parent / "gui_latency.json").write_text(json.dumps(report, indent=2))
    assert len(lateness) > 100
    # The 100 ms goal is reported above and in the README; this bound only
    # catches a real freeze, so a noisy CI machine does not fail the suite.
    assert worst < 2000, report


def test_screenshot_of_a_populated_library(qtbot, make_window, tiny_model, tmp_path):
    """Saves a screenshot of the window over a library of real photos (the
    team's camera samples when present, generated pictures otherwise)."""
    import shutil
    from datetime import datetime

    from photoorg.roots import add_root
    from tests.helpers import SHARED_DATA

    folder = tmp_path / "Photos"
    samples = sorted((SHARED_DATA / "exif-samples" / "jpg").glob("*.jpg"))
    samples += sorted((SHARED_DATA / "exif-samples" / "jpg" / "gps").glob("*.jpg"))
    samples += sorted((SHARED_DATA / "faces-dev").glob("*.jpg"))
    if samples:
        for sample in samples:
            target = folder / sample.parent.name / sample.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(sample, target)
    else:
        palette = [
            (224, 122, 95),
            (61, 64, 91),
            (129, 178, 154),
            (242, 204, 143),
            (100, 149, 237),
            (230, 57, 70),
        ]
        for i in range(36):
            make_photo(
                folder / f"{2019 + i % 4}" / f"IMG_{i:04d}.jpg",
                size=(480, 360 if i % 3 else 480),
                color=palette[i % len(palette)],
                pattern=i,
                taken=datetime(2019 + i % 4, 1 + i % 12, 1 + i % 28, 12, 0),
                make="Canon",
                model="Canon EOS R6",
            )
    expected = len(list(folder.rglob("*.jpg")))
    add_root(tiny_model.db, folder)
    window = make_window(tiny_model)
    wait_indexed(qtbot, window)
    wait_grid(qtbot, window, lambda n: n == expected)
    select_row(window, 2)
    qtbot.waitUntil(lambda: window.details.title.text() != "No photo selected", timeout=10_000)
    qtbot.wait(800)  # thumbnails arrive
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / "main_window.png"
    assert window.grab().save(str(path))
    print(f"\nscreenshot: {path}")


@pytest.mark.skipif(
    not hasattr(os, "getpriority") or os.uname().sysname != "Linux", reason="per-thread nice is Linux's"
)
def test_indexing_threads_run_below_the_windows_priority():
    """The index thread lowers its own CPU priority, and the workers it starts
    (decoders, the model's threads) inherit it; the GUI thread keeps its own."""
    import threading

    from photoorg.gui.workers import yield_cpu_to_the_window

    seen = {}

    def worker():
        seen["worker"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def index_thread():
        yield_cpu_to_the_window()
        seen["index"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        child = threading.Thread(target=worker)
        child.start()
        child.join()

    main = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=index_thread)
    thread.start()
    thread.join()
    assert seen["index"] == min(19, main + 10)
    assert seen["worker"] == seen["index"]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main


def test_settings_are_read_and_written_off_the_gui_thread(
    qtbot, make_window, tiny_model, photo_folder, monkeypatch
):
    """The dialog shows the folders (each checked on disk) and stores a change;
    the make_window guard fails the test if either happens on the GUI thread."""
    from photoorg.gui.settings_dialog import SettingsDialog
    from photoorg.library import THREADS_SETTING
    from photoorg.roots import add_root

    add_root(tiny_model.db, photo_folder)
    window = make_window(tiny_model)
    wait_indexed(qtbot, window)
    shown = []

    def choose(dialog) -> int:
        shown.append([dialog.roots.item(i).text() for i in range(dialog.roots.count())])
        dialog.threads.setValue(2)
        return 1  # OK

    monkeypatch.setattr(SettingsDialog, "exec", choose)
    window.settings_action.trigger()
    qtbot.waitUntil(lambda: tiny_model.db.get_setting(THREADS_SETTING) == 2, timeout=10_000)
    assert shown == [[f"{photo_folder}  (5 photos)"]]
