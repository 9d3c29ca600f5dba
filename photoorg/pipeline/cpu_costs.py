"""Where an indexing run's CPU time goes, step by step, measured by the pipeline itself.

Every thread of the pipeline times its own work with ``time.thread_time()``
(the CPU this thread used, not the wall clock, so waiting and other processes
don't count) and adds it here under the step's name: ``read``, ``hash``,
``metadata``, ``decode``, each stage's name (its ``prepare`` and ``infer``
together), ``write``, and the steps after the image stages by the name of
the progress they report. A stage that works outside the threads that call it
(a helper thread, a child process) reports that time itself
(:meth:`ImageStage.take_cpu_seconds`).

Inference libraries (torch, ONNX Runtime) compute on thread pools of their own
that no pipeline thread can time. Their CPU is what the process used beyond
everything measured; :meth:`CpuLedger.close` shares it among the inference
stages in proportion to the CPU their calling thread spent in ``infer`` (the
calling thread works as one of the pool's threads, so this follows the pool's
work; a stage that waits on a child process gets next to none). A new stage
shows up in the breakdown with no extra code.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: the key under which inference thread pools' CPU lands when no stage inferred
UNATTRIBUTED = "other"


class CpuLedger:
    """CPU seconds per step, summed over the threads of one run (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seconds: dict[str, float] = {}
        self._infer_cpu: dict[str, float] = {}
        self._process_started = time.process_time()
        self._closed = False

    def add(self, name: str, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            self._seconds[name] = self._seconds.get(name, 0.0) + seconds

    @contextmanager
    def measure(self, name: str, *, whole_process: bool = False) -> Iterator[None]:
        """Add this thread's CPU time spent in the block to ``name``; with
        ``whole_process``, the process's (for a phase that runs alone, such as
        loading models or a step after the image stages: its thread pools count)."""
        clock = time.process_time if whole_process else time.thread_time
        started = clock()
        try:
            yield
        finally:
            self.add(name, clock() - started)

    @contextmanager
    def measure_inference(self, name: str) -> Iterator[None]:
        """Like :meth:`measure`, and remember the time apart: this stage's
        weight when the thread pools' CPU is shared out."""
        started = time.thread_time()
        try:
            yield
        finally:
            seconds = time.thread_time() - started
            self.add(name, seconds)
            with self._lock:
                self._infer_cpu[name] = self._infer_cpu.get(name, 0.0) + seconds

    def close(self) -> None:
        """Give the CPU no thread measured (inference thread pools) to the
        inference stages. Call once, when the run's threads have stopped."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            unmeasured = time.process_time() - self._process_started - sum(self._seconds.values())
            if unmeasured <= 0:
                return
            weight = sum(self._infer_cpu.values())
            if weight <= 0:
                self._seconds[UNATTRIBUTED] = self._seconds.get(UNATTRIBUTED, 0.0) + unmeasured
                return
            for name, seconds in self._infer_cpu.items():
                self._seconds[name] = self._seconds.get(name, 0.0) + unmeasured * seconds / weight

    def seconds(self) -> dict[str, float]:
        with self._lock:
            return dict(self._seconds)

    def per_photo(self, photos: int) -> dict[str, float]:
        """CPU seconds per photo and step, rounded for reports."""
        if photos <= 0:
            return {}
        return {name: round(value / photos, 4) for name, value in sorted(self.seconds().items())}


def measure_steps(ledger: CpuLedger, events: Iterator, name_of, default: str) -> Iterator:
    """Re-yield the events of a phase that runs alone (scanning, the steps
    after the image stages), adding the process's CPU spent producing each one
    to the step it names (``name_of(event)``); what is spent after the last
    event goes to the last event's step (``default`` when there was none)."""
    iterator = iter(events)
    name = default
    while True:
        started = time.process_time()
        try:
            event = next(iterator)
        except StopIteration as stop:
            ledger.add(name, time.process_time() - started)
            return stop.value
        name = name_of(event)
        ledger.add(name, time.process_time() - started)
        yield event
