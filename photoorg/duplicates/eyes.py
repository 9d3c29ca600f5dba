"""Eyes open or closed, from 68 facial landmarks.

The faces capability stores dlib's 5-point landmarks (eye corners and nose),
which say nothing of the eyelids. For the faces of photos that are in a group
(the only ones a best-shot choice needs), the 68-point predictor that ships in
``face_recognition_models`` is run once inside the stored face box, and the
eye aspect ratio is kept in ``dup_face_eyes``. A face stored with 68 points is
read directly.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

import numpy as np

from photoorg.duplicates.quality import eye_aspect_ratio
from photoorg.scan.imageio import decode, open_image
from photoorg.store.db import Database

log = logging.getLogger(__name__)

PREDICTOR_FILE = "shape_predictor_68_face_landmarks.dat"


def _predictor():
    # lazy: dlib loads a model file; only groups with faces need it
    import dlib

    from photoorg.faces.models import models_dir

    path = models_dir() / PREDICTOR_FILE
    if not path.is_file():
        return None, None
    return dlib, dlib.shape_predictor(str(path))


def measure_eyes(db: Database, photo_ids: Iterable[int]) -> dict[int, float]:
    """The smallest eye aspect ratio per photo among its faces, measuring the
    faces not measured yet. Photos without faces, or where the predictor is
    missing, are left out."""
    ids = sorted(set(photo_ids))
    if not ids:
        return {}
    con_rows = []
    with db.session() as s:
        for lo in range(0, len(ids), 500):
            part = ids[lo : lo + 500]
            marks = ",".join("?" * len(part))
            con_rows += (
                s.connection()
                .exec_driver_sql(
                    "SELECT f.id, f.photo_id, f.x, f.y, f.w, f.h, f.landmarks, e.ear, p.path, p.width "
                    "FROM faces f JOIN photos p ON p.id = f.photo_id "
                    f"LEFT JOIN dup_face_eyes e ON e.face_id = f.id WHERE f.photo_id IN ({marks})",
                    tuple(part),
                )
                .fetchall()
            )
    measured: dict[int, float | None] = {}
    todo: dict[str, list] = {}
    for face_id, _photo, x, y, w, h, landmarks, ear, path, width in con_rows:
        if ear is not None:
            measured[face_id] = ear
            continue
        direct = eye_aspect_ratio(_points(landmarks))
        if direct is not None:
            measured[face_id] = direct
        else:
            todo.setdefault(path, []).append((face_id, (x, y, w, h), width))
    if todo:
        measured.update(_run_predictor(todo))
        with db.transaction() as s:
            s.connection().exec_driver_sql(
                "INSERT OR REPLACE INTO dup_face_eyes (face_id, ear) VALUES (?, ?)",
                [(fid, ear) for fid, ear in measured.items()],
            )
    by_photo: dict[int, float] = {}
    photo_of = {row[0]: row[1] for row in con_rows}
    for face_id, ear in measured.items():
        if ear is not None:
            pid = photo_of[face_id]
            by_photo[pid] = min(ear, by_photo.get(pid, ear))
    return by_photo


def _points(landmarks) -> list:
    if isinstance(landmarks, str):
        landmarks = json.loads(landmarks)
    return list(landmarks or [])


def _run_predictor(todo: dict[str, list]) -> dict[int, float | None]:
    try:
        dlib, predictor = _predictor()
    except Exception as exc:  # dlib missing or its models: eyes stay unknown
        log.info("no 68-point landmarks: %s", exc)
        dlib = predictor = None
    out: dict[int, float | None] = {}
    for path, faces in todo.items():
        if predictor is None:
            out.update({fid: None for fid, _, _ in faces})
            continue
        try:
            with open(path, "rb") as fh:
                image = decode(open_image(fh.read()), 0)
        except Exception:
            out.update({fid: None for fid, _, _ in faces})
            continue
        rgb = np.ascontiguousarray(np.asarray(image, dtype=np.uint8))
        scale = image.width / faces[0][2] if faces[0][2] else 1.0  # stored boxes are in full-size pixels
        for face_id, (x, y, w, h), _ in faces:
            rect = dlib.rectangle(
                round(x * scale), round(y * scale), round((x + w) * scale), round((y + h) * scale)
            )
            shape = predictor(rgb, rect)
            out[face_id] = eye_aspect_ratio(
                [(shape.part(i).x, shape.part(i).y) for i in range(shape.num_parts)]
            )
    return out
