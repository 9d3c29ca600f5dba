"""The Duplicates page, the Clean up section and burst stacks in the grid,
in a real window over a temporary library."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from photoorg.gui.features.duplicates import DuplicatesPage, GroupCard
from photoorg.gui.grid import STACK_ROLE
from photoorg.gui.sidebar import Scope
from photoorg.gui.stacks import badge_rect, collapse
from photoorg.roots import add_root
from tests.duplicates_helpers import crop, forget_send2trash, save, scene
from tests.test_gui import wait_grid, wait_indexed
from tests.test_gui_screens import layout_problems
from tests.test_tags_gui import _sidebar_labels

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "out" / "screenshots" / "duplicates"


@pytest.fixture(autouse=True)
def _fresh_send2trash():
    # send2trash reads $XDG_DATA_HOME once, when imported: forget it around
    # each test, so that every test's trash is its own (make_window sets it)
    forget_send2trash()
    yield
    forget_send2trash()


def build(folder: Path) -> dict[str, Path]:
    image = scene(21, (800, 600))
    paths = {
        "camera": save(image, folder / "Camera" / "IMG_0001.jpg", taken=datetime(2022, 6, 1, 10, 0, 0)),
        "chat": save(image.resize((400, 300)), folder / "Chat" / "IMG-20220601-WA0003.jpg"),
        "other": save(scene(22), folder / "Camera" / "IMG_0002.jpg", taken=datetime(2022, 6, 1, 11, 0)),
    }
    taken = datetime(2022, 6, 1, 10, 0, 0).timestamp()
    os.utime(paths["camera"], (taken, taken))  # a camera file: written when it was taken
    wide = scene(23, (1000, 600))
    for i, x in enumerate((0.0, 0.12, 0.24)):
        paths[f"burst{i}"] = save(
            crop(wide, 0.8, x, 0.5), folder / "Camera" / f"IMG_01{i}.jpg", taken=datetime(2022, 6, 2, 9, 0, i)
        )
    return paths


@pytest.fixture
def window_with_duplicates(qtbot, make_window, tiny_model, tmp_path):
    paths = build(tmp_path / "Photos")
    add_root(tiny_model.db, tmp_path / "Photos")
    window = make_window(tiny_model)
    wait_indexed(qtbot, window)
    wait_grid(qtbot, window, lambda n: n > 0)
    qtbot.waitUntil(lambda: "Duplicates" in _sidebar_labels(window, "CLEAN UP"), timeout=20_000)
    return window, paths


def test_bursts_are_one_cover_with_a_count_that_opens_in_place(qtbot, window_with_duplicates):
    window, paths = window_with_duplicates
    assert _sidebar_labels(window, "CLEAN UP")[:2] == ["Duplicates", "Bursts"]
    # 6 photos, the 3 of the burst shown as one cover
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=20_000)
    assert window.model.photo_count() == 6
    model = window.model
    covers = [r for r in range(model.rowCount()) if model.index(r).data(STACK_ROLE) is not None]
    assert len(covers) == 1
    cover_row = covers[0]
    assert model.index(cover_row).data(STACK_ROLE) == (3, False)

    window.grid.scrollTo(model.index(cover_row))
    qtbot.wait(100)
    badge = badge_rect(window.grid.visualRect(model.index(cover_row))).center()
    qtbot.mouseClick(window.grid.viewport(), Qt.MouseButton.LeftButton, pos=badge)
    qtbot.waitUntil(lambda: window.model.rowCount() == 6, timeout=20_000)
    assert model.index(cover_row).data(STACK_ROLE) == (3, True)
    burst = {str(paths[f"burst{i}"]) for i in range(3)}
    assert {model.rows[r].path for r in range(cover_row, cover_row + 3)} == burst  # in place, together

    window.grid.stack_clicked.emit(model.rows[cover_row].id)
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=20_000)


def test_collapse_keeps_each_stack_at_its_first_members_place():
    from photoorg.browse import PhotoRow

    rows = [PhotoRow(i, f"/p/{i}.jpg", f"h{i}", datetime(2022, 1, i), 4, 3, 0, False) for i in range(1, 6)]
    shown, info = collapse(rows, {4: [4, 2, 5]}, set())
    assert [r.id for r in shown] == [1, 4, 3] and info == {4: (3, False)}
    shown, info = collapse(rows, {4: [4, 2, 5]}, {4})
    assert [r.id for r in shown] == [1, 4, 2, 5, 3] and info == {4: (3, True)}


def test_the_page_compares_a_group_and_trashes_after_one_confirmation(
    qtbot, window_with_duplicates, monkeypatch
):
    window, paths = window_with_duplicates
    window.sidebar.select_scope(Scope("duplicates", "duplicates", "Duplicates"))
    page = next(iter(window.findChildren(DuplicatesPage)))
    qtbot.waitUntil(lambda: page.isVisible() and len(page.cards) == 1, timeout=10_000)
    card: GroupCard = page.cards[0]
    keeper = next(t for t in card.tiles if t.keep)
    assert keeper.member.path == str(paths["camera"])
    highlighted = {
        label.text()
        for tile in card.tiles
        for label in tile.findChildren(type(card.title))
        if label.property("differs")
    }
    assert "800 × 600" in highlighted and "400 × 300" in highlighted  # resolution differs
    assert any("Chat" in text for text in highlighted)  # so does the folder

    asked: list[str] = []

    def answer(parent, title, text, *args):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    chat_size = paths["chat"].stat().st_size
    card.keep_marked_button.click()
    qtbot.waitUntil(lambda: not paths["chat"].exists(), timeout=10_000)
    assert len(asked) == 1 and "Move 1 photo(s)" in asked[0] and "KB" in asked[0]
    assert f"{chat_size / 1000:.1f} KB" in asked[0]
    trash = Path(os.environ["XDG_DATA_HOME"]) / "Trash" / "files"
    assert [p.name for p in trash.iterdir()] == [paths["chat"].name]
    assert paths["camera"].exists()
    qtbot.waitUntil(lambda: page.cards == [], timeout=10_000)


def test_choosing_another_keeper_and_keep_all(qtbot, window_with_duplicates):
    window, paths = window_with_duplicates
    window.sidebar.select_scope(Scope("duplicates", "duplicates", "Duplicates"))
    page = next(iter(window.findChildren(DuplicatesPage)))
    qtbot.waitUntil(lambda: len(page.cards) == 1, timeout=10_000)
    card = page.cards[0]
    chat = next(t for t in card.tiles if t.member.path == str(paths["chat"]))
    qtbot.mouseClick(chat, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    assert card.keeper == chat.member.id and chat.keep
    assert [t.keep for t in card.tiles].count(True) == 1
    card.keep_all_button.click()
    qtbot.waitUntil(lambda: page.cards == [], timeout=10_000)
    assert paths["chat"].exists() and paths["camera"].exists()


def test_screenshots_of_the_page_in_both_themes_and_two_sizes(qtbot, window_with_duplicates):
    window, _ = window_with_duplicates
    OUT.mkdir(parents=True, exist_ok=True)
    problems = {}
    for theme in ("light", "dark"):
        window.photo_app.apply_theme(theme)
        for width, height in ((1400, 900), (1024, 700)):
            window.resize(width, height)
            window.sidebar.select_scope(Scope("duplicates", "duplicates", "Duplicates"))
            page = next(iter(window.findChildren(DuplicatesPage)))
            qtbot.waitUntil(lambda page=page: len(page.cards) == 1, timeout=10_000)
            qtbot.wait(600)  # thumbnails
            assert window.grab().save(str(OUT / f"duplicates-{theme}-{width}.png"))
            found = layout_problems(window)
            if found:
                problems[f"{theme}-{width}"] = found
            window.sidebar.select_scope(Scope("all", None, "All photos"))
            qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=20_000)
            qtbot.wait(400)
            assert window.grab().save(str(OUT / f"grid-stack-{theme}-{width}.png"))
    window.photo_app.apply_theme("light")
    assert problems == {}
