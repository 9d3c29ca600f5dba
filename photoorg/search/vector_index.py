"""All vectors of one model as one in-memory float32 matrix, kept in step with the DB.

Brute-force cosine ranking (a matrix-vector product) over normalised float32
vectors is exact and, in numpy, fast enough for a personal library: ~100k
vectors in a few ms, 1M in well under the latency budget. Staleness is
detected with one read of a generation counter; new rows are appended by id,
and anything else (a deletion, a replaced vector) reloads the matrix.
"""

from __future__ import annotations

import threading

import numpy as np
from sqlalchemy import func, select

from photoorg.pipeline.clip_stage import EMBEDDINGS_GENERATION
from photoorg.roots import PHOTOS_GENERATION
from photoorg.store.db import Database
from photoorg.store.schema import PHOTO_OK, Embedding, Photo


class VectorIndex:
    def __init__(self, db: Database, model_id: int, dim: int) -> None:
        self.db = db
        self.model_id = model_id
        self.dim = dim
        self._lock = threading.Lock()
        self._ids = np.empty(0, dtype=np.int64)  # photo ids, row-aligned with the matrix
        self._matrix = np.empty((0, dim), dtype=np.float32)
        self._last_row_id = 0
        self._generation = -1
        self._present_generation = -1
        self._present_mask = np.empty(0, dtype=bool)

    def __len__(self) -> int:
        return len(self._ids)

    # -- keeping in step -----------------------------------------------------------

    def refresh(self) -> None:
        with self._lock:
            generations = self.db.generations(EMBEDDINGS_GENERATION, PHOTOS_GENERATION)
            generation = generations[EMBEDDINGS_GENERATION]
            if generation != self._generation:
                self._sync()
                self._generation = generation
                self._present_generation = -1
            photos_generation = generations[PHOTOS_GENERATION]
            if photos_generation != self._present_generation:
                self._present_mask = self._load_present_mask()
                self._present_generation = photos_generation

    def _sync(self) -> None:
        with self.db.session() as s:
            count = s.scalar(select(func.count()).where(Embedding.model_id == self.model_id)) or 0
            connection = s.connection()
            rows = connection.exec_driver_sql(
                "SELECT id, photo_id, vector FROM embeddings WHERE model_id = ? AND id > ? ORDER BY id",
                (self.model_id, self._last_row_id),
            ).fetchall()
            if len(self._ids) + len(rows) != count:
                # Rows were deleted or replaced since the last look: start over.
                rows = connection.exec_driver_sql(
                    "SELECT id, photo_id, vector FROM embeddings WHERE model_id = ? ORDER BY id",
                    (self.model_id,),
                ).fetchall()
                self._ids = np.empty(0, dtype=np.int64)
                self._matrix = np.empty((0, self.dim), dtype=np.float32)
        if not rows:
            return
        ids = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype="<f4").reshape(len(rows), self.dim)
        self._ids = np.concatenate([self._ids, ids]) if len(self._ids) else ids
        self._matrix = np.vstack([self._matrix, matrix]) if len(self._matrix) else matrix.copy()
        self._last_row_id = rows[-1][0]

    def _load_present_mask(self) -> np.ndarray:
        """Rows whose photo is readable and where the index says it is."""
        with self.db.session() as s:
            present = np.fromiter(
                s.scalars(select(Photo.id).where(Photo.state == PHOTO_OK, Photo.missing_since.is_(None))),
                dtype=np.int64,
            )
        return np.isin(self._ids, present)

    # -- ranking -------------------------------------------------------------------

    def vector_of(self, photo_id: int) -> np.ndarray | None:
        self.refresh()
        where = np.nonzero(self._ids == photo_id)[0]
        return None if len(where) == 0 else self._matrix[where[0]]

    def rank(
        self,
        query: np.ndarray,
        limit: int,
        *,
        allowed: np.ndarray | None = None,
        min_score: float | None = None,
        exclude: set[int] | None = None,
    ) -> list[tuple[int, float]]:
        """The best ``limit`` (photo id, cosine) pairs, best first.

        ``allowed`` is a sorted array of photo ids a filter admits (None: all).
        """
        self.refresh()
        if len(self._ids) == 0 or limit <= 0:
            return []
        scores = self._matrix @ query.astype(np.float32, copy=False)
        mask = self._present_mask.copy()
        if allowed is not None:
            mask &= np.isin(self._ids, allowed, assume_unique=False)
        if exclude:
            mask &= ~np.isin(self._ids, np.fromiter(exclude, dtype=np.int64))
        if min_score is not None:
            mask &= scores >= min_score
        candidates = np.nonzero(mask)[0]
        if len(candidates) == 0:
            return []
        candidate_scores = scores[candidates]
        if len(candidates) > limit:
            top = np.argpartition(-candidate_scores, limit - 1)[:limit]
        else:
            top = np.arange(len(candidates))
        order = top[np.argsort(-candidate_scores[top], kind="stable")]
        return [(int(self._ids[candidates[i]]), float(candidate_scores[i])) for i in order]
