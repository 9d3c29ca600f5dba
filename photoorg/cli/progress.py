"""Drawing the progress stream on stderr.

On a terminal: one line redrawn in place with a bar, count, rate and ETA.
Elsewhere (a log file, CI): a plain line now and then, so logs stay readable.
Warnings always get their own line.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

from photoorg.display import STAGE_LABELS, format_duration, format_rate, stage_label
from photoorg.progress import Progress

__all__ = ["STAGE_LABELS", "ProgressPrinter", "format_duration", "format_rate"]


class ProgressPrinter:
    def __init__(
        self, stream: TextIO | None = None, *, interval: float = 0.1, log_interval: float = 10.0
    ) -> None:
        self.stream = stream or sys.stderr
        self.is_tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval if self.is_tty else log_interval
        self._last_draw = 0.0
        self._line_open = False
        self._last_stage = None

    def __call__(self, event: Progress) -> None:
        if event.message and event.level == "warning":
            self._print_line(f"warning: {event.message}")
            return
        now = time.monotonic()
        stage_changed = event.stage != self._last_stage
        finished = event.total is not None and event.done >= event.total
        if not stage_changed and not finished and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        self._last_stage = event.stage
        line = self.render(event)
        if self.is_tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r" + line[:width].ljust(width))
            self.stream.flush()
            self._line_open = True
        else:
            self._print_line(line)

    def render(self, event: Progress) -> str:
        label = stage_label(event.stage)
        if event.total:
            fraction = event.fraction or 0.0
            bar_width = 28
            filled = int(fraction * bar_width)
            bar = "#" * filled + "-" * (bar_width - filled)
            return (
                f"{label:<11} [{bar}] {event.done}/{event.total} {fraction * 100:5.1f}%  "
                f"{format_rate(event.rate)}  ETA {format_duration(event.eta)}  {event.message}"
            ).rstrip()
        if event.stage == "scan":
            detail = f" {event.message}" if event.message else ""
            return f"{label:<11} {event.done} files{detail}"
        return f"{label:<11} {event.message}".rstrip()

    def _print_line(self, text: str) -> None:
        if self._line_open:
            self.stream.write("\n")
            self._line_open = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._line_open:
            self.stream.write("\n")
            self.stream.flush()
            self._line_open = False
