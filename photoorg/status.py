"""The state of a library: roots, counts per stage, the model, and what failed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from sqlalchemy import and_, func, select

from photoorg.errors import WeightsNotPublished
from photoorg.extensions.stage_versions import StageVersion, stage_versions
from photoorg.library import Library
from photoorg.ml.weights import find_cached_weights, hf_cache_dir
from photoorg.roots import list_roots
from photoorg.store.db import Database
from photoorg.store.schema import (
    PHOTO_FAILED,
    PHOTO_OK,
    PHOTO_UNREADABLE,
    STAGE_DONE,
    STAGE_FAILED,
    Photo,
    PhotoStage,
    ScanError,
)

# The core's stages; capabilities register theirs (photoorg.extensions.stage_versions).
CORE_STAGE_VERSIONS: dict[str, Callable[[Library], str]] = {
    "thumbnail": lambda lib: f"jpeg-{lib.thumbnails.size}",
    "clip": lambda lib: lib.model_choice().key,
}


def all_stage_versions() -> Mapping[str, StageVersion]:
    """name -> the stage's current version, known without loading models."""
    return {**CORE_STAGE_VERSIONS, **stage_versions()}


FAILED_LIST_LIMIT = 1000


def model_status(library: Library) -> dict:
    # Plain file checks: status imports neither torch nor open_clip (see ml/weights.py).
    choice = library.model_choice()
    if choice.weights_file:
        available = Path(choice.weights_file).is_file()
        location = choice.weights_file
    else:
        try:
            cached = find_cached_weights(choice.arch, choice.pretrained)
        except WeightsNotPublished:
            cached = None
        available = cached is not None
        location = str(cached) if cached else None
    from photoorg.ml.runtime_status import runtime_status

    runtime = runtime_status(library.ml_options().runtime, Path(location) if available else None, choice)
    return {
        "key": choice.key,
        "arch": choice.arch,
        "pretrained": choice.pretrained,
        "weights_file": choice.weights_file,
        "weights_sha256": choice.weights_sha256,
        "weights_available": available,
        "weights_location": location,
        "cache_dir": str(hf_cache_dir()),
        "runtime": runtime,
    }


def stage_counts(library: Library, visible_total: int, waiting: dict[str, str]) -> dict[str, dict]:
    result: dict[str, dict] = {}
    with library.db.session() as s:
        for name, version_of in all_stage_versions().items():
            version = version_of(library)
            if version is None:
                continue
            rows = dict(
                s.execute(
                    select(PhotoStage.state, func.count())
                    .join(Photo, Photo.id == PhotoStage.photo_id)
                    .where(
                        PhotoStage.stage == name,
                        PhotoStage.version == version,
                        Photo.state == PHOTO_OK,
                        Photo.missing_since.is_(None),
                    )
                    .group_by(PhotoStage.state)
                ).all()
            )
            done, failed = rows.get(STAGE_DONE, 0), rows.get(STAGE_FAILED, 0)
            entry = {
                "version": version,
                "done": done,
                "failed": failed,
                "pending": max(0, visible_total - done - failed),
                "state": "ready",
            }
            if name in waiting:
                entry["state"] = "waiting for weights"
                entry["message"] = waiting[name]
            result[name] = entry
    return result


def _failed_photos():
    return Photo.state.in_([PHOTO_FAILED, PHOTO_UNREADABLE]), Photo.missing_since.is_(None)


def _identity_notes():
    # A photo replaced on disk (missing, marks kept) or a file that could have
    # been one of several photos: readable, but the user should know.
    return Photo.state == PHOTO_OK, Photo.error.is_not(None)


def failures(db: Database, limit: int = FAILED_LIST_LIMIT) -> list[dict]:
    """Everything that needs the user's attention, each with its reason."""
    items: list[dict] = []
    with db.session() as s:
        for path, state, error in s.execute(
            select(Photo.path, Photo.state, Photo.error)
            .where(*_failed_photos())
            .order_by(Photo.path)
            .limit(limit)
        ):
            items.append({"path": path, "reason": error or state, "kind": state})
        for path, error in s.execute(
            select(Photo.path, Photo.error).where(*_identity_notes()).order_by(Photo.path).limit(limit)
        ):
            items.append({"path": path, "reason": error, "kind": "identity"})
        for path, reason in s.execute(
            select(ScanError.path, ScanError.reason).order_by(ScanError.path).limit(limit)
        ):
            items.append({"path": path, "reason": reason, "kind": "folder"})
        for path, stage, error in s.execute(
            select(Photo.path, PhotoStage.stage, PhotoStage.error)
            .join(PhotoStage, and_(PhotoStage.photo_id == Photo.id, PhotoStage.state == STAGE_FAILED))
            .where(Photo.missing_since.is_(None))
            .order_by(Photo.path)
            .limit(limit)
        ):
            items.append({"path": path, "reason": f"{stage}: {error}", "kind": "stage"})
    return items[:limit]


def failure_count(db: Database) -> int:
    with db.session() as s:
        photos = s.scalar(select(func.count()).where(*_failed_photos())) or 0
        photos += s.scalar(select(func.count()).where(*_identity_notes())) or 0
        folders = s.scalar(select(func.count()).select_from(ScanError)) or 0
        stages = (
            s.scalar(
                select(func.count())
                .select_from(PhotoStage)
                .join(Photo, Photo.id == PhotoStage.photo_id)
                .where(PhotoStage.state == STAGE_FAILED, Photo.missing_since.is_(None))
            )
            or 0
        )
    return photos + folders + stages


def library_status(library: Library) -> dict:
    with library.db.session() as s:
        by_state = dict(
            s.execute(
                select(Photo.state, func.count()).where(Photo.missing_since.is_(None)).group_by(Photo.state)
            ).all()
        )
        missing = s.scalar(select(func.count()).where(Photo.missing_since.is_not(None))) or 0
    visible = by_state.get(PHOTO_OK, 0)
    model = model_status(library)
    waiting = {}
    if not model["weights_available"]:
        waiting["clip"] = (
            f"waiting for the weights of {model['key']}: not in {model['cache_dir']}. Run `photoorg models "
            "get` to download them, or pass --weights FILE."
        )
    return {
        "library": str(library.paths.root),
        "roots": [
            {
                "path": r.path,
                "online": r.online,
                "photos": r.photos,
                "missing": r.missing,
                "last_scan": r.last_scan_at.isoformat(timespec="seconds") if r.last_scan_at else None,
            }
            for r in list_roots(library.db)
        ],
        "counts": {
            "photos": visible,
            "failed": by_state.get(PHOTO_FAILED, 0),
            "unreadable": by_state.get(PHOTO_UNREADABLE, 0),
            "missing": missing,
        },
        "stages": stage_counts(library, visible, waiting),
        "model": model,
        "failed": failures(library.db),
    }
