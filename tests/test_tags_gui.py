"""Tags, events and groups in the real main window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import QItemSelectionModel, Qt

from photoorg.gui.sidebar import Scope
from photoorg.roots import add_root
from photoorg.tags import store
from tests.helpers import make_photo
from tests.test_gui import wait_grid, wait_indexed

pytestmark = pytest.mark.gui


@pytest.fixture
def tagged(qtbot, make_window, tiny_model, tmp_path):
    folder = tmp_path / "trip"
    start = datetime(2020, 5, 1, 10, 0)
    for i in range(6):
        make_photo(
            folder / f"p{i}.jpg", pattern=i, taken=start + timedelta(minutes=15 * i), gps=(43.4633, 11.8797)
        )
    add_root(tiny_model.db, folder)
    window = make_window(tiny_model)
    wait_indexed(qtbot, window)
    wait_grid(qtbot, window, lambda n: n == 6)
    ids = [row.id for row in window.model.rows]
    store.add_tag(tiny_model.db, ids[:2], "dog")
    store.add_tag(tiny_model.db, ids[2:3], "golden retriever")
    window.refresh_all()
    return window, ids


def _sidebar_labels(window, section_title: str) -> list[str]:
    sidebar = window.sidebar
    for i in range(sidebar.topLevelItemCount()):
        header = sidebar.topLevelItem(i)
        if header.text(0) == section_title and not header.isHidden():
            labels = []
            stack = [header.child(j) for j in range(header.childCount())]
            while stack:
                item = stack.pop(0)
                labels.append(item.text(0))
                stack.extend(item.child(j) for j in range(item.childCount()))
            return labels
    return []


def test_tag_sidebar_filters_the_grid_with_descendants(qtbot, tagged):
    window, ids = tagged
    qtbot.waitUntil(lambda: "dog" in _sidebar_labels(window, "TAGS"), timeout=10_000)
    window.sidebar.select_scope(Scope("tag", "dog", "dog"))
    # "dog" finds the golden retriever too.
    qtbot.waitUntil(lambda: sorted(window.model.ids()) == sorted(ids[:3]), timeout=10_000)
    window.sidebar.select_scope(Scope("tag", "golden retriever", "golden retriever"))
    qtbot.waitUntil(lambda: window.model.ids() == [ids[2]], timeout=10_000)


def test_events_section_lists_the_trip(qtbot, tagged):
    window, _ = tagged
    qtbot.waitUntil(
        lambda: any("Arezzo" in label for label in _sidebar_labels(window, "EVENTS")), timeout=20_000
    )
    event = next(label for label in _sidebar_labels(window, "EVENTS") if "Arezzo" in label)
    assert "2020" in event


def test_tag_editor_adds_and_removes_from_the_keyboard(qtbot, tagged, monkeypatch):
    window, ids = tagged
    from photoorg.gui.features import tags as tags_gui

    def drive(editor):
        editor.field.setText("Cabin weekend")
        editor._add()
        rows = [editor.current.item(i).data(Qt.ItemDataRole.UserRole) for i in range(editor.current.count())]
        editor.current.setCurrentRow(rows.index("dog"))
        editor._remove()
        return 0

    monkeypatch.setattr(tags_gui.TagEditor, "exec", drive)
    window.grid.setFocus()
    selection = window.grid.selectionModel()
    for row in (window.model.row_for_id(ids[0]), window.model.row_for_id(ids[1])):
        selection.select(window.model.index(row), QItemSelectionModel.SelectionFlag.Select)
    qtbot.keyClick(window.grid, Qt.Key.Key_T)

    def names(pid):
        from photoorg.tags.vocabulary import TagTree

        with window.library.db.session() as s:
            return {t["name"] for t in store.photo_tags(s, pid, TagTree.from_session(s))}

    qtbot.waitUntil(
        lambda: all("cabin weekend" in names(p) and "dog" not in names(p) for p in ids[:2]), timeout=10_000
    )
    # The details panel shows the photo's tags.
    selection.setCurrentIndex(
        window.model.index(window.model.row_for_id(ids[0])), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    qtbot.waitUntil(
        lambda: (
            "cabin weekend"
            in " ".join(w.text() for w in window.details.findChildren(type(window.status.count_label)))
        ),
        timeout=10_000,
    )
