"""Search: the in-memory vector index stays in step with the database; filters."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest
from sqlalchemy import update

from photoorg.errors import PhotoorgError
from photoorg.pipeline.clip_stage import EMBEDDINGS_GENERATION
from photoorg.roots import add_root
from photoorg.search.filters import SearchFilters
from photoorg.search.query import parse_date, parse_query
from photoorg.search.vector_index import VectorIndex
from photoorg.store.db import bump_generation
from photoorg.store.schema import Embedding, Model, Photo


def _library_with_vectors(library, count=6, dim=4):
    now = datetime.now()
    with library.db.transaction() as s:
        model = Model(key="test:model", arch="test", pretrained="model", dim=dim, created_at=now)
        s.add(model)
        s.flush()
        for i in range(count):
            photo = Photo(
                path=f"/x/{i}.jpg", folder="/x", size=1, mtime_ns=1, date=now, added_at=now, updated_at=now
            )
            s.add(photo)
            s.flush()
            vector = np.zeros(dim, dtype=np.float32)
            vector[i % dim] = 1.0
            s.add(Embedding(photo_id=photo.id, model_id=model.id, vector=vector))
        bump_generation(s, EMBEDDINGS_GENERATION)
    return model.id


def test_vector_index_follows_inserts_replacements_and_missing_photos(library):
    model_id = _library_with_vectors(library)
    index = VectorIndex(library.db, model_id, 4)
    query = np.array([1, 0, 0, 0], dtype=np.float32)
    assert [pid for pid, _ in index.rank(query, 3)][:2] == [1, 5]  # the rest tie at 0
    # A new vector is appended without reloading the rest.
    now = datetime.now()
    with library.db.transaction() as s:
        photo = Photo(
            path="/x/new.jpg", folder="/x", size=1, mtime_ns=1, date=now, added_at=now, updated_at=now
        )
        s.add(photo)
        s.flush()
        s.add(Embedding(photo_id=photo.id, model_id=model_id, vector=np.array([0.9, 0.1, 0, 0], np.float32)))
        bump_generation(s, EMBEDDINGS_GENERATION)
    assert len(index) == 6
    assert index.rank(query, 3)[2][0] == photo.id
    assert len(index) == 7
    # A replaced vector (delete + insert) reloads: no stale copy is ranked.
    with library.db.transaction() as s:
        s.query(Embedding).filter(Embedding.photo_id == 1).delete()
        s.add(Embedding(photo_id=1, model_id=model_id, vector=np.array([0, 0, 0, 1], np.float32)))
        bump_generation(s, EMBEDDINGS_GENERATION)
    ranked = index.rank(query, 10)
    assert len(ranked) == 7 and ranked[0][0] == 5 and 1 not in [pid for pid, score in ranked if score > 0.5]
    # A missing photo drops out of the ranking.
    with library.db.transaction() as s:
        s.execute(update(Photo).where(Photo.id == 5).values(missing_since=now))
        bump_generation(s, "photos")
    assert 5 not in [pid for pid, _ in index.rank(query, 10)]


def test_min_score_allowed_and_exclude(library):
    model_id = _library_with_vectors(library)
    index = VectorIndex(library.db, model_id, 4)
    query = np.array([1, 0, 0, 0], dtype=np.float32)
    assert [pid for pid, _ in index.rank(query, 10, min_score=0.5)] == [1, 5]
    assert [pid for pid, _ in index.rank(query, 10, allowed=np.array([2, 5]), min_score=0.5)] == [5]
    assert [pid for pid, _ in index.rank(query, 10, exclude={1}, min_score=0.5)] == [5]


def test_filters_by_folder_date_camera_and_marks(tiny_model, photo_folder):
    library = tiny_model
    add_root(library.db, photo_folder)
    for _ in library.indexer(library.build_stages()).run():
        pass
    engine = library.search

    def names(filters):
        return sorted(h.path.rsplit("/", 1)[1] for h in engine.browse(filters))

    assert names(SearchFilters(camera="canon")) == ["beach.jpg", "sunset.jpg"]
    assert names(SearchFilters(camera="nikon d70")) == ["forest.jpg"]
    assert names(SearchFilters(date_from=date(2019, 8, 1), date_to=date(2019, 8, 31))) == ["forest.jpg"]
    assert names(SearchFilters(folder=str(photo_folder / "2021"))) == ["snow.png", "sunset.jpg"]
    from photoorg import organize

    beach = next(h.photo_id for h in engine.browse(SearchFilters()) if h.path.endswith("beach.jpg"))
    organize.set_favorite(library.db, [beach], True)
    organize.set_rating(library.db, [beach], 4)
    assert names(SearchFilters(favorites_only=True)) == ["beach.jpg"]
    assert names(parse_query("is:favorite rating:4").filters) == ["beach.jpg"]
    album = organize.create_album(library.db, "Sea")
    organize.add_to_album(library.db, album, [beach])
    results = engine.search('album:"Sea"')
    assert [h.photo_id for h in results.hits] == [beach]
    with pytest.raises(PhotoorgError, match="no album"):
        engine.search("album:Nope")


def test_date_parsing():
    assert parse_date("2019") == date(2019, 1, 1)
    assert parse_date("2019", end=True) == date(2019, 12, 31)
    assert parse_date("2020-02", end=True) == date(2020, 2, 29)
    with pytest.raises(PhotoorgError):
        parse_date("last tuesday")
    parsed = parse_query("sunset after:2019-06 before:2019-08 folder:/a/b")
    assert parsed.text == "sunset"
    assert parsed.filters.date_from == date(2019, 6, 1) and parsed.filters.date_to == date(2019, 8, 31)
    assert parsed.filters.folder == "/a/b"
    assert parse_query("note: 10:30").text == "note: 10:30"  # unknown keys stay text
