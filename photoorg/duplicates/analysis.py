"""Finding the groups after an index run, and reading them back.

The whole library is grouped again each time (multi-index hashing makes that
seconds for 100k photos, see the README), so a photo added, changed or trashed
is reflected without bookkeeping. Groups the user kept whole ("keep all") are
remembered by their members and not offered again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import numpy as np

from photoorg.duplicates import store
from photoorg.duplicates.eyes import measure_eyes
from photoorg.duplicates.grouping import BURST_GAP_SECONDS, Hashes, candidate_pairs, find_groups
from photoorg.duplicates.quality import Quality
from photoorg.duplicates.ranking import Candidate, rank
from photoorg.faces.config import FACES_GENERATION
from photoorg.ml.selection import current_choice
from photoorg.progress import CancelToken, Progress
from photoorg.roots import PHOTOS_GENERATION
from photoorg.store.db import Database, bump_generation

GENERATION = "duplicates"
#: the generations the last grouping saw (see _token)
GROUPED_SETTING = "duplicates.grouped"
_ID_CHUNK = 500


def _token(db: Database) -> list[int]:
    """What the groups depend on: fingerprints and groups ("duplicates", bumped
    by the stage and by every decision), photos and their marks, faces."""
    found = db.generations(GENERATION, PHOTOS_GENERATION, FACES_GENERATION)
    return [found[GENERATION], found[PHOTOS_GENERATION], found[FACES_GENERATION]]


def _photo_rows(db: Database) -> list[tuple]:
    with db.session() as s:
        return (
            s.connection()
            .exec_driver_sql(
                "SELECT p.id, p.content_hash, p.taken_at, p.camera_model, f.phash, f.dhash, f.window_phash, "
                "f.window_dhash FROM photos p JOIN dup_fingerprints f ON f.photo_id = p.id "
                "WHERE p.state = 'ok' AND p.missing_since IS NULL ORDER BY p.id"
            )
            .fetchall()
        )


def _seconds(value) -> float:
    if value is None:
        return float("nan")
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.timestamp()


def _vectors(db: Database, photo_ids: Sequence[int]) -> dict[int, np.ndarray]:
    """CLIP vectors of the current model for these photos (those that have one)."""
    key = current_choice(db).key
    out: dict[int, np.ndarray] = {}
    with db.session() as s:
        con = s.connection()
        model = con.exec_driver_sql("SELECT id FROM models WHERE key = ?", (key,)).first()
        if model is None:
            return out
        for lo in range(0, len(photo_ids), _ID_CHUNK):
            part = list(photo_ids[lo : lo + _ID_CHUNK])
            marks = ",".join("?" * len(part))
            for pid, blob in con.exec_driver_sql(
                f"SELECT photo_id, vector FROM embeddings WHERE model_id = ? AND photo_id IN ({marks})",
                (model[0], *part),
            ):
                out[pid] = np.frombuffer(blob, dtype="<f4")
    return out


def _candidates(db: Database, photo_ids: Sequence[int], eyes: dict[int, float]) -> dict[int, Candidate]:
    out: dict[int, Candidate] = {}
    with db.session() as s:
        con = s.connection()
        for lo in range(0, len(photo_ids), _ID_CHUNK):
            part = list(photo_ids[lo : lo + _ID_CHUNK])
            marks = ",".join("?" * len(part))
            rows = con.exec_driver_sql(
                "SELECT p.id, p.width, p.height, p.size, p.mtime_ns, p.added_at, p.rating, p.favorite, "
                "(SELECT COUNT(*) FROM album_photos a WHERE a.photo_id = p.id), "
                "(SELECT MIN(quality) FROM faces fc WHERE fc.photo_id = p.id), "
                "p.content_hash, p.taken_at IS NOT NULL, p.format, "
                "f.sharpness, f.noise, f.highlights, f.shadows, f.brightness "
                f"FROM photos p LEFT JOIN dup_fingerprints f ON f.photo_id = p.id WHERE p.id IN ({marks})",
                tuple(part),
            )
            for row in rows:
                (
                    pid,
                    width,
                    height,
                    size,
                    mtime,
                    added,
                    rating,
                    fav,
                    albums,
                    face_q,
                    digest,
                    timed,
                    fmt,
                    *q,
                ) = row
                out[pid] = Candidate(
                    photo_id=pid,
                    width=width or 0,
                    height=height or 0,
                    size=size,
                    mtime_ns=mtime,
                    added_at=added if isinstance(added, datetime) else datetime.fromisoformat(str(added)),
                    rating=rating or 0,
                    favorite=bool(fav),
                    albums=albums,
                    quality=Quality(*q) if q[0] is not None else None,
                    eyes=eyes.get(pid),
                    face_quality=face_q,
                    content_hash=digest,
                    format=fmt,
                    has_capture_time=bool(timed),
                )
    return out


def regroup(db: Database, token: CancelToken | None = None) -> Iterator[Progress]:
    """Find and rank every group; returns how many, and of each kind. Nothing
    to do when no fingerprint, photo (marks included) or face changed since
    the last grouping."""
    if db.get_setting(GROUPED_SETTING) == _token(db):
        return None
    yield Progress("duplicates", 0, None, message="Looking for duplicates")
    rows = _photo_rows(db)
    ids = [r[0] for r in rows]
    content = [r[1] for r in rows]
    times = np.array([_seconds(r[2]) for r in rows], dtype=np.float64)
    cameras = [r[3] for r in rows]

    def stack(col: int, width: int) -> np.ndarray:
        if not rows:
            return np.zeros((0, width), dtype=np.int64)
        return np.stack([store.unpack(r[col]) for r in rows])

    hashes = Hashes(stack(4, 8), stack(5, 8), stack(6, 9), stack(7, 9))
    if token is not None:
        token.checkpoint()
    # CLIP vectors only for the photos a decision may need: candidate pairs and time neighbours.
    needed: set[int] = set()
    if rows:
        found = candidate_pairs(hashes)
        needed.update(int(i) for i in np.concatenate([found.a, found.b]))
        order = np.argsort(times)
        gaps = np.diff(times[order]) <= BURST_GAP_SECONDS
        needed.update(int(i) for i in order[1:][gaps])
        needed.update(int(i) for i in order[:-1][gaps])
    vectors = _vectors(db, [ids[i] for i in sorted(needed)])

    def similarity(a: int, b: int) -> float | None:
        va, vb = vectors.get(ids[a]), vectors.get(ids[b])
        return None if va is None or vb is None else float(va @ vb)

    found = find_groups(hashes, content, times, cameras, similarity)
    if token is not None:
        token.checkpoint()
    with db.session() as s:
        reviewed = store.reviewed_signatures(s)
    found = [g for g in found if store.signature(ids[r] for r in g.rows) not in reviewed]
    members = sorted({ids[r] for g in found for r in g.rows})
    eyes = measure_eyes(db, members)
    candidates = _candidates(db, members, eyes)
    ranked = [(g.kind, rank(g.kind, [candidates[ids[r]] for r in g.rows])) for g in found]
    with db.transaction() as s:
        count = store.replace_groups(s, ranked)
        bump_generation(s, GENERATION)
    db.set_setting(GROUPED_SETTING, _token(db))
    kinds: dict[str, int] = {}
    for kind, _ in ranked:
        kinds[kind] = kinds.get(kind, 0) + 1
    yield Progress("duplicates", count, count, message=_summary(kinds))
    # index --json reports it under "stages" (beside the image stage "duplicates")
    return {"duplicate-groups": {"done": count, "failed": 0, **kinds}}


def _summary(kinds: dict[str, int]) -> str:
    if not kinds:
        return "No duplicates found"
    names = {"exact": "exact", "near": "near-duplicate", "burst": "burst"}
    return "Found " + ", ".join(f"{n} {names[k]} group(s)" for k, n in sorted(kinds.items()))
