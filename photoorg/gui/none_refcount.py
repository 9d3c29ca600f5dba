"""A guard against a PySide6 bug that crashes the app on Python 3.11.

PySide6 6.12 returns ``None`` from every method that returns nothing without
taking a reference to it (harmless from Python 3.12, where ``None`` is
immortal). On 3.11 each such call (``painter.save()``, ``rect.setWidth()``...)
takes one reference away, and after some minutes of painting the count
reaches zero: "Fatal Python error: none_dealloc". The grid's latency test hit
it after ~5,000 tile paints.

The guard measures the leak at start-up; when there is one, a timer keeps
``None``'s reference count far from zero. ``None`` is never freed anyway, so
a large count changes nothing else.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, QRect, QTimer

FLOOR = 10_000_000
TOP_UP = 100_000_000
CHECK_MS = 1000


def leaks_none(calls: int = 64) -> bool:
    """Whether a void Qt method takes a reference to None away (the bug)."""
    if sys.version_info >= (3, 12):
        return False  # None is immortal: nothing to lose
    rect = QRect()
    before = sys.getrefcount(None)
    for _ in range(calls):
        rect.setWidth(1)
    return before - sys.getrefcount(None) >= calls


def _top_up() -> None:
    if sys.getrefcount(None) < FLOOR:
        # ob_refcnt is the first field of every PyObject.
        ctypes.c_ssize_t.from_address(id(None)).value += TOP_UP


class NoneRefcountGuard(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        _top_up()
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_MS)
        self.timer.timeout.connect(_top_up)
        self.timer.start()


def install(app: QObject) -> NoneRefcountGuard | None:
    """Start the guard on the application when this PySide6 needs it (once)."""
    existing = app.findChild(NoneRefcountGuard)
    if existing is not None or not leaks_none():
        return existing
    return NoneRefcountGuard(app)
