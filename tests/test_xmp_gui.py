"""XMP in the app: write-back chosen in Settings, and a rating given in the
grid written to the photo's sidecar off the GUI thread."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets")
pytest.importorskip("exiv2")

from PySide6.QtCore import Qt

from photoorg.gui.settings_dialog import apply_settings
from photoorg.roots import add_root
from photoorg.xmp.settings import OFF, SIDECAR, write_back_mode
from tests.helpers import open_settings_dialog
from tests.test_gui import db_photo, select_row, wait_grid, wait_indexed
from tests.xmp_helpers import read_back

pytestmark = pytest.mark.gui


def test_write_back_set_in_settings_writes_a_rating_given_in_the_grid(
    qtbot, make_window, tiny_model, photo_folder
):
    add_root(tiny_model.db, photo_folder)
    window = make_window(tiny_model)
    wait_indexed(qtbot, window)
    wait_grid(qtbot, window, lambda n: n == 5)

    dialog = open_settings_dialog(window)
    qtbot.addWidget(dialog)
    choice = dialog.write_back
    assert choice.currentData() == OFF  # off until the user turns it on
    assert [choice.itemData(i) for i in range(choice.count())] == ["off", "sidecar", "embedded"]
    choice.setCurrentIndex(choice.findData(SIDECAR))
    with ThreadPoolExecutor(1) as pool:
        pool.submit(apply_settings, tiny_model, dialog.changes()).result()
        assert pool.submit(write_back_mode, tiny_model.db).result() == SIDECAR

    window.grid.setFocus()
    select_row(window, 0)
    row = window.model.rows[0]
    qtbot.keyClick(window.grid, Qt.Key.Key_3)
    qtbot.waitUntil(lambda: db_photo(tiny_model, row.id).rating == 3, timeout=10_000)
    sidecar = db_photo(tiny_model, row.id).path + ".xmp"
    qtbot.waitUntil(lambda: os.path.exists(sidecar), timeout=10_000)
    assert read_back(Path(sidecar))["rating"] == 3
