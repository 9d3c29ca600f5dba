"""The vectors of one model, ranked by cosine, kept in step with the database.

The bulk lives in a snapshot on disk (see vector_store.py): memory-mapped, so
a process's first query doesn't load a million vectors from SQLite first, and
with an IVF index past a size where brute force stops being instant. What
changed since the snapshot was written is applied in memory:

- rows added since (embedding ids only grow) are a small "tail" searched
  exactly beside it;
- rows deleted or replaced since (a replaced vector is a delete and an
  insert) are masked out;
- photos missing or unreadable are masked out by photo id.

A snapshot is used only if the database names it (a token setting written
when it is made): a re-created or restored database, or another library's
files, never pass. Staleness in a running process costs one read of the
generation counters per query. The index run rebuilds the snapshot when the
changes pile up (:func:`update_vector_store`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from photoorg.pipeline.clip_stage import EMBEDDINGS_GENERATION
from photoorg.progress import Progress
from photoorg.roots import PHOTOS_GENERATION
from photoorg.search import vector_store
from photoorg.search.vector_store import Snapshot
from photoorg.store.db import Database
from photoorg.store.schema import ABSENT_PHOTOS, Counter, Setting

log = logging.getLogger(__name__)

STAGE = "search-index"
TOKEN_SETTING = "vectors.snapshot:{model_id}"
# The index run rewrites the snapshot once the changes since exceed this share
# of it (or this many rows, for small libraries, where rewriting is cheap).
REBUILD_SHARE = 0.05
REBUILD_MIN_ROWS = 2_000
# A filter admitting at most this many photos, and at most this share of the
# snapshot, is ranked exactly on their rows. Past either, gathering the rows
# (2 KB each, scattered) costs more than reading more IVF lists: at 100k
# photos, a filter admitting half of them took 180 ms a query exactly, ~10 ms
# through the IVF.
EXACT_FILTER_ROWS = 50_000
EXACT_FILTER_SHARE = 0.2


def store_dir(db: Database, model_id: int, source: VectorTable | None = None) -> Path:
    suffix = f"-{source.suffix}" if source is not None and source.suffix else ""
    return db.path.parent / "vectors" / f"model-{model_id}{suffix}"


def token_setting(model_id: int, source: VectorTable | None = None) -> str:
    key = TOKEN_SETTING.format(model_id=model_id)
    return f"{key}:{source.suffix}" if source is not None and source.suffix else key


@dataclass(frozen=True)
class VectorTable:
    """A table of vectors the index can serve: ``id`` (only grows), ``photo_id``,
    ``model_id``, ``vector``. The photos' embeddings are one; a capability may
    keep more vectors per photo in its own (a video's keyframes)."""

    table: str
    generation: str
    #: the snapshot's folder beside the model's, and its token setting: "" for the embeddings
    suffix: str = ""


EMBEDDINGS = VectorTable("embeddings", EMBEDDINGS_GENERATION)


class VectorIndex:
    def __init__(
        self,
        db: Database,
        model_id: int,
        dim: int,
        folder: Path | None = None,
        source: VectorTable = EMBEDDINGS,
    ) -> None:
        self.db = db
        self.model_id = model_id
        self.dim = dim
        self.source = source
        self.folder = folder or store_dir(db, model_id, source)
        self.token_key = token_setting(model_id, source)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._alive: np.ndarray | None = None  # snapshot rows still in the database (None: all)
        self._tail_ids = np.empty(0, dtype=np.int64)
        self._tail_rows = np.empty(0, dtype=np.int64)
        self._tail = np.empty((0, dim), dtype=np.float32)
        self._absent = np.empty(0, dtype=np.int64)  # photo ids not to rank (missing, unreadable)
        self._by_photo: np.ndarray | None = None  # snapshot positions sorted by photo id
        self._state: tuple | None = None

    def __len__(self) -> int:
        """Vectors held (rows deleted since the snapshot not counted)."""
        if self._snapshot is None:
            return len(self._tail_ids)
        alive = len(self._snapshot) if self._alive is None else int(self._alive.sum())
        return alive + len(self._tail_ids)

    # -- keeping in step -----------------------------------------------------------

    def refresh(self) -> None:
        with self._lock:
            # One connection for both reads: this runs before every query.
            with self.db.session() as s:
                counters = (self.source.generation, PHOTOS_GENERATION)
                generations = dict(
                    s.execute(select(Counter.name, Counter.value).where(Counter.name.in_(counters))).all()
                )
                token = s.scalar(select(Setting.value).where(Setting.key == self.token_key))
            generations = {name: generations.get(name, 0) for name in counters}
            state = (generations[self.source.generation], token)
            if self._state is None or state != self._state[0]:
                self._sync(token)
            if self._state is None or generations[PHOTOS_GENERATION] != self._state[1]:
                self._absent = self._load_absent()
            self._state = (state, generations[PHOTOS_GENERATION])

    def needs_rebuild(self) -> bool:
        """Whether the snapshot is missing, or the changes since it pile up."""
        self.refresh()
        snapshot = self._snapshot
        if snapshot is None or snapshot.folder is None:
            return True
        if not snapshot.meta.get("ivf") and len(self) >= vector_store.IVF_MIN_ROWS:
            return True
        dead = 0 if self._alive is None else int((~self._alive).sum())
        return dead + len(self._tail_ids) > max(REBUILD_MIN_ROWS, REBUILD_SHARE * len(snapshot))

    def rebuild(self, *, ivf: bool = True) -> int:
        """Write a new snapshot of every row; returns how many. Without ``ivf``
        (a query waiting on it) no IVF is trained: the index run adds it later."""
        with self._lock:
            self._build(ivf=ivf)
            self._state = None
        self.refresh()
        return len(self)

    def _sync(self, token: str | None) -> None:
        snapshot = self._snapshot
        if snapshot is None or snapshot.folder is None or token != snapshot.token:
            snapshot = self.valid_snapshot(token)
        if snapshot is None:
            # No usable snapshot: write one now, without the IVF, whose
            # training is for the index run, not for a waiting query.
            self._build(ivf=False)
            return
        self._adopt(snapshot)

    def valid_snapshot(self, token: str | None) -> Snapshot | None:
        """The snapshot on disk, if it is the one the database names by ``token``."""
        if token is None:
            return None
        snapshot = vector_store.read_snapshot(self.folder)
        if snapshot is None:
            return None
        meta = snapshot.meta
        if meta.get("token") != token or meta.get("model_id") != self.model_id or meta.get("dim") != self.dim:
            return None
        return snapshot

    def _adopt(self, snapshot: Snapshot) -> None:
        """Take ``snapshot`` and work out what changed in the database since."""
        with self.db.session() as s:
            connection = s.connection()
            count = connection.exec_driver_sql(
                f"SELECT count(*) FROM {self.source.table} WHERE model_id = ?", (self.model_id,)
            ).scalar()
            tail = connection.exec_driver_sql(
                f"SELECT id, photo_id, vector FROM {self.source.table} "
                "WHERE model_id = ? AND id > ? ORDER BY id",
                (self.model_id, snapshot.max_row_id),
            ).fetchall()
            alive = None
            if count - len(tail) != len(snapshot):
                # Rows of the snapshot were deleted (or replaced) since.
                kept = np.fromiter(
                    (
                        r[0]
                        for r in connection.exec_driver_sql(
                            f"SELECT id FROM {self.source.table} WHERE model_id = ? AND id <= ?",
                            (self.model_id, snapshot.max_row_id),
                        )
                    ),
                    dtype=np.int64,
                )
                alive = np.isin(snapshot.row_ids, kept)
        if snapshot is not self._snapshot:
            self._by_photo = None
        self._snapshot, self._alive = snapshot, alive
        self._set_tail(tail)

    def _set_tail(self, rows) -> None:
        self._tail_rows = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        self._tail_ids = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        self._tail = (
            np.frombuffer(b"".join(r[2] for r in rows), dtype="<f4").reshape(len(rows), self.dim)
            if rows
            else np.empty((0, self.dim), dtype=np.float32)
        )

    def _build(self, *, ivf: bool) -> None:
        row_ids, photo_ids, matrix = self._read_all()
        token = vector_store.new_token()
        try:
            snapshot = vector_store.write_snapshot(
                self.folder,
                row_ids,
                photo_ids,
                matrix,
                token=token,
                model_id=self.model_id,
                ivf_min_rows=vector_store.IVF_MIN_ROWS if ivf else len(matrix) + 1,
            )
            self.db.set_setting(self.token_key, token)
        except (OSError, SQLAlchemyError) as exc:
            # A read-only library: search from memory, rebuilt per process.
            log.info("search index kept in memory only: %s", exc)
            meta = {"token": None, "max_row_id": int(row_ids.max()) if len(row_ids) else 0, "ivf": False}
            snapshot = Snapshot(None, meta, matrix, photo_ids, row_ids)
        self._snapshot, self._alive, self._by_photo = snapshot, None, None
        self._set_tail([])

    def _read_all(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every row of the model, read in chunks (no million-tuple list)."""
        row_chunks, photo_chunks, vector_chunks = [], [], []
        with self.db.session() as s:
            cursor = s.connection().exec_driver_sql(
                f"SELECT id, photo_id, vector FROM {self.source.table} WHERE model_id = ? ORDER BY id",
                (self.model_id,),
            )
            while rows := cursor.fetchmany(20_000):
                row_chunks.append(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
                photo_chunks.append(np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows)))
                joined = b"".join(r[2] for r in rows)
                vector_chunks.append(np.frombuffer(joined, dtype="<f4").reshape(len(rows), self.dim))
        if not row_chunks:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty((0, self.dim), np.float32)
        return np.concatenate(row_chunks), np.concatenate(photo_chunks), np.concatenate(vector_chunks)

    def _load_absent(self) -> np.ndarray:
        """Photos not to rank: missing, or no longer readable."""
        with self.db.session() as s:
            # The WHERE is the partial index's own, so SQLite reads only that index.
            rows = s.connection().exec_driver_sql(f"SELECT id FROM photos WHERE {ABSENT_PHOTOS}")
            return np.sort(np.fromiter((r[0] for r in rows), dtype=np.int64))

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Every live (photo id, vector) row: the snapshot's, then the tail's."""
        self.refresh()
        snapshot = self._snapshot
        if snapshot is None:
            return self._tail_ids, self._tail
        live = slice(None) if self._alive is None else self._alive
        return (
            np.concatenate([snapshot.photo_ids[live], self._tail_ids]),
            np.concatenate([np.asarray(snapshot.matrix[live]), self._tail]),
        )

    # -- ranking -------------------------------------------------------------------

    def vector_of(self, photo_id: int) -> np.ndarray | None:
        self.refresh()
        where = np.nonzero(self._tail_ids == photo_id)[0]
        if len(where):
            return np.array(self._tail[where[-1]])
        snapshot = self._snapshot
        if snapshot is None:
            return None
        rows = np.nonzero(snapshot.photo_ids == photo_id)[0]
        if self._alive is not None:
            rows = rows[self._alive[rows]]
        return None if len(rows) == 0 else np.array(snapshot.matrix[rows[0]])

    def rank(
        self,
        query: np.ndarray,
        limit: int,
        *,
        allowed: np.ndarray | None = None,
        min_score: float | None = None,
        exclude: set[int] | None = None,
        probes: int | None = None,
    ) -> list[tuple[int, float]]:
        """The best ``limit`` (photo id, cosine) pairs, best first.

        ``allowed`` is an array of photo ids a filter admits (None: all).
        ``probes`` overrides how many IVF lists are read (benchmarks).
        """
        self.refresh()
        if limit <= 0:
            return []
        query = np.asarray(query, dtype=np.float32)
        excluded = np.fromiter(exclude, dtype=np.int64) if exclude else None
        found: list[tuple[np.ndarray, np.ndarray]] = []
        snapshot = self._snapshot
        if snapshot is not None and len(snapshot):
            positions, ids, scores = snapshot.score(
                query, self._candidate_rows(snapshot, query, allowed, probes)
            )
            keep = np.ones(len(ids), dtype=bool) if self._alive is None else self._alive[positions]
            found.append(self._admitted(ids, scores, keep, allowed, min_score, excluded, limit))
        if len(self._tail_ids):
            scores = self._tail @ query
            keep = np.ones(len(scores), dtype=bool)
            found.append(self._admitted(self._tail_ids, scores, keep, allowed, min_score, excluded, limit))
        if not found:
            return []
        ids = np.concatenate([f[0] for f in found])
        scores = np.concatenate([f[1] for f in found])
        order = np.argsort(-scores, kind="stable")[:limit]
        return [(int(ids[i]), float(scores[i])) for i in order]

    def _candidate_rows(
        self, snapshot: Snapshot, query: np.ndarray, allowed: np.ndarray | None, probes: int | None
    ) -> np.ndarray | list[tuple[int, int]] | None:
        """Snapshot rows to score: None (all), row spans (IVF lists) or positions."""
        if snapshot.centroids is None:
            return None
        if allowed is not None and len(allowed) <= min(EXACT_FILTER_ROWS, EXACT_FILTER_SHARE * len(snapshot)):
            # Few photos pass the filter: score exactly those, whatever list they are in.
            return self._rows_of(snapshot, np.asarray(allowed, dtype=np.int64))
        count = probes or snapshot.default_probes()
        if allowed is not None:
            # A filter thins every list: read more of them to find as many candidates.
            share = max(len(allowed) / len(snapshot), 1e-6)
            count = int(np.ceil(count / share))
        if count >= len(snapshot.centroids):
            return None
        return snapshot.probe_spans(query, count)

    def _rows_of(self, snapshot: Snapshot, photo_ids: np.ndarray) -> np.ndarray:
        """The snapshot positions holding these photos, in storage order."""
        if self._by_photo is None:
            self._by_photo = np.argsort(snapshot.photo_ids, kind="stable")
        sorted_ids = snapshot.photo_ids[self._by_photo]
        start = np.searchsorted(sorted_ids, photo_ids, side="left")
        end = np.searchsorted(sorted_ids, photo_ids, side="right")
        hits = start < end
        start, lengths = start[hits], (end - start)[hits]
        # A photo has one row per snapshot, but a replaced one may have two (one
        # dead): each run start..end, without a Python loop over the photos.
        within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return np.sort(self._by_photo[np.repeat(start, lengths) + within])

    def _admitted(
        self,
        ids: np.ndarray,
        scores: np.ndarray,
        keep: np.ndarray,
        allowed: np.ndarray | None,
        min_score: float | None,
        excluded: np.ndarray | None,
        limit: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The best ``limit`` of the rows that pass every mask."""
        if len(self._absent):
            keep &= ~np.isin(ids, self._absent)
        if allowed is not None:
            keep &= np.isin(ids, allowed)
        if excluded is not None:
            keep &= ~np.isin(ids, excluded)
        if min_score is not None:
            keep &= scores >= min_score
        candidates = np.nonzero(keep)[0]
        if len(candidates) > limit:
            candidates = candidates[np.argpartition(-scores[candidates], limit - 1)[:limit]]
        return ids[candidates], np.asarray(scores[candidates], dtype=np.float32)


def update_vector_store(
    db: Database, model_key: str, source: VectorTable = EMBEDDINGS, stage: str = STAGE
) -> Generator[Progress, None, dict[str, dict[str, int]]]:
    """After an index run: rewrite the model's snapshot (with its IVF when the
    library is large enough) once the changes since the last one pile up."""
    from photoorg.store.schema import Model

    with db.session() as s:
        model = s.scalar(select(Model).where(Model.key == model_key))
    if model is None:
        return {}
    token_key = token_setting(model.id, source)
    before = db.get_setting(token_key)
    yield Progress(stage, 0, None, message="Updating the search index")
    index = VectorIndex(db, model.id, model.dim, source=source)
    # No usable snapshot: build it once, IVF included (refresh() would first
    # write one without, reading every vector twice).
    if index.valid_snapshot(before) is None or index.needs_rebuild():
        index.rebuild()
    if db.get_setting(token_key) == before:
        return {}
    count = len(index)
    yield Progress(stage, count, count, message="Updating the search index")
    return {stage: {"done": count, "failed": 0}}
