"""Steps that run once after the image stages of an index run: tagging from
the stored vectors, grouping, clustering faces."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

from photoorg.extensions._point import ExtensionPoint

if TYPE_CHECKING:
    from photoorg.library import Library
    from photoorg.progress import CancelToken, Progress

#: the step itself: checks the token and yields progress as it goes; it may
#: return what it did as ``{stage: {"done": n, "failed": m}}`` (or an object with
#: ``stage_counts()``), which ``index --json`` reports under "stages"
AfterIndexStep = Callable[["CancelToken"], "Generator[Progress, None, object]"]
#: library -> its step for this run
AfterIndexProvider = Callable[["Library"], AfterIndexStep]

_point: ExtensionPoint[AfterIndexProvider] = ExtensionPoint("after-index step")


def register_after_index_step(provider: AfterIndexProvider) -> None:
    _point.register(provider)


def after_index_steps() -> tuple[AfterIndexProvider, ...]:
    return _point.items()
