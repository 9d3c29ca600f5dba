"""Work a capability finishes when a library closes: the end of each CLI
command, and of the app. XMP write-back writes here what the command changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from photoorg.extensions._point import ExtensionPoint

if TYPE_CHECKING:
    from photoorg.library import Library

#: library -> None; called before the database is released. It must not raise:
#: a step that fails says so (log) and the library still closes.
ClosingStep = Callable[["Library"], None]

_point: ExtensionPoint[ClosingStep] = ExtensionPoint("library closing step")


def register_library_closing(step: ClosingStep) -> None:
    _point.register(step)


def library_closing_steps() -> tuple[ClosingStep, ...]:
    return _point.items()
