"""Ranking photos: by a text description, by likeness to a photo, or by date.

The engine keeps the text encoder and the vector matrix for the life of the
process, so after the first query a search costs one text encoding and one
matrix-vector product.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from photoorg.errors import AlbumNotFound, ModelUnavailableError, PhotoorgError
from photoorg.extensions.fallback_rankers import fallback_rankers
from photoorg.extensions.query_rewriters import query_rewriters
from photoorg.extensions.search_rankers import search_rankers
from photoorg.extensions.vector_sources import VectorSource, vector_sources
from photoorg.ml.clip import ClipEncoder
from photoorg.ml.registry import ModelChoice
from photoorg.search.filters import SearchFilters, filter_clauses, filtered_photo_ids, visible_photos
from photoorg.search.fusion import reciprocal_rank_fusion
from photoorg.search.query import parse_query
from photoorg.search.vector_index import VectorIndex
from photoorg.store.db import Database
from photoorg.store.schema import Album, Model, Photo

SORT_RELEVANCE = "relevance"
SORT_DATE = "date"


class SearchUnavailable(PhotoorgError):
    """Search by meaning can't run; the message says why and what to do."""


@dataclass(frozen=True)
class SearchHit:
    photo_id: int
    path: str
    score: float | None
    #: seconds into a video where the match is (its best keyframe); None for photos
    at: float | None = None

    def as_dict(self) -> dict:
        found = {"path": self.path, "score": None if self.score is None else round(self.score, 4)}
        if self.at is not None:
            found["time"] = round(self.at, 2)
        return found


@dataclass
class SearchResults:
    hits: list[SearchHit]
    mode: str  # "clip", "tags", "browse"
    notice: str = ""  # shown above results: why the ranking is not by meaning, etc.
    filters: SearchFilters = field(default_factory=SearchFilters)


class SearchEngine:
    def __init__(
        self,
        db: Database,
        encoder_for: Callable[[], ClipEncoder],
        choice_for: Callable[[], ModelChoice],
    ) -> None:
        self.db = db
        self._encoder_for = encoder_for
        self._choice_for = choice_for
        self._index: VectorIndex | None = None
        self._index_key: str | None = None
        self._source_indexes: dict[tuple[str, int], VectorIndex] = {}
        self._lock = threading.Lock()
        self._preparing = threading.Event()
        self._prepared = threading.Event()
        self._prepared.set()

    @property
    def preparing(self) -> bool:
        """True while :meth:`warm_up` loads the model: a search typed meanwhile
        waits for it (the front end says "preparing search")."""
        return self._preparing.is_set()

    def warm_up(self, load_encoder: Callable[[], ClipEncoder] | None = None) -> str | None:
        """Load the query encoder and the vectors ahead of the first search.
        Returns why search by meaning can't run, or None when it is ready."""
        self._prepared.clear()
        self._preparing.set()
        try:
            (load_encoder or self._encoder_for)()
            self.vector_index().vectors()
        except (ModelUnavailableError, SearchUnavailable) as exc:
            return str(exc)
        finally:
            self._preparing.clear()
            self._prepared.set()
        return None

    # -- the pieces ----------------------------------------------------------------

    def vector_index(self) -> VectorIndex:
        choice = self._choice_for()
        with self._lock:
            if self._index is not None and self._index_key == choice.key:
                return self._index
            with self.db.session() as s:
                model = s.scalar(select(Model).where(Model.key == choice.key))
            if model is None:
                raise SearchUnavailable(
                    f"No photo has been analysed with the model {choice.label} yet, so photos can't be "
                    "ranked by meaning. Run `photoorg index` first."
                )
            self._index = VectorIndex(self.db, model.id, model.dim)
            self._index_key = choice.key
            return self._index

    def _allowed(self, filters: SearchFilters) -> np.ndarray | None:
        if not filters.active:
            return None
        with self.db.session() as s:
            return np.fromiter(s.scalars(filtered_photo_ids(filters)), dtype=np.int64)

    def _paths(
        self, ranked: list[tuple[int, float | None]], times: dict[int, float] | None = None
    ) -> list[SearchHit]:
        if not ranked:
            return []
        ids = [pid for pid, _ in ranked]
        times = times or {}
        with self.db.session() as s:
            paths = dict(s.execute(select(Photo.id, Photo.path).where(Photo.id.in_(ids))).all())
        return [SearchHit(pid, paths[pid], score, times.get(pid)) for pid, score in ranked if pid in paths]

    def source_index(self, index: VectorIndex, name: str, source: VectorSource) -> VectorIndex:
        """The index of a capability's vectors (a video's keyframes) under the
        model of ``index``, kept for the life of the engine like the main one."""
        key = (name, index.model_id)
        with self._lock:
            found = self._source_indexes.get(key)
            if found is None:
                found = VectorIndex(self.db, index.model_id, index.dim, source=source.table)
                self._source_indexes[key] = found
            return found

    def _with_sources(
        self,
        index: VectorIndex,
        vector: np.ndarray,
        ranked: list[tuple[int, float]],
        limit: int,
        allowed: np.ndarray | None,
        min_score: float | None,
    ) -> tuple[list[tuple[int, float]], dict[int, float]]:
        """The ranking with each photo's best vector of every source (a video's
        best keyframe) taken into account, and where in the photo that is."""
        sources = vector_sources()
        if not sources:
            return ranked, {}
        best = dict(ranked)
        located: dict[int, str] = {}
        for name, source in sources.items():
            extra = self.source_index(index, name, source)
            # A video has several rows: ask for more so that `limit` photos come back.
            for photo_id, score in extra.rank(vector, limit * 4, allowed=allowed, min_score=min_score):
                best[photo_id] = max(score, best.get(photo_id, -2.0))
                located.setdefault(photo_id, name)
        merged = sorted(best.items(), key=lambda item: -item[1])[:limit]
        times: dict[int, float] = {}
        wanted = {pid for pid, _ in merged}
        with self.db.session() as s:
            for photo_id, name in located.items():
                if photo_id in wanted:
                    at = sources[name].locate(s, photo_id, index.model_id, vector)
                    if at is not None:
                        times[photo_id] = at
        return merged, times

    def _resolve_album(self, name: str | None, filters: SearchFilters) -> SearchFilters:
        if not name:
            return filters
        with self.db.session() as s:
            album_id = s.scalar(select(Album.id).where(Album.name == name))
        if album_id is None:
            raise AlbumNotFound(f"There is no album called {name!r}.")
        return SearchFilters(**{**filters.__dict__, "album_id": album_id})

    # -- queries -------------------------------------------------------------------

    def search(
        self,
        query: str,
        filters: SearchFilters | None = None,
        *,
        limit: int = 50,
        min_score: float | None = None,
        sort: str = SORT_RELEVANCE,
    ) -> SearchResults:
        parsed = parse_query(query)
        for rewrite in query_rewriters():  # tags: a bare tag word becomes its filter
            parsed = rewrite(self, parsed)
        combined = (filters or SearchFilters()).merged(parsed.filters)
        combined = self._resolve_album(parsed.album_name, combined)
        if not parsed.text:
            return SearchResults(self.browse(combined, limit=limit), "browse", filters=combined)
        matched = self._matches(parsed.text, combined, limit)
        # A search typed while the warm-up loads the model waits for it rather
        # than loading a second copy.
        self._prepared.wait()
        try:
            encoder = self._encoder_for()
            index = self.vector_index()
        except (ModelUnavailableError, SearchUnavailable) as exc:
            results = self._fallback(parsed.text, combined, limit, exc, matched)
        else:
            vector = encoder.encode_query(parsed.text)
            allowed = self._allowed(combined)
            ranked = index.rank(vector, limit, allowed=allowed, min_score=min_score)
            ranked, times = self._with_sources(index, vector, ranked, limit, allowed, min_score)
            results = SearchResults(self._paths(ranked, times), "clip", filters=combined)
        results.hits = self._fused(results.hits, matched, limit)
        if sort == SORT_DATE:
            results.hits = self._by_date(results.hits)
        return results

    def _fallback(
        self, text: str, filters: SearchFilters, limit: int, exc: Exception, matched: list[list[int]]
    ) -> SearchResults:
        """Ranking without CLIP: the tags (a fallback ranker), or only the text
        and place matches; else the reason CLIP can't run."""
        for ranker in fallback_rankers():  # tags: ranking by tags and their words
            results = ranker(self, text, filters, limit)
            if results is not None:
                results.notice = " ".join(filter(None, [_fallback_notice(exc), results.notice]))
                return results
        if any(matched):
            return SearchResults(
                [], "text", notice=f"Matched by words and places only. {exc}", filters=filters
            )
        raise SearchUnavailable(f"Can't rank photos by meaning: {exc}") from exc

    def _matches(self, text: str, filters: SearchFilters, limit: int) -> list[list[int]]:
        """What each search ranker (text in photos, places) finds for the words,
        best first, kept to the visible photos that pass the filters."""
        rankers = search_rankers()
        if not rankers:
            return []
        with self.db.session() as s:
            found = [ranker(s, text, limit) for ranker in rankers.values()]
            candidates = {pid for ids in found for pid in ids}
            if not candidates:
                return []
            keep = set(
                s.scalars(
                    select(Photo.id).where(
                        Photo.id.in_(candidates), visible_photos(), *filter_clauses(filters)
                    )
                )
            )
        return [[pid for pid in ids if pid in keep] for ids in found]

    def _fused(self, hits: list[SearchHit], matched: list[list[int]], limit: int) -> list[SearchHit]:
        """The ranking merged with the word and place matches (reciprocal rank
        fusion, see search/fusion.py). A hit keeps its cosine as its score; a
        photo found only by its words or place has none."""
        if not any(matched):
            return hits
        fused = reciprocal_rank_fusion([[hit.photo_id for hit in hits], *matched])[:limit]
        by_id = {hit.photo_id: hit for hit in hits}
        missing = [(pid, None) for pid, _ in fused if pid not in by_id]
        by_id.update({hit.photo_id: hit for hit in self._paths(missing)})
        return [by_id[pid] for pid, _ in fused if pid in by_id]

    def similar(
        self,
        photo_id: int | None = None,
        *,
        image_vector: np.ndarray | None = None,
        filters: SearchFilters | None = None,
        limit: int = 50,
        min_score: float | None = None,
    ) -> list[SearchHit]:
        """Photos that look like a photo of the library (or a given vector)."""
        index = self.vector_index()
        if image_vector is None:
            if photo_id is None:
                raise ValueError("similar() needs a photo id or a vector")
            image_vector = index.vector_of(photo_id)
            if image_vector is None:
                raise SearchUnavailable(
                    "That photo has not been analysed yet (it is still pending, or failed). "
                    "Run `photoorg index` and try again."
                )
        exclude = {photo_id} if photo_id is not None else None
        ranked = index.rank(
            image_vector,
            limit,
            allowed=self._allowed(filters or SearchFilters()),
            min_score=min_score,
            exclude=exclude,
        )
        return self._paths(ranked)

    def browse(self, filters: SearchFilters, *, limit: int | None = None) -> list[SearchHit]:
        """Photos matching the filters, newest first."""
        query = (
            select(Photo.id, Photo.path)
            .where(visible_photos(), *filter_clauses(filters))
            .order_by(Photo.date.desc(), Photo.id.desc())
        )
        if limit:
            query = query.limit(limit)
        with self.db.session() as s:
            return [SearchHit(pid, path, None) for pid, path in s.execute(query)]

    def _by_date(self, hits: list[SearchHit]) -> list[SearchHit]:
        if not hits:
            return hits
        with self.db.session() as s:
            dates = dict(
                s.execute(select(Photo.id, Photo.date).where(Photo.id.in_([h.photo_id for h in hits]))).all()
            )
        return sorted(hits, key=lambda h: dates.get(h.photo_id), reverse=True)


def _fallback_notice(exc: Exception) -> str:
    return f"Can't rank by meaning, so these are matched by tags. {exc}"
