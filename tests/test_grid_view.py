"""The photo grid view: justified and square tiles, date headers, the scrubber,
hover checks, and the scroll position kept through zoom and resize."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt

from photoorg.browse import PhotoRow
from photoorg.gui.grid import ID_ROLE, PhotoGridModel

pytestmark = pytest.mark.gui

SHAPES = [(400, 300), (300, 400), (500, 500), (900, 300)]


def fake_rows(count: int) -> list[PhotoRow]:
    start = datetime(2024, 6, 30, 12)
    return [
        PhotoRow(i + 1, f"/nowhere/{i}.jpg", None, start - timedelta(days=i // 3), *SHAPES[i % 4], 0, False)
        for i in range(count)
    ]


@pytest.fixture
def grid(qtbot, tmp_path):
    from photoorg.gui.app import create_app
    from photoorg.gui.grid_view import JustifiedGridView
    from photoorg.gui.images import ImageLoader, Thumbnails
    from photoorg.scan.thumbnails import ThumbnailCache

    create_app()
    loader = ImageLoader(threads=1)
    view = JustifiedGridView(Thumbnails(loader, ThumbnailCache(tmp_path / "thumbs")))
    model = PhotoGridModel(view)
    view.setModel(model)
    view.resize(1000, 700)
    qtbot.addWidget(view)
    view.show()
    model.set_rows(fake_rows(3000))
    yield view, model
    loader.stop()


def top_photo(view) -> tuple[int, int]:
    """The photo at the top left of the viewport, and its offset from the top."""
    index = view.indexAt(QPoint(2, 50))
    return index.row(), view.visualRect(index).top()


def test_photos_keep_their_shape_and_rows_fill_the_width(grid):
    view, _model = grid
    layout = view.grid_layout()
    for row in range(3):
        _x, _y, w, h = layout.rect(row)
        width, height = SHAPES[row % 4]
        assert w / h == pytest.approx(width / height)
    view.set_square(True)
    _x, _y, w, h = view.grid_layout().rect(0)
    assert w == pytest.approx(h)


def test_zoom_and_resize_keep_the_photo_at_the_top(grid, qtbot):
    view, _model = grid
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 2)
    before, _ = top_photo(view)
    view.set_cell_size(view.cell_size + 60)
    after, offset = top_photo(view)
    assert abs(after - before) <= 6 and abs(offset) < view.cell_size + 60
    view.resize(700, 700)
    qtbot.wait(50)
    again, _ = top_photo(view)
    assert abs(again - before) <= 6


def test_date_headers_follow_the_zoom_and_stick_to_the_top(grid):
    view, _model = grid
    view.set_cell_size(240)
    assert view.header_titles()[0] == "Sunday 30 June 2024"
    view.set_cell_size(150)
    assert view.header_titles()[0] == "June 2024"
    view.set_cell_size(100)
    assert view.header_titles()[0] == "2024"
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 2)
    titles = view.header_titles()
    assert titles and titles[0] != "2024", "the pinned header names the section at the top"
    view.set_sections_enabled(False)
    assert view.header_titles() == []


def test_scrubber_names_the_month_under_the_cursor_and_jumps(grid):
    view, model = grid
    assert view.label_at_fraction(0.0) == "June 2024"
    last = model.rows[-1].date
    assert view.label_at_fraction(1.0) == f"{last:%B} {last.year}"
    years = [label for _, label in view.scrubber.marks]
    assert years == ["2024", "2023", "2022", "2021"]  # 3000 photos, three a day, back from June 2024
    view.scrubber.jump_requested.emit(0.5)
    bar = view.verticalScrollBar()
    assert bar.value() == pytest.approx(bar.maximum() / 2, abs=2)


def test_the_check_on_a_tile_adds_it_to_the_selection(grid, qtbot):
    view, model = grid
    first, second = view.visualRect(model.index(0)), view.visualRect(model.index(1))
    view.selectionModel().setCurrentIndex(model.index(0), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    qtbot.mouseMove(view.viewport(), second.center())
    assert view.hovered_row == 1
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.check_rect(second).center())
    assert view.selected_ids() == [model.rows[0].id, model.rows[1].id]
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.check_rect(first).center())
    assert view.selected_ids() == [model.rows[1].id]
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=first.center())
    assert view.selected_ids() == [model.index(0).data(ID_ROLE)], "a click on the photo selects only it"


def test_keyboard_moves_by_rows(grid, qtbot):
    view, model = grid
    view.setFocus()
    view.selectionModel().setCurrentIndex(model.index(0), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.currentIndex().row() == 1
    qtbot.keyClick(view, Qt.Key.Key_Down)
    layout = view.grid_layout()
    assert layout.row_of(view.currentIndex().row()) == layout.row_of(1) + 1
