"""The current version of each stage, as `photoorg status` counts it: known
without loading a model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from photoorg.errors import ExtensionConflict
from photoorg.extensions._point import NamedExtensionPoint

if TYPE_CHECKING:
    from photoorg.library import Library

#: library -> the stage's version now, or None when the stage does not apply
#: to this library (the offline tagger while CLIP is available)
StageVersion = Callable[["Library"], "str | None"]

#: the core's own stages (photoorg.status counts them first); no capability can take one
CORE_STAGES = frozenset({"thumbnail", "clip"})

_point: NamedExtensionPoint[StageVersion] = NamedExtensionPoint("stage version of")


def register_stage_version(stage: str, version_of: StageVersion) -> None:
    if stage in CORE_STAGES:
        raise ExtensionConflict(f"The stage {stage!r} is the core's.")
    _point.register(stage, version_of)


def stage_versions() -> Mapping[str, StageVersion]:
    return _point.items()
