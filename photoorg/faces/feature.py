"""Faces and people, plugged into the core (imported by every Library).

Registers the faces stage, the clustering step after each index run, the
``person:`` search filter, the faces of ``photoorg show`` and the stage's
version for ``photoorg status``. Nothing heavy is imported here: dlib loads
when an index run has photos for the stage.
"""

from __future__ import annotations

from photoorg.faces.config import face_settings
from photoorg.library import AFTER_INDEX_PROVIDERS, STAGE_PROVIDERS
from photoorg.photos import DETAIL_PROVIDERS
from photoorg.pipeline.stages import StageSpec
from photoorg.search.filters import EXTRA_CLAUSES
from photoorg.status import STAGE_VERSIONS

STAGE_NAME = "faces"


def faces_stage_specs(library, options, extras) -> list[StageSpec]:
    settings = face_settings(library.db)

    def load():
        from photoorg.faces.models import FaceAnalyzer
        from photoorg.faces.stage import FacesStage

        return FacesStage(FaceAnalyzer(settings.detector, settings.detect_side), settings)

    return [StageSpec(STAGE_NAME, settings.stage_version, load)]


def clustering_step(library):
    """After the image stages: place the new faces with people."""

    def step(token):
        from photoorg.faces.cluster import run_clustering

        summary = yield from run_clustering(library.db, face_settings(library.db).threshold, token)
        return summary

    return step


def people_filter(filters):
    if not getattr(filters, "people", ()):
        return None
    from photoorg.faces.people import people_clause

    return people_clause(filters)


def faces_of_photo(session, photo) -> dict:
    from photoorg.faces.people import face_details

    return face_details(session, photo)


def _register() -> None:
    if faces_stage_specs not in STAGE_PROVIDERS:
        STAGE_PROVIDERS.append(faces_stage_specs)
    if clustering_step not in AFTER_INDEX_PROVIDERS:
        AFTER_INDEX_PROVIDERS.append(clustering_step)
    if people_filter not in EXTRA_CLAUSES:
        EXTRA_CLAUSES.append(people_filter)
    if faces_of_photo not in DETAIL_PROVIDERS:
        DETAIL_PROVIDERS.append(faces_of_photo)
    STAGE_VERSIONS[STAGE_NAME] = lambda library: face_settings(library.db).stage_version


_register()
