"""Qt-free progress events and cancellation shared by the CLI and the GUI.

Long jobs are generators that yield :class:`Progress` and check a
:class:`CancelToken` between units of work; front ends only render the stream.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from photoorg.errors import Cancelled


@dataclass(frozen=True)
class Progress:
    """One step of a long job.

    ``stage`` names the phase ("scan", "index", "embed", ...). ``total`` is None
    while it is not yet known. ``rate`` is items per second over a recent window
    and ``eta`` seconds left, both None until they can be estimated. ``message``
    carries a human sentence for notices (a waiting stage, a skipped root).
    """

    stage: str
    done: int
    total: int | None = None
    rate: float | None = None
    eta: float | None = None
    message: str = ""
    level: str = "info"  # "info" or "warning" for messages the user should read

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


class CancelToken:
    """Cooperative cancel and pause for worker threads.

    Workers call :meth:`checkpoint` between units of work: it blocks while paused
    and raises :class:`Cancelled` once cancelled.
    """

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()  # wake paused workers so they can see the cancel

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def pause(self) -> None:
        if not self.cancelled:
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def checkpoint(self) -> None:
        self._running.wait()
        if self._cancelled.is_set():
            raise Cancelled("cancelled")

    def wait_while_paused(self, timeout: float | None = None) -> bool:
        """Block while paused; True when running (or cancelled), False on timeout."""
        return self._running.wait(timeout)


@dataclass
class RateMeter:
    """Items per second over a sliding window, and the ETA that follows from it.

    A window, not the whole-run average, so the rate follows phases that speed
    up or slow down (cached files, then a slow network drive).
    """

    window_seconds: float = 10.0
    _samples: deque = field(default_factory=deque)

    def update(self, done: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > self.window_seconds:
            self._samples.popleft()

    def rate(self) -> float | None:
        if len(self._samples) < 2:
            return None
        (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
        if t1 - t0 < 0.2 or d1 == d0:
            return None
        return (d1 - d0) / (t1 - t0)

    def eta(self, done: int, total: int | None) -> float | None:
        rate = self.rate()
        if rate is None or total is None:
            return None
        return max(0.0, (total - done) / rate)

    def progress(self, stage: str, done: int, total: int | None, now: float | None = None) -> Progress:
        self.update(done, now)
        return Progress(stage=stage, done=done, total=total, rate=self.rate(), eta=self.eta(done, total))
