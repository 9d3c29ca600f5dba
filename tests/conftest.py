"""Shared fixtures: every test gets its own temporary library, no network, and
is checked for threads it left running."""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

# Before anything imports Qt or huggingface_hub.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["PHOTOORG_OFFLINE"] = "1"

from tests.helpers import TINY_ARCH, build_tiny_checkpoint, install_tiny_config, make_photo


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path, monkeypatch):
    # A test that forgets --library must not touch the real user library.
    monkeypatch.setenv("PHOTOORG_LIBRARY", str(tmp_path / "default-library"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("PHOTOORG_CACHE_DIR", str(tmp_path / "user-cache"))
    yield


@pytest.fixture(autouse=True)
def _no_leftover_threads():
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + 5
    while True:
        extra = [
            t
            for t in threading.enumerate()
            if t.ident not in before and t.is_alive() and t.name.startswith("photoorg")
        ]
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not extra, f"threads left running: {[t.name for t in extra]}"


@pytest.fixture
def library_dir(tmp_path) -> Path:
    path = tmp_path / "library"
    install_tiny_config(path)
    return path


@pytest.fixture
def library(library_dir):
    from photoorg.library import Library

    lib = Library(library_dir)
    yield lib
    lib.close()


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory) -> Path:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture
def tiny_model(library, tiny_weights):
    """The library set to use the tiny model through --weights."""
    library.select_model(TINY_ARCH, str(tiny_weights))
    return library


@pytest.fixture
def photo_folder(tmp_path) -> Path:
    """A small folder of real photos with EXIF: two cameras, dates, GPS, a subfolder."""
    root = tmp_path / "Pictures"
    make_photo(
        root / "2019" / "beach.jpg",
        color=(30, 120, 220),
        pattern=1,
        taken=datetime(2019, 7, 14, 16, 30, 5),
        make="Canon",
        model="Canon EOS 40D",
        lens="EF-S17-85mm f/4-5.6 IS USM",
        gps=(43.4674483, 11.8851267),
    )
    make_photo(
        root / "2019" / "forest.jpg",
        color=(30, 160, 40),
        pattern=2,
        taken=datetime(2019, 8, 2, 9, 0, 0),
        make="NIKON CORPORATION",
        model="NIKON D70",
    )
    make_photo(
        root / "2021" / "sunset.jpg",
        color=(230, 120, 30),
        pattern=3,
        taken=datetime(2021, 1, 3, 17, 45, 0),
        make="Canon",
        model="Canon EOS 40D",
        orientation=6,
        size=(400, 300),
    )
    make_photo(root / "2021" / "snow.png", color=(240, 240, 250), pattern=4)
    make_photo(root / "scans" / "letter.webp", color=(250, 250, 230), pattern=5)
    return root


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch):
    """Opens real main windows on libraries, closed again after the test."""
    pytest.importorskip("PySide6.QtWidgets")
    from PySide6.QtCore import QSettings

    from photoorg.gui.app import create_app
    from photoorg.gui.main_window import MainWindow
    from tests.gui_guard import no_blocking_work_on_the_gui_thread

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))  # the trash lives here
    create_app()
    windows = []

    def make(library):
        window = MainWindow(library, QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
        window.resize(1400, 900)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    # The GUI thread never waits on the database or the disk: every window
    # this fixture opens is watched from its construction to its close.
    with no_blocking_work_on_the_gui_thread() as violations:
        yield make
        for window in windows:
            window.close()
    assert not violations, "\n\n".join(violations[:3])
