"""Analysis stages: work done on every photo in the index run's pipeline
(decode workers → inference thread → writer), recorded per photo and version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from photoorg.extensions._point import ExtensionPoint

if TYPE_CHECKING:
    from photoorg.library import Library, MlOptions
    from photoorg.pipeline.stages import StageSpec
    from photoorg.progress import CancelToken


@dataclass(frozen=True)
class StageContext:
    """What the front end asked of this run, for providers that load models."""

    progress: Callable[..., Any] | None = None
    cancel: CancelToken | None = None
    #: False for a process that will not search (the index command): skip text towers
    text_tower: bool = True


#: (library, ML options, context) -> the capability's stages, unloaded (cheap:
#: a name, a version and a loader), or [] when they do not apply now.
StageProvider = Callable[["Library", "MlOptions", StageContext], "list[StageSpec]"]

_point: ExtensionPoint[StageProvider] = ExtensionPoint("analysis stage provider")


def register_stage_provider(provider: StageProvider) -> None:
    _point.register(provider)


def stage_providers() -> tuple[StageProvider, ...]:
    return _point.items()
