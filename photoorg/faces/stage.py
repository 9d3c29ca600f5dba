"""The faces stage of the pipeline, and how its results are written.

- ``prepare`` (decode workers): detect, landmarks, aligned chip, quality.
  Photos are decoded near the detector's size (models.DECODE_FRACTION), and a
  large photo is first looked at coarsely; the fine look (the detection size)
  runs only on photos where the coarse one saw a face or a near-face
  (models.py, "where to look"). dlib's HOG detector releases the GIL, so the
  decode workers run it in parallel with decoding and with the inference thread.
- ``infer`` (inference thread): the 128-D descriptors of a batch's faces,
  computed in one call in a child process (dlib holds the GIL for its ~60 ms
  a face forward pass).
- ``save`` (writer): boxes mapped from the analysed image to the photo's
  full displayed size, faces below the minimum size dropped, rows written.

A photo analysed again (a new detector, or changed content) keeps the user's
decisions: new detections are matched to the old face rows by position or
likeness, and a matched row is updated in place, so its person, its
"assigned by the user" mark and its "not this person" rejections stay.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from PIL import Image
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from photoorg.faces.config import FACES_GENERATION, FaceSettings
from photoorg.faces.encoder_process import EncoderProcess, child_processes_allowed
from photoorg.faces.models import DECODE_FRACTION, FaceAnalyzer, FaceDetections
from photoorg.pipeline.stages import ImageStage, stage_done_for
from photoorg.store.db import bump_generation
from photoorg.store.schema import ASSIGNED_USER, Face, FaceRejection, Photo

log = logging.getLogger(__name__)

STAGE_NAME = "faces"
#: Face.detector of a face kept across a content change only for the user's
#: decision on it; it is matched to a new detection or dropped.
STALE = "stale"
#: new and old faces are the same face when their boxes overlap this much...
MATCH_IOU = 0.3
#: ...or their descriptors are this close (the same person twice in one photo
#: does not happen, so a close descriptor in the same photo is the same face).
MATCH_DISTANCE = 0.4


@dataclass
class NewFace:
    """A face ready to store: box and landmarks in full-size displayed pixels."""

    box: tuple[int, int, int, int]
    landmarks: list[list[float]]
    descriptor: np.ndarray
    quality: float
    detector: str
    person_id: int | None = None
    assigned_by: str | None = None
    rejected: tuple[int, ...] = ()


class _Detecting:
    """A detection running in a helper thread while the decode worker moves on."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: FaceDetections | None = None
        self.error: BaseException | None = None

    def get(self) -> FaceDetections:
        self.done.wait()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class FacesStage(ImageStage):
    """Detection runs in the decode workers (dlib's HOG releases the GIL),
    plus one helper: a photo's detection is handed to a short-lived thread
    when the helper slot is free, so the worker goes on decoding the next
    photo; when it is busy the worker detects itself. Decoding and detection
    overlap on two cores even with the one decode worker a 2-core machine gets."""

    name = STAGE_NAME
    batch_size = 8

    def __init__(
        self, analyzer: FaceAnalyzer, settings: FaceSettings, helper: bool = True, child_encoder: bool = True
    ) -> None:
        self.analyzer = analyzer
        self.settings = settings
        # The detector's useful size, not more: the fine look scales up from it.
        fraction = DECODE_FRACTION if analyzer.detector_name == "hog" else 1.0
        self.min_side = round(settings.detect_side * fraction)
        #: photos per detection path (models.PATH_FULL, PATH_COARSE), for reports
        self.paths: Counter[str] = Counter()
        self._helper_cpu = 0.0
        self._cpu_lock = threading.Lock()
        self._helper = threading.Semaphore(1) if helper else None
        self._encoder = None
        if child_encoder and child_processes_allowed():
            try:
                self._encoder = EncoderProcess(analyzer.encoder_path)
            except (OSError, ValueError) as exc:  # no child processes here: the network runs in this one
                log.warning("face encoder process unavailable (%s); describing faces in-process", exc)

    @property
    def version(self) -> str:
        return self.settings.stage_version

    def prepare(self, image: Image.Image, content_hash: str | None) -> FaceDetections | _Detecting:
        if self._helper is not None and self._helper.acquire(blocking=False):
            pending = _Detecting()
            try:
                threading.Thread(
                    target=self._detect_into, args=(pending, image), name="photoorg-faces-detect", daemon=True
                ).start()
            except BaseException:
                self._helper.release()
                raise
            return pending
        return self.analyzer.detect(image)

    def _detect_into(self, pending: _Detecting, image: Image.Image) -> None:
        started = time.thread_time()
        try:
            pending.result = self.analyzer.detect(image)
        except BaseException as exc:  # handed to infer(), which fails that batch's photos
            pending.error = exc
        finally:
            with self._cpu_lock:
                self._helper_cpu += time.thread_time() - started
            self._helper.release()
            pending.done.set()

    def take_cpu_seconds(self) -> float:
        """Detection in the helper thread, and the encoder process's work."""
        with self._cpu_lock:
            seconds, self._helper_cpu = self._helper_cpu, 0.0
        if self._encoder is not None:
            seconds += self._encoder.cpu_seconds
            self._encoder.cpu_seconds = 0.0
        return seconds

    def infer(self, prepared: list) -> list[FaceDetections]:
        results = [item.get() if isinstance(item, _Detecting) else item for item in prepared]
        self.paths.update(detections.path for detections in results)
        faces = [face for detections in results for face in detections.faces]
        vectors = None
        if self._encoder is not None:
            try:
                vectors = self._encoder.describe([face.chip for face in faces])
            except RuntimeError as exc:
                log.warning("%s; describing faces in-process from now on", exc)
                self._encoder = None
        if vectors is None:
            # One face at a time: other threads get the GIL back in between.
            vectors = [self.analyzer.describe(face.chip) for face in faces]
        for face, vector in zip(faces, vectors, strict=True):
            face.descriptor = vector
            face.chip = None  # 67 KB a face: not kept past here
        return results

    def close(self) -> None:
        """Stop the encoder process now (it also stops when the stage is released)."""
        if self._encoder is not None:
            self._encoder.close()

    def save(self, session: Session, photo_id: int, result: FaceDetections) -> None:
        faces = to_full_size(session, photo_id, result, self.settings.min_face)
        apply_faces(session, photo_id, faces)

    def copy_result(self, session: Session, source_photo_id: int, target_photo_id: int) -> bool:
        if not stage_done_for(session, source_photo_id, self.name, self.version):
            return False
        rows = session.scalars(select(Face).where(Face.photo_id == source_photo_id).order_by(Face.id)).all()
        rejected: dict[int, list[int]] = {}
        for face_id, person_id in session.execute(
            select(FaceRejection.face_id, FaceRejection.person_id).where(
                FaceRejection.face_id.in_([r.id for r in rows])
            )
        ):
            rejected.setdefault(face_id, []).append(person_id)
        faces = [
            NewFace(
                box=(row.x, row.y, row.w, row.h),
                landmarks=row.landmarks,
                descriptor=np.asarray(row.descriptor, dtype=np.float32),
                quality=row.quality,
                detector=row.detector,
                person_id=row.person_id,
                assigned_by=row.assigned_by,
                rejected=tuple(rejected.get(row.id, ())),
            )
            for row in rows
            if row.detector != STALE
        ]
        apply_faces(session, target_photo_id, faces)
        return True

    def forget(self, session: Session, photo_id: int) -> None:
        forget_faces(session, photo_id)


def to_full_size(session: Session, photo_id: int, result: FaceDetections, min_face: int) -> list[NewFace]:
    """Map boxes from the analysed image to the photo's displayed size."""
    width, height = session.execute(select(Photo.width, Photo.height).where(Photo.id == photo_id)).one()
    ratio = (width / result.width) if width and result.width else 1.0
    if height and result.height:
        ratio = (ratio + height / result.height) / 2 if width else height / result.height
    faces = []
    for face in result.faces:
        if face.descriptor is None:
            continue
        x, y, w, h = (v * ratio for v in face.box)
        if w < min_face:
            continue
        if width and height:
            x, y = max(0.0, min(x, width - 1)), max(0.0, min(y, height - 1))
            w, h = min(w, width - x), min(h, height - y)
        faces.append(
            NewFace(
                box=(round(x), round(y), max(1, round(w)), max(1, round(h))),
                landmarks=[[round(px * ratio, 1), round(py * ratio, 1)] for px, py in face.landmarks],
                descriptor=face.descriptor,
                quality=face.quality,
                detector=result.detector,
            )
        )
    return faces


def _iou(a: tuple, b: tuple) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def apply_faces(session: Session, photo_id: int, faces: list[NewFace]) -> None:
    """Make the photo's face rows these faces, keeping the user's decisions."""
    old = list(session.scalars(select(Face).where(Face.photo_id == photo_id).order_by(Face.id)))
    pairs = []
    for i, row in enumerate(old):
        row_box = (row.x, row.y, row.w, row.h)
        row_vector = np.asarray(row.descriptor, dtype=np.float32)
        for j, face in enumerate(faces):
            distance = float(np.linalg.norm(row_vector - face.descriptor))
            overlap = 0.0 if row.detector == STALE else _iou(row_box, face.box)
            if overlap >= MATCH_IOU or distance < MATCH_DISTANCE:
                pairs.append((-overlap, distance, i, j))
    pairs.sort()
    matched_old: dict[int, int] = {}
    matched_new: set[int] = set()
    for _, _, i, j in pairs:
        if i in matched_old or j in matched_new:
            continue
        matched_old[i] = j
        matched_new.add(j)

    now = datetime.now()
    for i, row in enumerate(old):
        j = matched_old.get(i)
        if j is not None:
            face = faces[j]
            row.x, row.y, row.w, row.h = face.box
            row.descriptor = face.descriptor
            row.landmarks = face.landmarks
            row.quality = face.quality
            row.detector = face.detector
            if row.assigned_by != ASSIGNED_USER and face.assigned_by == ASSIGNED_USER:
                row.person_id, row.assigned_by = face.person_id, face.assigned_by
            continue
        keep = row.detector != STALE and row.assigned_by == ASSIGNED_USER and row.person_id is not None
        if not keep:
            # A user-confirmed face the new detector missed stays; anything else goes.
            session.delete(row)
    session.flush()
    for j, face in enumerate(faces):
        if j in matched_new:
            continue
        row = Face(
            photo_id=photo_id,
            x=face.box[0],
            y=face.box[1],
            w=face.box[2],
            h=face.box[3],
            descriptor=face.descriptor,
            landmarks=face.landmarks,
            quality=face.quality,
            detector=face.detector,
            person_id=face.person_id,
            assigned_by=face.assigned_by,
            created_at=now,
        )
        session.add(row)
        if face.rejected:
            session.flush()
            for person_id in face.rejected:
                session.add(FaceRejection(face_id=row.id, person_id=person_id, created_at=now))
    bump_generation(session, FACES_GENERATION)


def forget_faces(session: Session, photo_id: int) -> None:
    """The photo's content changed: drop its faces, except those the user
    decided about, which wait (marked stale) to be matched to new detections."""
    decided = select(FaceRejection.face_id)
    session.execute(
        delete(Face).where(
            Face.photo_id == photo_id,
            Face.assigned_by.is_distinct_from(ASSIGNED_USER),
            Face.id.not_in(decided),
        )
    )
    session.execute(update(Face).where(Face.photo_id == photo_id).values(detector=STALE))
    bump_generation(session, FACES_GENERATION)
