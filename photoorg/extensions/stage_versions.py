"""The current version of each stage, as `photoorg status` counts it: known
without loading a model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from photoorg.extensions._point import NamedExtensionPoint

if TYPE_CHECKING:
    from photoorg.library import Library

#: library -> the stage's version now, or None when the stage does not apply
#: to this library (the offline tagger while CLIP is available)
StageVersion = Callable[["Library"], "str | None"]

_point: NamedExtensionPoint[StageVersion] = NamedExtensionPoint("stage version of")


def register_stage_version(stage: str, version_of: StageVersion) -> None:
    _point.register(stage, version_of)


def stage_versions() -> Mapping[str, StageVersion]:
    return _point.items()
