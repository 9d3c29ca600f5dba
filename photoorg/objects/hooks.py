"""How the objects capability plugs into the core: each function here is
registered by :func:`photoorg.objects.register`."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from photoorg.objects import people, small_faces
from photoorg.objects.detector import detector_choice
from photoorg.objects.store import located_objects, object_clause
from photoorg.pipeline.stages import StageSpec
from photoorg.store.schema import Photo
from photoorg.tags.hooks import clip_available

if TYPE_CHECKING:
    from photoorg.extensions.after_index import AfterIndexStep
    from photoorg.extensions.stages import StageContext
    from photoorg.library import Library, MlOptions
    from photoorg.progress import CancelToken, Progress

DETECTOR_STAGE = "objects"
SMALL_FACES_STAGE = "small-faces"


def detector_stages(library: Library, options: MlOptions, context: StageContext) -> list[StageSpec]:
    """The COCO detector runs only for a library that installed it."""
    choice = detector_choice(library.db)
    if choice is None:
        return []

    def load():
        # lazy: the stage imports torch and torchvision (seconds)
        from photoorg.objects.stage import DetectorStage
        from photoorg.tags.vocabulary import TagTree, ensure_vocabulary

        ensure_vocabulary(library.db)
        return DetectorStage(choice, TagTree.load(library.db), options.threads)

    return [StageSpec(DETECTOR_STAGE, choice.version, load)]


def small_faces_stages(library: Library, options: MlOptions, context: StageContext) -> list[StageSpec]:
    """Offline only, like the ImageNet tagger (see photoorg/objects/small_faces.py)."""
    if clip_available(library):
        return []

    def load():
        from photoorg.objects.small_faces import SmallFacesStage

        return SmallFacesStage()

    return [StageSpec(SMALL_FACES_STAGE, small_faces.VERSION, load)]


def small_faces_version(library: Library) -> str | None:
    return None if clip_available(library) else small_faces.VERSION


def detector_version(library: Library) -> str | None:
    choice = detector_choice(library.db)
    return choice.version if choice else None


def people_step(library: Library) -> AfterIndexStep:
    def step(token: CancelToken) -> Generator[Progress, None, Any]:
        return (yield from people.refresh_people_tags(library.db, token))

    return step


def object_key(value: str, negated: bool) -> dict | None:
    """``object:car``: photos with a located car (a box from the detector or a tile)."""
    if negated or not value.strip():
        return None
    return {"extra": {"object": value.strip().lower()}}


def object_filter(filters) -> Any:
    value = filters.extra.get("object")
    return object_clause(value) if value else None


def object_details(session: Session, photo: Photo) -> dict:
    evidence = people.photo_evidence(session, photo.id)
    return {
        "objects": [o.as_dict() for o in located_objects(session, photo.id)],
        "people_count": evidence.count,
    }
