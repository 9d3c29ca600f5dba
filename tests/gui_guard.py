"""Catches database and file-system work on the GUI thread.

While a test's windows are open, every SQLAlchemy connection (the ``connect``
and ``checkout`` events of the Pool class, so every engine is covered) and
every ``isdir``/``isfile``/``exists`` check photoorg makes on the main (Qt)
thread on behalf of code under ``photoorg/gui`` is recorded with its stack; the ``make_window``
fixture fails the test when there is any.

Only calls that come from the GUI package count: a test reading the database
directly to check a result (on the main thread, between events) is the test,
not the app. Opening the library (migrations, the first ``select 1``) happens
before the window exists, in ``Library()``: the app cannot show anything
before it knows the library opens, and ``run_app`` reports a failure there in
a dialog instead of a window.
"""

from __future__ import annotations

import os
import pathlib
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.pool import Pool

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "photoorg")
GUI_PACKAGE = os.path.join(PACKAGE, "gui")


def _from_gui_code() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith(GUI_PACKAGE):
            return True
        frame = frame.f_back
    return False


@contextmanager
def no_blocking_work_on_the_gui_thread() -> Iterator[list[str]]:
    """Yields the list of violations (a description and a stack each)."""
    violations: list[str] = []
    main = threading.main_thread()

    def record(what: str) -> None:
        if threading.current_thread() is main and _from_gui_code():
            # photoorg's own frames, innermost last: SQLAlchemy's would hide them
            frames = [f for f in traceback.extract_stack()[:-2] if f.filename.startswith(PACKAGE)]
            stack = "".join(traceback.format_list(frames))
            violations.append(f"{what} on the GUI thread:\n{stack}")

    def on_connect(*_args) -> None:
        record("a database connection")

    def watch(owner, name: str) -> None:
        original = getattr(owner, name)

        def checked(*args, **kwargs):
            # The app's own calls only: Python's import machinery finding a
            # bundled resource (an icon) is not the app reading the user's disk.
            if sys._getframe(1).f_code.co_filename.startswith(PACKAGE):
                record(f"{owner.__name__}.{name}")
            return original(*args, **kwargs)

        setattr(owner, name, checked)
        restore.append((owner, name, original))

    restore: list = []
    event.listen(Pool, "connect", on_connect)
    event.listen(Pool, "checkout", on_connect)
    for name in ("isdir", "isfile", "exists"):
        watch(os.path, name)
    for name in ("is_dir", "is_file", "exists"):
        watch(pathlib.Path, name)
    try:
        yield violations
    finally:
        event.remove(Pool, "connect", on_connect)
        event.remove(Pool, "checkout", on_connect)
        for owner, name, original in restore:
            setattr(owner, name, original)
