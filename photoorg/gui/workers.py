"""The one way the GUI runs work off its thread.

Modelled on superqt's ``thread_worker`` (``superqt/utils/_qthreading.py``) and
napari's request/response pattern, with the parts this app needs in one place:

- A job is a function or a generator function. A generator's yielded values
  reach ``on_yield`` on the GUI thread (progress); a plain function reports
  progress with :func:`report`. The return value reaches ``on_done``.
- Every job has a :class:`~photoorg.progress.CancelToken`: ``job.pause()``,
  ``job.resume()`` and ``job.cancel()``. A generator is paused and stopped at
  its yields; a *cooperative* job (the indexer) checks the token itself and
  decides how to end (a cancelled index run still returns its summary).
- ``key``: the latest request wins. A newer job with the same key removes an
  older one from the queue, or cancels it if it already runs, and the older
  one's answers are dropped. A user typing in the search field only ever sees
  the answer to the latest text.
- Errors become one sentence (tracebacks go to the log) and go to the job's
  ``on_error`` or else to the pool's single ``error_handler``.
- A pool serves its queue first-in first-out, or last-in first-out
  (``lifo=True``: the image loader serves what the user scrolled to last) with
  at most ``max_queued`` jobs waiting; the oldest are dropped beyond that.
- ``niceness``: pools that do heavy work lower their threads' CPU priority, so
  the GUI thread wins the cores back at once.

Answers reach the GUI thread through one queued signal per pool, and every
callback runs there. ``shutdown()`` (on window close) cancels what runs, drops
what waits and joins the threads.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from photoorg.errors import Cancelled, PhotoorgError
from photoorg.progress import CancelToken

log = logging.getLogger(__name__)

BACKGROUND_NICENESS = 10

_YIELDED, _RETURNED, _ERRORED, _ABORTED = range(4)
_current = threading.local()


def yield_cpu_to_the_window(niceness: int = BACKGROUND_NICENESS) -> None:
    """Run this thread, and every thread and process it starts, at a lower CPU
    priority than the window's.

    On a 2-core laptop the model's threads, the decoders and the face
    detector want both cores; at equal priority the GUI thread waits its turn
    behind them (measured stalls of 100-300 ms). Niced, they still get every
    cycle the window leaves idle. Linux only: there a priority is per thread
    and new threads inherit it; elsewhere it would be the whole process's.
    """
    if not sys.platform.startswith("linux") or niceness <= 0:
        return
    try:
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + niceness))
    except OSError:  # not permitted here: the work simply runs at normal priority
        pass


def user_message(exc: BaseException) -> str:
    """A sentence for the user; tracebacks go to the log, never to a dialog."""
    if isinstance(exc, PhotoorgError):
        return str(exc)
    log.error("unexpected error", exc_info=exc)
    return f"Something went wrong: {type(exc).__name__}: {exc}".rstrip(": ")


def report(value: object) -> None:
    """From inside a plain-function job: send a progress value to its
    ``on_yield`` (a callback-style API such as a download's progress)."""
    job = getattr(_current, "job", None)
    if job is not None:
        job._pool._emit(job, _YIELDED, value)


class Job:
    """A handle on one piece of background work; used on the GUI thread."""

    def __init__(
        self,
        pool: WorkerPool,
        job_id: int,
        fn: Callable[[], Any],
        key: str | None,
        token: CancelToken,
        cooperative: bool,
        callbacks: tuple[Callable | None, Callable | None, Callable | None],
    ) -> None:
        self._pool = pool
        self.id = job_id
        self.fn = fn
        self.key = key
        self.token = token
        self.cooperative = cooperative
        self.on_done, self.on_error, self.on_yield = callbacks
        self.started = False
        self.finished = False
        #: a newer job took the key, or it was cancelled or dropped: no more answers
        self.discarded = False

    @property
    def paused(self) -> bool:
        return self.token.paused

    def pause(self) -> None:
        self.token.pause()

    def resume(self) -> None:
        self.token.resume()

    def cancel(self) -> None:
        """Stop the job and drop its answers. A waiting job never runs; a
        generator stops at its next yield. A cooperative job ends the way it
        chooses, and its answer (a cancelled run's summary) still arrives."""
        self.token.cancel()
        if not self.cooperative:
            self.discarded = True
        self._pool._unqueue(self)


class _Bridge(QObject):
    # Emitted from worker threads, delivered on the GUI thread (queued).
    event = Signal(object, int, object)  # job, kind, payload


class WorkerPool(QObject):
    """A fixed set of named threads serving a queue of jobs."""

    def __init__(
        self,
        name: str,
        threads: int = 1,
        *,
        lifo: bool = False,
        max_queued: int | None = None,
        niceness: int = 0,
        error_handler: Callable[[str], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.lifo = lifo
        self.max_queued = max_queued
        self.niceness = niceness
        #: where errors go when a job has no ``on_error`` of its own
        self.error_handler = error_handler
        self._ids = itertools.count(1)
        self._queue: OrderedDict[int, Job] = OrderedDict()
        self._running: set[Job] = set()
        self._latest: dict[str, Job] = {}
        self._condition = threading.Condition()
        self._closed = False
        self._bridge = _Bridge()
        self._bridge.event.connect(self._deliver)
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True) for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    # -- GUI thread -----------------------------------------------------------------------------

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        *,
        key: str | None = None,
        on_yield: Callable[[Any], None] | None = None,
        token: CancelToken | None = None,
        cooperative: bool = False,
    ) -> Job:
        """Queue ``fn`` (a function or a generator function); see the module's
        docstring for what each argument does."""
        job = Job(
            self, next(self._ids), fn, key, token or CancelToken(), cooperative, (on_done, on_error, on_yield)
        )
        with self._condition:
            if self._closed:
                job.discarded = True
                return job
            if key is not None:
                older = self._latest.get(key)
                if older is not None:
                    self._discard(older)
                self._latest[key] = job
            self._queue[job.id] = job
            while self.max_queued is not None and len(self._queue) > self.max_queued:
                _, dropped = self._queue.popitem(last=False)  # waited longest: long scrolled past
                self._discard(dropped)
            self._condition.notify()
        return job

    def promote(self, job: Job) -> bool:
        """Move a waiting job to the head of the line (the newest end in a LIFO
        pool, where it is served next); False when it no longer waits."""
        with self._condition:
            if job.id not in self._queue:
                return False
            self._queue.move_to_end(job.id, last=self.lifo)
            return True

    def pending(self) -> int:
        """Jobs waiting or running (tests and shutdown)."""
        with self._condition:
            return len(self._queue) + len(self._running)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel what runs, drop what waits, join the threads (window close)."""
        with self._condition:
            self._closed = True
            for job in list(self._queue.values()) + list(self._running):
                self._discard(job)
            self._condition.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    def _discard(self, job: Job) -> None:
        # Called with the lock held.
        job.discarded = True
        job.token.cancel()
        self._queue.pop(job.id, None)
        if job.key is not None and self._latest.get(job.key) is job:
            del self._latest[job.key]

    def _unqueue(self, job: Job) -> None:
        with self._condition:
            if self._queue.pop(job.id, None) is not None:
                self._discard(job)

    @Slot(object, int, object)
    def _deliver(self, job: Job, kind: int, payload: object) -> None:
        if job.discarded or self._closed:
            return
        if kind == _YIELDED:
            if job.on_yield is not None:
                job.on_yield(payload)
            return
        job.finished = True
        with self._condition:
            if job.key is not None and self._latest.get(job.key) is job:
                del self._latest[job.key]
        if kind == _RETURNED:
            if job.on_done is not None:
                job.on_done(payload)
        elif kind == _ERRORED:
            handler = job.on_error or self.error_handler
            if handler is not None:
                handler(str(payload))
            else:
                log.warning("background job failed: %s", payload)

    # -- worker threads -------------------------------------------------------------------------

    def _emit(self, job: Job, kind: int, payload: object) -> None:
        try:
            self._bridge.event.emit(job, kind, payload)
        except RuntimeError:  # the bridge is gone with the window
            pass

    def _work(self) -> None:
        yield_cpu_to_the_window(self.niceness)
        while True:
            with self._condition:
                while not self._queue and not self._closed:
                    self._condition.wait()
                if self._closed:
                    return
                _, job = self._queue.popitem(last=self.lifo)
                job.started = True
                self._running.add(job)
            _current.job = job
            try:
                self._run(job)
            finally:
                _current.job = None
                with self._condition:
                    self._running.discard(job)

    def _run(self, job: Job) -> None:
        try:
            result = job.fn()
            if inspect.isgenerator(result):
                result = self._drain(job, result)
        except Cancelled as exc:
            # A cooperative job owns its ending: a Cancelled it raises is its answer.
            self._emit(job, _ERRORED if job.cooperative else _ABORTED, str(exc))
        except BaseException as exc:  # every failure becomes a sentence for the user
            self._emit(job, _ERRORED, user_message(exc))
        else:
            self._emit(job, _ABORTED if result is _ABORTED_RESULT else _RETURNED, result)

    def _drain(self, job: Job, generator) -> object:
        token = job.token
        while True:
            if not job.cooperative:
                token.wait_while_paused()
                if token.cancelled:
                    generator.close()
                    return _ABORTED_RESULT
            try:
                value = next(generator)
            except StopIteration as stop:
                return stop.value
            self._emit(job, _YIELDED, value)


_ABORTED_RESULT = object()
