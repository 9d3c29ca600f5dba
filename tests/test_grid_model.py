"""The grid's model updates by diff, keeping selection and scroll."""

from __future__ import annotations

from datetime import datetime

import pytest

pytest.importorskip("PySide6.QtCore")

from PySide6.QtCore import QPersistentModelIndex

from photoorg.browse import PhotoRow
from photoorg.gui.grid import ID_ROLE, PhotoGridModel


def rows(*ids, rating=0):
    return [PhotoRow(i, f"/p/{i}.jpg", f"{i:064x}", datetime(2020, 1, 1), 10, 10, rating, False) for i in ids]


def test_insertions_and_removals_keep_persistent_indexes(qtmodeltester):
    model = PhotoGridModel()
    model.set_rows(rows(10, 20, 30, 40))
    qtmodeltester.check(model)
    kept = QPersistentModelIndex(model.index(2))  # photo 30
    inserted, removed = [], []
    model.rowsInserted.connect(lambda parent, first, last: inserted.append((first, last)))
    model.rowsRemoved.connect(lambda parent, first, last: removed.append((first, last)))
    resets = []
    model.modelReset.connect(lambda: resets.append(1))

    model.set_rows(rows(5, 10, 30, 35, 36, 40))  # 20 gone; 5, 35, 36 new
    assert resets == []
    assert removed == [(1, 1)] and inserted == [(0, 0), (3, 4)]
    assert model.ids() == [5, 10, 30, 35, 36, 40]
    assert kept.row() == 2 and kept.data(ID_ROLE) == 30
    assert [model.row_for_id(i) for i in (5, 30, 40)] == [0, 2, 5]


def test_changed_details_update_in_place_and_reorder_resets():
    model = PhotoGridModel()
    model.set_rows(rows(1, 2, 3))
    changed = []
    model.dataChanged.connect(lambda a, b: changed.append((a.row(), b.row())))
    model.set_rows(rows(1, 2, 3)[:1] + rows(2, rating=5) + rows(3))
    assert changed == [(1, 1)] and model.rows[1].rating == 5
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    model.set_rows(rows(3, 2, 1))
    assert resets == [1] and model.ids() == [3, 2, 1] and model.row_for_id(1) == 2
