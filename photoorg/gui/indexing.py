"""Indexing in the background while the user browses.

The core's indexer is a generator of progress events; here it is a
cooperative job on a one-thread, niced :class:`WorkerPool` and its events are
forwarded to the GUI thread, at most ten a second. ``photos_changed`` fires (at
most every 1.5 s) when new photos were written, so the grid can show them as
they arrive.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from PySide6.QtCore import QObject, Signal

from photoorg.gui.workers import BACKGROUND_NICENESS, Job, WorkerPool
from photoorg.library import Library
from photoorg.progress import CancelToken, Progress

PROGRESS_INTERVAL = 0.1
CHANGED_INTERVAL = 1.5

# What the indexing job yields to the GUI thread.
_PROGRESS, _NOTICE, _CHANGED = range(3)


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
        # Niced: the model's threads and the decoders it starts inherit the
        # lower priority, and the window keeps the cores it needs.
        self._pool = WorkerPool("photoorg-index", 1, niceness=BACKGROUND_NICENESS, parent=self)
        self._job: Job | None = None
        self._again = False
        self.last_summary = None

    @property
    def running(self) -> bool:
        return self._job is not None

    @property
    def paused(self) -> bool:
        return self._job is not None and self._job.paused

    def start(self, root_ids: list[int] | None = None) -> None:
        """Start a run; if one is running, run again when it ends (new folders)."""
        if self._job is not None:
            self._again = True
            return
        self._again = False
        token = CancelToken()
        self._job = self._pool.submit(
            lambda: self._events(token, root_ids),
            self._on_finished,
            self._on_failed,
            on_yield=self._on_event,
            token=token,
            cooperative=True,  # a cancelled run still ends with its summary
        )
        self.started.emit()

    def pause(self) -> None:
        if self._job is not None:
            self._job.pause()
            self.paused_changed.emit(True)

    def resume(self) -> None:
        if self._job is not None:
            self._job.resume()
            self.paused_changed.emit(False)

    def cancel(self) -> None:
        self._again = False
        if self._job is not None:
            self._job.cancel()

    def shutdown(self, timeout: float = 60.0) -> None:
        """Stop the run and wait for its thread (window close)."""
        self.cancel()
        self._pool.shutdown(timeout)

    # -- GUI thread: answers ----------------------------------------------------------------------

    def _on_event(self, event: tuple) -> None:
        kind = event[0]
        if kind == _PROGRESS:
            self.progress.emit(event[1])
        elif kind == _NOTICE:
            self.notice.emit(event[1], event[2])
        else:
            self.photos_changed.emit()

    def _on_finished(self, summary) -> None:
        again = self._again and not self._job.token.cancelled
        self._job = None
        self._again = False
        self.last_summary = summary
        self.photos_changed.emit()
        self.finished.emit(summary)
        if again:  # folders were added during the run: scan everything once more
            self.start()

    def _on_failed(self, message: str) -> None:
        self._job = None
        self._again = False
        self.failed.emit(message)

    # -- the worker thread -------------------------------------------------------------------------

    def _events(self, token: CancelToken, root_ids) -> Iterator[tuple]:
        # The GUI never downloads silently: a missing model is offered in a
        # dialog with its size, and the run goes on without it meanwhile.
        options = self.library.ml_options(offline=True)
        indexer = self.library.indexer(self.library.stage_specs(options, cancel=token), token=token)
        last_progress = last_changed = 0.0
        written = 0
        for event in indexer.run(root_ids):
            now = time.monotonic()
            if event.level == "warning" and event.message:
                yield (_NOTICE, event.stage, event.message)
            if event.stage == "index" and event.done != written:
                written = event.done
                if now - last_changed >= CHANGED_INTERVAL:
                    last_changed = now
                    yield (_CHANGED,)
            if now - last_progress >= PROGRESS_INTERVAL or (event.total and event.done >= event.total):
                last_progress = now
                yield (_PROGRESS, _with_pause(event, token))
        return indexer.summary


def _with_pause(event: Progress, token: CancelToken) -> Progress:
    if token.paused and not event.message:
        return Progress(event.stage, event.done, event.total, None, None, "Paused")
    return event
