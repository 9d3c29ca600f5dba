"""Running work off the GUI thread and getting answers back on it.

``TaskRunner`` runs callables on a small thread pool. Each request has a key;
when a newer request with the same key is submitted, the older one's answer is
dropped on arrival (napari's request/response pattern), so a user typing into
the search field only ever sees the answer to the latest text.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal, Slot

from photoorg.errors import PhotoorgError

log = logging.getLogger(__name__)


def user_message(exc: BaseException) -> str:
    """A sentence for the user; tracebacks go to the log, never to a dialog."""
    if isinstance(exc, PhotoorgError):
        return str(exc)
    log.error("unexpected error", exc_info=exc)
    return f"Something went wrong: {type(exc).__name__}: {exc}".rstrip(": ")


class _Bridge(QObject):
    # Emitted from pool threads; delivered to the GUI thread (queued).
    done = Signal(int, object)
    failed = Signal(int, str)


class TaskRunner(QObject):
    def __init__(self, threads: int = 2, name: str = "photoorg-task", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)
        self._bridge = _Bridge()
        self._bridge.done.connect(self._on_done)
        self._bridge.failed.connect(self._on_failed)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable, Callable | None, str | None]] = {}
        self._latest: dict[str, int] = {}
        self._lock = threading.Lock()
        self._closed = False

    def submit(
        self,
        key: str | None,
        fn: Callable[[], object],
        on_done: Callable[[object], None],
        on_error: Callable[[str], None] | None = None,
    ) -> int:
        """Run ``fn`` in the pool; ``on_done(result)`` or ``on_error(message)``
        then runs on the GUI thread, unless a newer task took the same key."""
        if self._closed:
            return 0
        task_id = next(self._ids)
        with self._lock:
            self._callbacks[task_id] = (on_done, on_error, key)
            if key is not None:
                self._latest[key] = task_id

        def run() -> None:
            if not self._current(key, task_id):
                self._bridge.done.emit(task_id, _STALE)  # superseded before it started
                return
            try:
                result = fn()
            except BaseException as exc:
                self._bridge.failed.emit(task_id, user_message(exc))
            else:
                self._bridge.done.emit(task_id, result)

        self._executor.submit(run)
        return task_id

    def _current(self, key: str | None, task_id: int) -> bool:
        if key is None:
            return True
        with self._lock:
            return self._latest.get(key) == task_id

    def _take(self, task_id: int):
        """The callbacks of a finished task, or None when it was superseded."""
        with self._lock:
            entry = self._callbacks.pop(task_id, None)
            if entry is None or self._closed:
                return None
            key = entry[2]
            if key is not None:
                if self._latest.get(key) != task_id:
                    return None
                del self._latest[key]
            return entry

    @Slot(int, object)
    def _on_done(self, task_id: int, result: object) -> None:
        entry = self._take(task_id)
        if entry is not None and result is not _STALE:
            entry[0](result)

    @Slot(int, str)
    def _on_failed(self, task_id: int, message: str) -> None:
        entry = self._take(task_id)
        if entry is None:
            return
        if entry[1] is not None:
            entry[1](message)
        else:
            log.warning("background task failed: %s", message)

    def shutdown(self) -> None:
        """Stop accepting work and wait for the threads (on window close)."""
        self._closed = True
        self._executor.shutdown(wait=True, cancel_futures=True)


_STALE = object()
