"""Indexing in the background while the user browses.

The core's indexer is a generator of progress events; here it runs on its own
thread and its events are forwarded to the GUI thread, at most ten a second.
``photos_changed`` fires (at most every 1.5 s) when new photos were written, so
the grid can show them as they arrive.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from PySide6.QtCore import QObject, Signal

from photoorg.errors import PhotoorgError
from photoorg.gui.tasks import user_message
from photoorg.library import Library
from photoorg.progress import CancelToken, Progress

PROGRESS_INTERVAL = 0.1
CHANGED_INTERVAL = 1.5
BACKGROUND_NICENESS = 10


def yield_cpu_to_the_window() -> None:
    """Run this thread, and every thread and process it starts, at a lower CPU
    priority than the window's.

    On a 2-core laptop the model's threads, the decoders and the face
    detector want both cores; at equal priority the GUI thread waits its turn
    behind them (measured stalls of 100-300 ms). Niced, they still get every
    cycle the window leaves idle. Linux only: there a priority is per thread
    and new threads inherit it; elsewhere it would be the whole process's.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + BACKGROUND_NICENESS))
    except OSError:  # not permitted here: indexing simply runs at normal priority
        pass


class IndexController(QObject):
    started = Signal()
    progress = Signal(object)  # Progress
    notice = Signal(str, str)  # stage, a warning the user should read (a waiting model, an offline folder)
    photos_changed = Signal()
    finished = Signal(object)  # IndexSummary
    failed = Signal(str)
    paused_changed = Signal(bool)

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._token: CancelToken | None = None
        self._active = False
        self._again = False
        self.last_summary = None

    @property
    def running(self) -> bool:
        return self._active

    @property
    def paused(self) -> bool:
        return bool(self._token and self._token.paused)

    def start(self, root_ids: list[int] | None = None) -> None:
        """Start a run; if one is running, run again when it ends (new folders)."""
        with self._lock:
            if self._active:
                self._again = True
                return
            self._active = True
            self._again = False
            self._token = CancelToken()
            thread = threading.Thread(
                target=self._run, args=(self._token, root_ids), name="photoorg-index", daemon=True
            )
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        self.started.emit()

    def pause(self) -> None:
        if self._token is not None and self._active:
            self._token.pause()
            self.paused_changed.emit(True)

    def resume(self) -> None:
        if self._token is not None:
            self._token.resume()
            self.paused_changed.emit(False)

    def cancel(self) -> None:
        with self._lock:
            self._again = False
        if self._token is not None:
            self._token.cancel()

    def wait(self, timeout: float = 60.0) -> bool:
        """Wait for the indexing threads to end; True when they did."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def _run(self, token: CancelToken, root_ids) -> None:
        yield_cpu_to_the_window()
        try:
            while True:
                summary = self._run_once(token, root_ids)
                self.last_summary = summary
                self.photos_changed.emit()
                with self._lock:
                    again = self._again and not token.cancelled
                    self._again = False
                    self._active = again
                self.finished.emit(summary)
                if not again:
                    return
                # Folders were added during the run: scan everything once more.
                root_ids = None
                self.started.emit()
        except PhotoorgError as exc:
            self._stop_with(str(exc))
        except Exception as exc:  # shown as a sentence; details go to the log
            self._stop_with(user_message(exc))

    def _stop_with(self, message: str) -> None:
        with self._lock:
            self._active = False
            self._again = False
        self.failed.emit(message)

    def _run_once(self, token: CancelToken, root_ids):
        # The GUI never downloads silently: a missing model is offered in a
        # dialog with its size, and the run goes on without it meanwhile.
        options = self.library.ml_options(offline=True)
        indexer = self.library.indexer(self.library.stage_specs(options, cancel=token), token=token)
        last_progress = last_changed = 0.0
        written = 0
        for event in indexer.run(root_ids):
            now = time.monotonic()
            if event.level == "warning" and event.message:
                self.notice.emit(event.stage, event.message)
            if event.stage == "index" and event.done != written:
                written = event.done
                if now - last_changed >= CHANGED_INTERVAL:
                    last_changed = now
                    self.photos_changed.emit()
            if now - last_progress >= PROGRESS_INTERVAL or (event.total and event.done >= event.total):
                last_progress = now
                self.progress.emit(_with_pause(event, token))
        return indexer.summary


def _with_pause(event: Progress, token: CancelToken) -> Progress:
    if token.paused and not event.message:
        return Progress(event.stage, event.done, event.total, None, None, "Paused")
    return event
