"""Where the image runtime's export lives, what it was checked on, and what
``photoorg status`` says about it, all without loading a model."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select

from photoorg.ml.onnx_image import cache_folder, onnxruntime_version, read_manifest, weights_identity
from photoorg.ml.registry import ModelChoice
from photoorg.store.db import Database
from photoorg.store.schema import PHOTO_OK, Photo

log = logging.getLogger(__name__)

#: the user's photos added to the synthetic probes when the export is checked
SAMPLE_PHOTOS = 6


def runtime_folder(weights_path: Path, choice: ModelChoice) -> Path:
    return cache_folder(weights_path, choice.arch, weights_identity(weights_path, choice.weights_sha256))


def sample_photos(db: Database, size: int, count: int = SAMPLE_PHOTOS) -> list:
    """A few of the library's own photos, spread over it, decoded small: the
    most realistic probes there are. Unreadable ones are skipped."""
    from photoorg.scan.imageio import ImageReadError, load_upright

    with db.session() as s:
        paths = list(s.scalars(select(Photo.path).where(Photo.state == PHOTO_OK).order_by(Photo.id)))
    if len(paths) > count:
        step = len(paths) / count
        paths = [paths[int(i * step)] for i in range(count)]
    images = []
    for path in paths:
        try:
            images.append(load_upright(path, size))
        except (ImageReadError, OSError):
            continue
    return images


def runtime_status(runtime_setting: str | None, weights_path: Path | None, choice: ModelChoice) -> dict:
    """The chosen runtime and, once the export exists, what it runs and how
    closely its vectors match fp32."""
    status: dict = {"setting": runtime_setting or "auto", "onnxruntime": onnxruntime_version()}
    manifest = None
    if weights_path is not None and status["setting"] != "torch" and status["onnxruntime"]:
        try:
            manifest = read_manifest(runtime_folder(weights_path, choice))
        except OSError as exc:
            log.debug("no runtime manifest: %s", exc)
    if status["setting"] == "torch":
        status.update(active="torch fp32", note="chosen in the settings")
    elif not status["onnxruntime"]:
        status.update(active="torch fp32", note="onnxruntime is not installed")
    elif manifest is None:
        status.update(active=None, note="decided at the next index run on the CPU (a one-time export)")
    else:
        report = manifest.get("report", {})
        status.update(
            active=report.get("label"),
            cosine=report.get("cosine"),
            speedup=report.get("speedup"),
            bound=manifest.get("bound"),
            note=report.get("note", ""),
        )
    return status
