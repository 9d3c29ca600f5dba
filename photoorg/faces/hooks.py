"""What the faces capability plugs into the core (registered by
:func:`photoorg.faces.register`): the faces stage, clustering after each index
run, the ``person:`` filter and query key, the faces of ``photoorg show`` and
the stage's version for ``photoorg status``. dlib itself loads only when an
index run has photos for the stage (see :mod:`photoorg.faces.models`)."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from photoorg.extensions.after_index import AfterIndexStep
from photoorg.extensions.query_keys import FilterUpdate
from photoorg.extensions.stages import StageContext
from photoorg.faces.cluster import ClusterSummary, run_clustering
from photoorg.faces.config import face_settings
from photoorg.faces.models import FaceAnalyzer
from photoorg.faces.people import face_details, people_clause
from photoorg.faces.stage import FacesStage
from photoorg.pipeline.stages import StageSpec
from photoorg.progress import CancelToken, Progress
from photoorg.search.filters import SearchFilters
from photoorg.store.schema import Photo

if TYPE_CHECKING:
    from photoorg.library import Library, MlOptions

STAGE_NAME = "faces"


def faces_stage_specs(library: Library, options: MlOptions, context: StageContext) -> list[StageSpec]:
    settings = face_settings(library.db)

    def load() -> FacesStage:
        return FacesStage(FaceAnalyzer(settings.detector, settings.detect_side), settings)

    return [StageSpec(STAGE_NAME, settings.stage_version, load)]


def clustering_step(library: Library) -> AfterIndexStep:
    """After the image stages: place the new faces with people."""

    def step(token: CancelToken) -> Generator[Progress, None, ClusterSummary]:
        summary = yield from run_clustering(library.db, face_settings(library.db).threshold, token)
        return summary

    return step


def people_filter(search_filters: SearchFilters) -> ColumnElement[bool] | None:
    return people_clause(search_filters) if search_filters.people else None


def person_key(value: str, negated: bool) -> FilterUpdate:
    """``person:"Aunt Mary"`` or ``person:#7``; "-person:" is read as "person:",
    as it always was."""
    return {"people": (value,)}


def faces_of_photo(session: Session, photo: Photo) -> dict:
    return face_details(session, photo)


def faces_stage_version(library: Library) -> str:
    return face_settings(library.db).stage_version
