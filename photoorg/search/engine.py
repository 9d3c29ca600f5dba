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
from photoorg.ml.clip import ClipEncoder
from photoorg.ml.registry import ModelChoice
from photoorg.search.filters import SearchFilters, filter_clauses, filtered_photo_ids, visible_photos
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

    def as_dict(self) -> dict:
        return {"path": self.path, "score": None if self.score is None else round(self.score, 4)}


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
        self._lock = threading.Lock()

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

    def _paths(self, ranked: list[tuple[int, float | None]]) -> list[SearchHit]:
        if not ranked:
            return []
        ids = [pid for pid, _ in ranked]
        with self.db.session() as s:
            paths = dict(s.execute(select(Photo.id, Photo.path).where(Photo.id.in_(ids))).all())
        return [SearchHit(pid, paths[pid], score) for pid, score in ranked if pid in paths]

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
        try:
            encoder = self._encoder_for()
            index = self.vector_index()
        except (ModelUnavailableError, SearchUnavailable) as exc:
            for ranker in fallback_rankers():  # tags: ranking by tags and their words
                results = ranker(self, parsed.text, combined, limit)
                if results is not None:
                    results.notice = " ".join(filter(None, [_fallback_notice(exc), results.notice]))
                    return results
            raise SearchUnavailable(f"Can't rank photos by meaning: {exc}") from exc
        vector = encoder.encode_query(parsed.text)
        ranked = index.rank(vector, limit, allowed=self._allowed(combined), min_score=min_score)
        hits = self._paths(ranked)
        if sort == SORT_DATE:
            hits = self._by_date(hits)
        return SearchResults(hits, "clip", filters=combined)

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
