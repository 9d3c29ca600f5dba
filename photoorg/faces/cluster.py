"""Grouping faces into people, incrementally.

Only faces no clustering has looked at yet ("pending": ``assigned_by`` is
NULL) are placed; nothing already placed moves, so the user's work and the
people they know stay as they are.

1. A pending face joins the existing person whose nearest faces (the mean
   distance to up to three of them) are closest, below the threshold. Not a
   person the user said it is not, not a person already in that photo, and not
   when two people are about equally close (that is left to the user).
2. The faces left over and the earlier unknown faces are linked when closer
   than the threshold (never two faces of one photo), and the linked groups
   are split with Chinese whispers (dlib's implementation). A group of two or
   more faces with at least one new face becomes a new, unnamed person.
3. Everything else stays unknown ("auto", no person) for the review screen.

Writes happen at the end, in batches of their own transactions (a kill loses
at most one batch; the faces not yet written stay pending), and touch only
faces still in the state they were read in, so a user's change made meanwhile
always wins.

Longer than most modules: the passes, the person index and the batched
writing share one run's state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import delete, exists, func, or_, select, update

from photoorg.faces.config import (
    AMBIGUITY_MARGIN,
    DEFAULT_THRESHOLD,
    FACES_GENERATION,
    MIN_CLUSTER_QUALITY,
    MIN_PERSON_FACES,
    NEAREST_K,
)
from photoorg.faces.models import import_dlib
from photoorg.progress import CancelToken, Progress
from photoorg.store.db import Database, bump_generation
from photoorg.store.schema import ASSIGNED_AUTO, Face, FaceRejection, Person

BLOCK = 512
WRITE_BATCH = 500  # faces per committed transaction
GROUP_BATCH = 50  # new people per committed transaction
CANDIDATES = 32
NEIGHBOURS = 24


@dataclass
class ClusterSummary:
    pending: int = 0
    joined: int = 0  # faces that joined people who existed before
    new_people: int = 0
    new_people_faces: int = 0
    unknown: int = 0
    cancelled: bool = False

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def stage_counts(self) -> dict[str, dict[str, int]]:
        """The run as ``index --json`` reports stages (faces looked at)."""
        if not self.pending:
            return {}
        return {
            "faces-cluster": {
                # Cancelled: only what was written counts; the rest is still pending.
                "done": self.joined + self.new_people_faces if self.cancelled else self.pending,
                "failed": 0,
                "joined": self.joined,
                "new_people": self.new_people,
                "unknown": self.unknown,
            }
        }


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of a and of b (float32)."""
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.sqrt(np.maximum(squared, 0.0, out=squared))


class PersonIndex:
    """The descriptors of the faces that belong to people, for nearest-person
    queries: distance to a person = mean distance to its K nearest faces."""

    def __init__(self, rows: list[tuple[int, int, int, np.ndarray]]) -> None:
        # rows: (face id, photo id, person id, descriptor)
        self.face_ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.photo_ids = np.array([r[1] for r in rows], dtype=np.int64)
        self.person_of = np.array([r[2] for r in rows], dtype=np.int64)
        self.vectors = (
            np.stack([r[3] for r in rows]).astype(np.float32) if rows else np.zeros((0, 128), np.float32)
        )
        self.members: dict[int, np.ndarray] = {}
        if rows:
            order = np.argsort(self.person_of, kind="stable")
            people, starts = np.unique(self.person_of[order], return_index=True)
            bounds = [*starts[1:], len(order)]
            for person, start, end in zip(people, starts, bounds):
                self.members[int(person)] = order[start:end]
        self.photo_people = set(zip(self.photo_ids.tolist(), self.person_of.tolist()))

    def __len__(self) -> int:
        return len(self.face_ids)

    def ranked_people(self, distances: np.ndarray, limit: float) -> list[tuple[float, int]]:
        """People near one face (its distances to every indexed face), as
        (person distance, person id) below ``limit``, nearest first."""
        if not len(distances):
            return []
        count = min(CANDIDATES, len(distances))
        nearest = (
            np.argpartition(distances, count - 1)[:count] if count < len(distances) else np.arange(count)
        )
        candidates = {int(p) for p in self.person_of[nearest[distances[nearest] < limit]]}
        ranked = []
        for person in candidates:
            own = distances[self.members[person]]
            k = min(NEAREST_K, len(own))
            score = float(np.partition(own, k - 1)[:k].mean()) if k < len(own) else float(own.mean())
            if score < limit:
                ranked.append((score, person))
        ranked.sort()
        return ranked


def _load_people_index(s) -> PersonIndex:
    rows = s.execute(
        select(Face.id, Face.photo_id, Face.person_id, Face.descriptor).where(Face.person_id.is_not(None))
    ).all()
    return PersonIndex([(r[0], r[1], r[2], r[3]) for r in rows])


def run_clustering(
    db: Database, threshold: float = DEFAULT_THRESHOLD, token: CancelToken | None = None
) -> Iterator[Progress]:
    """Place the pending faces; yields progress. The summary is the
    generator's return value (``yield from``)."""
    summary = ClusterSummary()
    with db.session() as s:
        pending = s.execute(
            select(Face.id, Face.photo_id, Face.descriptor, Face.quality)
            .where(Face.assigned_by.is_(None), Face.person_id.is_(None))
            .order_by(Face.quality.desc(), Face.id)
        ).all()
        if not pending:
            return summary
        index = _load_people_index(s)
        rejections = set(
            s.execute(
                select(FaceRejection.face_id, FaceRejection.person_id)
                .join(Face, Face.id == FaceRejection.face_id)
                .where(Face.assigned_by.is_(None))
            ).all()
        )
        unknown = s.execute(
            select(Face.id, Face.photo_id, Face.descriptor, Face.quality).where(
                Face.assigned_by == ASSIGNED_AUTO,
                Face.person_id.is_(None),
                Face.quality >= MIN_CLUSTER_QUALITY,
            )
        ).all()
    summary.pending = len(pending)
    total = len(pending)
    yield Progress("people", 0, total, message="Grouping faces into people")

    # 1. Join existing people.
    joins: dict[int, int] = {}
    ambiguous: set[int] = set()
    photo_people = set(index.photo_people)
    vectors = np.stack([np.asarray(r.descriptor, dtype=np.float32) for r in pending])
    for start in range(0, total, BLOCK):
        if _stopped(token):
            summary.cancelled = True
            return summary
        _match(
            pending[start : start + BLOCK],
            vectors[start : start + BLOCK],
            index,
            threshold,
            rejections,
            photo_people,
            joins,
            ambiguous,
        )
        yield Progress("people", min(total, start + BLOCK), total, message="Grouping faces into people")

    # 2. New people from what is left, together with earlier unknown faces.
    left = [
        f for f in pending if f.id not in joins and f.id not in ambiguous and f.quality >= MIN_CLUSTER_QUALITY
    ]
    groups: list[list[int]] = []
    if left:
        groups = yield from _new_groups(left, unknown, threshold, token)
        if groups is None:
            summary.cancelled = True
            return summary

    # 2b. The faces still left (small, blurred, or alone when the run began)
    # get a second look, now that the new people exist too. New groups are
    # people -1, -2, ... until they are written.
    grouped = {face_id for group in groups for face_id in group}
    rest = [
        i
        for i, f in enumerate(pending)
        if f.id not in joins and f.id not in ambiguous and f.id not in grouped
    ]
    if groups and rest:
        vector_of = {f.id: vectors[i] for i, f in enumerate(pending)}
        vector_of.update({f.id: np.asarray(f.descriptor, dtype=np.float32) for f in unknown})
        photo_of = {f.id: f.photo_id for f in pending}
        photo_of.update({f.id: f.photo_id for f in unknown})
        rows = [
            (face_id, photo_of[face_id], -(n + 1), vector_of[face_id])
            for n, group in enumerate(groups)
            for face_id in group
        ]
        combined = PersonIndex(
            [
                (int(a), int(b), int(c), v)
                for a, b, c, v in zip(index.face_ids, index.photo_ids, index.person_of, index.vectors)
            ]
            + rows
        )
        photo_people |= combined.photo_people
        late: dict[int, int] = {}
        _match(
            [pending[i] for i in rest],
            vectors[rest],
            combined,
            threshold,
            rejections,
            photo_people,
            late,
            ambiguous,
        )
        for face_id, person in late.items():
            if person < 0:
                groups[-person - 1].append(face_id)
            else:
                joins[face_id] = person

    # 3. Write, touching only faces still as they were read.
    quality = {f.id: f.quality for f in pending}
    quality.update({f.id: f.quality for f in unknown})
    yield from _write(db, summary, joins, groups, [f.id for f in pending], quality, token)
    if summary.cancelled:
        return summary
    summary.unknown = max(0, summary.pending - summary.joined - summary.new_people_faces)
    yield Progress("people", total, total, message=_describe(summary))
    return summary


def _write(db, summary, joins, groups, pending_ids, quality, token) -> Iterator[Progress]:
    """Commit the decisions in batches, each its own transaction: a kill keeps
    the batches done, and the faces of the rest stay pending for the next run
    (which places them again, now beside the people already written)."""
    join_items = list(joins.items())
    total = len(join_items) + len(groups) + len(pending_ids)
    done = 0
    message = "Saving people"
    for start in range(0, len(join_items), WRITE_BATCH):
        if _stopped(token):
            summary.cancelled = True
            return
        with db.transaction() as s:
            live = set(s.scalars(select(Person.id)))
            for face_id, person in join_items[start : start + WRITE_BATCH]:
                if person not in live:
                    continue
                result = s.execute(
                    update(Face)
                    .where(Face.id == face_id, Face.assigned_by.is_(None), Face.person_id.is_(None))
                    .values(person_id=person, assigned_by=ASSIGNED_AUTO)
                )
                summary.joined += result.rowcount
            bump_generation(s, FACES_GENERATION)
        done += len(join_items[start : start + WRITE_BATCH])
        yield Progress("people", done, total, message=message)
    now = datetime.now()
    for start in range(0, len(groups), GROUP_BATCH):
        if _stopped(token):
            summary.cancelled = True
            return
        with db.transaction() as s:
            for members in groups[start : start + GROUP_BATCH]:
                _write_new_person(s, members, quality, now, summary)
            bump_generation(s, FACES_GENERATION)
        done += len(groups[start : start + GROUP_BATCH])
        yield Progress("people", done, total, message=message)
    # Last, what is left of the pending faces becomes "looked at": only now,
    # so a run killed earlier places them again.
    for start in range(0, len(pending_ids), WRITE_BATCH):
        if _stopped(token):
            summary.cancelled = True
            return
        with db.transaction() as s:
            s.execute(
                update(Face)
                .where(Face.id.in_(pending_ids[start : start + WRITE_BATCH]), Face.assigned_by.is_(None))
                .values(assigned_by=ASSIGNED_AUTO)
                .execution_options(synchronize_session=False)
            )
            bump_generation(s, FACES_GENERATION)
        done += len(pending_ids[start : start + WRITE_BATCH])
        yield Progress("people", done, total, message=message)


def _write_new_person(s, members: list[int], quality: dict[int, float], now, summary) -> None:
    person = Person(name=None, hidden=False, created_at=now, updated_at=now)
    s.add(person)
    s.flush()
    placed = s.execute(
        update(Face)
        .where(
            Face.id.in_(members),
            Face.person_id.is_(None),
            or_(Face.assigned_by.is_(None), Face.assigned_by == ASSIGNED_AUTO),
        )
        .values(person_id=person.id, assigned_by=ASSIGNED_AUTO)
        .execution_options(synchronize_session=False)
    ).rowcount
    if placed < MIN_PERSON_FACES:
        s.execute(
            update(Face)
            .where(Face.person_id == person.id)
            .values(person_id=None)
            .execution_options(synchronize_session=False)
        )
        s.delete(person)
        return
    person.cover_face_id = max(members, key=lambda f: quality.get(f, 0.0))
    summary.new_people += 1
    summary.new_people_faces += placed


def _match(faces, vectors, index, threshold, rejections, photo_people, joins, ambiguous) -> None:
    """Faces (rows with id and photo_id, and their vectors) that join a person
    of the index go into ``joins``; ties between two people into ``ambiguous``."""
    if not len(index) or not len(faces):
        return
    distances = pairwise_distances(vectors, index.vectors)
    for row, face in zip(distances, faces):
        ranked = [
            (score, person)
            for score, person in index.ranked_people(row, threshold)
            if (face.id, person) not in rejections and (face.photo_id, person) not in photo_people
        ]
        if not ranked:
            continue
        if len(ranked) > 1 and ranked[1][0] - ranked[0][0] < AMBIGUITY_MARGIN:
            ambiguous.add(face.id)  # two people about equally likely: the user decides
            continue
        person = ranked[0][1]
        joins[face.id] = person
        photo_people.add((face.photo_id, person))


def _new_groups(left, unknown, threshold: float, token) -> Iterator[Progress]:
    """Groups of face ids that make new people (generator; returns the list,
    or None when cancelled)."""
    nodes = list(left) + [f for f in unknown]
    vectors = np.stack([np.asarray(f.descriptor, dtype=np.float32) for f in nodes])
    photos = np.array([f.photo_id for f in nodes], dtype=np.int64)
    edges: dict[tuple[int, int], float] = {}
    for start in range(0, len(left), BLOCK):
        if _stopped(token):
            return None
        distances = pairwise_distances(vectors[start : start + BLOCK], vectors)
        rows = np.arange(len(distances))
        distances[rows, start + rows] = np.inf
        hit_rows, hit_cols = np.nonzero(distances < threshold)
        bounds = [*np.searchsorted(hit_rows, rows, side="left").tolist(), len(hit_rows)]
        for r in range(len(distances)):
            cols = hit_cols[bounds[r] : bounds[r + 1]]
            if not len(cols):
                continue
            near = distances[r, cols]
            if len(cols) > NEIGHBOURS:
                # The nearest few neighbours are enough to hold a person together,
                # and keep the graph small when one person has thousands of faces.
                keep = np.argpartition(near, NEIGHBOURS - 1)[:NEIGHBOURS]
                cols, near = cols[keep], near[keep]
            i = start + r
            for c, d in zip(cols.tolist(), near.tolist()):
                if photos[c] != photos[i]:  # never two faces of one photo
                    edges[(i, c) if i < c else (c, i)] = d
        yield Progress("people", 0, None, message="Finding new people")
    if not edges:
        return []
    used = sorted({i for pair in edges for i in pair})
    position = {node: k for k, node in enumerate(used)}
    dlib = import_dlib()
    labels = dlib.chinese_whispers(
        [(position[i], position[j], 1.0 - d) for (i, j), d in sorted(edges.items())]
    )
    clusters: dict[int, list[int]] = {}
    for node, label in zip(used, labels):
        clusters.setdefault(int(label), []).append(node)
    groups = []
    new_count = len(left)
    for members in clusters.values():
        members = _one_per_photo(members, vectors, photos)
        if len(members) >= MIN_PERSON_FACES and any(m < new_count for m in members):
            groups.append(sorted(int(nodes[m].id) for m in members))
    groups.sort(key=lambda g: (-len(g), g[0]))
    return groups


def _one_per_photo(members: list[int], vectors: np.ndarray, photos: np.ndarray) -> list[int]:
    """A person appears once in a photo: of several faces of one photo in a
    group, keep the one closest to the rest of the group."""
    by_photo: dict[int, list[int]] = {}
    for m in members:
        by_photo.setdefault(int(photos[m]), []).append(m)
    if all(len(v) == 1 for v in by_photo.values()):
        return members
    centre = vectors[members].mean(axis=0)
    kept = []
    for group in by_photo.values():
        kept.append(min(group, key=lambda m: float(np.linalg.norm(vectors[m] - centre))))
    return kept


def _stopped(token: CancelToken | None) -> bool:
    if token is None:
        return False
    token.wait_while_paused()
    return token.cancelled


def _describe(summary: ClusterSummary) -> str:
    parts = []
    if summary.joined:
        parts.append(f"{summary.joined} face(s) joined known people")
    if summary.new_people:
        parts.append(f"{summary.new_people} new people")
    if summary.unknown:
        parts.append(f"{summary.unknown} unknown")
    return "People: " + (", ".join(parts) if parts else "nothing new")


def cluster_faces(
    db: Database, threshold: float = DEFAULT_THRESHOLD, token: CancelToken | None = None
) -> ClusterSummary:
    """Run the clustering to the end and return its summary."""
    steps = run_clustering(db, threshold, token)
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


def remove_empty_people(session) -> int:
    """Unnamed people left without faces (after a merge or moves) go away;
    a named person stays, so faces can be given to them later."""
    has_faces = exists().where(Face.person_id == Person.id)
    result = session.execute(
        delete(Person).where(Person.name.is_(None), ~has_faces).execution_options(synchronize_session=False)
    )
    return result.rowcount


def count_pending(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).where(Face.assigned_by.is_(None), Face.person_id.is_(None))) or 0
