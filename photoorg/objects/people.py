"""``person`` and ``people`` tags from the evidence that has a location: the
faces the faces stage found, the smaller faces the offline small-faces stage
found (photoorg/objects/small_faces.py) and the persons the COCO detector
boxed (when the user installed it). The offline tagger adds its own ``person`` evidence from
ImageNet classes that imply someone (a groom, a scuba diver, worn clothing;
see resources/tags/imagenet_implies.json), which needs no location.

A photo with one person gets ``person``; with two or more, ``people`` (a child
of ``person``, so ``tag:person`` finds both). The count is the larger of the
faces and the detected persons: a face turned away is still a detected person,
and a small face the detector missed is still a face. (The same face found
by two detectors is counted once: the largest count wins, they are not added.)

Confidence: a face is a person with ``FACE_PRECISION`` (measured on the
everyday dev set, benchmarks/eval_everyday.py); the detector's own score
otherwise; both together combine as independent evidence (noisy-or).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from photoorg.objects.store import FACE_PRECISION, SOURCE_DETECTOR, SOURCE_SMALL_FACE
from photoorg.progress import CancelToken, Progress
from photoorg.store.db import Database, bump_generation
from photoorg.store.schema import TAG_ON, Face, PhotoTag, Tag
from photoorg.tags.store import TAGS_GENERATION
from photoorg.tags.vocabulary import ensure_vocabulary

#: PhotoTag.source of the person/people tags this step writes
TAG_SOURCE_PEOPLE = "people"
#: detector boxes of persons under this score are not counted
DETECTOR_PERSON_MIN = 0.5
PHASE = "people-tags"


@dataclass(frozen=True)
class PersonEvidence:
    faces: int = 0
    detected: int = 0
    detector_confidence: float = 0.0
    small_faces: int = 0
    small_face_confidence: float = 0.0

    @property
    def count(self) -> int:
        return max(self.faces, self.detected, self.small_faces)

    @property
    def confidence(self) -> float:
        miss = 1.0
        if self.faces:
            miss *= 1.0 - FACE_PRECISION
        if self.detected:
            miss *= 1.0 - self.detector_confidence
        if self.small_faces:
            miss *= 1.0 - self.small_face_confidence
        return 1.0 - miss

    @property
    def tag(self) -> str | None:
        if self.count == 0:
            return None
        return "people" if self.count >= 2 else "person"


def gather_evidence(session: Session, photo_ids: list[int] | None = None) -> dict[int, PersonEvidence]:
    """Photo id -> its person evidence, for the photos that have any."""
    faces_q = select(Face.photo_id, func.count()).where(Face.detector != "stale").group_by(Face.photo_id)
    boxes_sql = (
        "SELECT photo_id, COUNT(*), MAX(confidence) FROM photo_objects "
        "WHERE label = 'person' AND source = ? AND confidence >= ? GROUP BY photo_id"
    )
    faces = dict(session.execute(faces_q).all())
    connection = session.connection()
    detected = {
        pid: (n, conf)
        for pid, n, conf in connection.exec_driver_sql(boxes_sql, (SOURCE_DETECTOR, DETECTOR_PERSON_MIN))
    }
    small = {
        pid: (n, conf) for pid, n, conf in connection.exec_driver_sql(boxes_sql, (SOURCE_SMALL_FACE, 0.0))
    }
    evidence = {}
    for pid in set(faces) | set(detected) | set(small):
        if photo_ids is not None and pid not in photo_ids:
            continue
        n, conf = detected.get(pid, (0, 0.0))
        n_small, conf_small = small.get(pid, (0, 0.0))
        evidence[pid] = PersonEvidence(
            faces=int(faces.get(pid, 0)),
            detected=int(n),
            detector_confidence=conf,
            small_faces=int(n_small),
            small_face_confidence=conf_small,
        )
    return evidence


def photo_evidence(session: Session, photo_id: int) -> PersonEvidence:
    return gather_evidence(session, [photo_id]).get(photo_id, PersonEvidence())


def refresh_people_tags(db: Database, token: CancelToken) -> Iterator[Progress]:
    """Bring the person/people tags in step with the evidence (a diff: a run
    with nothing new writes nothing)."""
    ensure_vocabulary(db)
    yield Progress(PHASE, 0, 1, message="Person and people tags")
    with db.session() as s:
        tag_ids = dict(s.execute(select(Tag.name, Tag.id).where(Tag.name.in_(("person", "people")))).all())
        wanted = {
            (pid, tag_ids[e.tag]): e.confidence for pid, e in gather_evidence(s).items() if e.tag in tag_ids
        }
        have = {
            (pid, tid): conf
            for pid, tid, conf in s.execute(
                select(PhotoTag.photo_id, PhotoTag.tag_id, PhotoTag.confidence).where(
                    PhotoTag.source == TAG_SOURCE_PEOPLE
                )
            )
        }
    token.checkpoint()
    stale = [key for key in have if key not in wanted or abs(have[key] - wanted[key]) > 1e-6]
    new = [key for key in wanted if key not in have or key in stale]
    if stale or new:
        now = datetime.now()
        with db.transaction() as s:
            for pid, tid in stale:
                s.execute(
                    delete(PhotoTag).where(
                        PhotoTag.photo_id == pid, PhotoTag.tag_id == tid, PhotoTag.source == TAG_SOURCE_PEOPLE
                    )
                )
            s.flush()
            for pid, tid in new:
                s.add(
                    PhotoTag(
                        photo_id=pid,
                        tag_id=tid,
                        source=TAG_SOURCE_PEOPLE,
                        confidence=wanted[(pid, tid)],
                        state=TAG_ON,
                        updated_at=now,
                    )
                )
            bump_generation(s, TAGS_GENERATION)
    yield Progress(PHASE, 1, 1, message="Person and people tags")
    return {TAG_SOURCE_PEOPLE: {"done": len(new), "failed": 0}}
