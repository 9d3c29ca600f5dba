"""The search's vector store: snapshots on disk with an IVF index, matched
against exact search, never used stale, and kept in step with inserts,
replacements, missing photos and filters."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from sqlalchemy import delete, update

from photoorg.library import Library
from photoorg.pipeline.clip_stage import EMBEDDINGS_GENERATION
from photoorg.search import vector_index, vector_store
from photoorg.search.vector_index import VectorIndex, update_vector_store
from photoorg.store.db import bump_generation
from photoorg.store.schema import Embedding, Model, Photo

DIM = 16


def clustered(rng, count: int, centres: int = 40) -> np.ndarray:
    """Unit vectors around a few centres, as CLIP's are (photos of a kind sit together)."""
    middle = rng.standard_normal((centres, DIM))
    vectors = middle[rng.integers(0, centres, count)] + 0.6 * rng.standard_normal((count, DIM))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def add_photos(library, model_id: int, vectors: np.ndarray) -> list[int]:
    now = datetime.now()
    ids = []
    with library.db.transaction() as s:
        for vector in vectors:
            photo = Photo(
                path=f"/x/{len(ids)}-{now.timestamp()}-{id(vector)}.jpg",
                folder="/x",
                size=1,
                mtime_ns=1,
                date=now,
                added_at=now,
                updated_at=now,
            )
            s.add(photo)
            s.flush()
            s.add(Embedding(photo_id=photo.id, model_id=model_id, vector=vector))
            ids.append(photo.id)
        bump_generation(s, EMBEDDINGS_GENERATION)
    return ids


def new_model(library) -> int:
    with library.db.transaction() as s:
        model = Model(key="test:model", arch="test", pretrained="model", dim=DIM, created_at=datetime.now())
        s.add(model)
        s.flush()
        return model.id


def exact(ids: list[int], vectors: np.ndarray, query: np.ndarray, limit: int, keep=None) -> list[int]:
    scores = vectors @ query
    order = [i for i in np.argsort(-scores, kind="stable") if keep is None or ids[i] in keep]
    return [ids[i] for i in order[:limit]]


@pytest.fixture
def ivf_library(library, monkeypatch):
    """3,000 photos in a snapshot with an IVF (the threshold lowered to reach it)."""
    monkeypatch.setattr(vector_store, "IVF_MIN_ROWS", 1_000)
    rng = np.random.default_rng(7)
    model_id = new_model(library)
    vectors = clustered(rng, 3_000)
    ids = add_photos(library, model_id, vectors)
    ran = list(update_vector_store(library.db, "test:model"))
    assert ran and ran[-1].done == 3_000
    return library, model_id, ids, vectors, rng


def test_ivf_matches_exact_search(ivf_library):
    library, model_id, ids, vectors, rng = ivf_library
    index = VectorIndex(library.db, model_id, DIM)
    index.refresh()
    assert index._snapshot.meta["ivf"] and index._snapshot.folder is not None
    queries = clustered(rng, 30)
    overlap = []
    for query in queries:
        truth = exact(ids, vectors, query, 20)
        ranked = index.rank(query, 20)
        overlap.append(len(set(truth) & {pid for pid, _ in ranked}) / 20)
        # Scores are exact cosines of the candidates, best first.
        for pid, score in ranked:
            assert score == pytest.approx(float(vectors[ids.index(pid)] @ query), abs=1e-5)
        assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
        # Reading every list is exact search.
        every = index.rank(query, 20, probes=10_000)
        assert [pid for pid, _ in every] == truth
    assert np.mean(overlap) >= 0.97


def test_a_new_process_maps_the_snapshot_instead_of_loading_rows(ivf_library, monkeypatch):
    library, model_id, ids, vectors, _ = ivf_library

    def no_build(self, *, ivf):
        raise AssertionError("the snapshot on disk should have been used")

    monkeypatch.setattr(VectorIndex, "_build", no_build)
    index = VectorIndex(library.db, model_id, DIM)
    query = vectors[0]
    assert index.rank(query, 1)[0][0] == ids[0]
    assert isinstance(index._snapshot.matrix, np.memmap)


def test_stale_or_foreign_snapshots_are_never_used(ivf_library):
    library, model_id, *_ = ivf_library
    folder = vector_index.store_dir(library.db, model_id)
    assert (folder / "current.json").is_file()
    # The database is made again from scratch in the same folder: its rows are
    # other photos; the old snapshot's token is not in it.
    library.close()
    library.paths.database.unlink()
    for extra in library.paths.root.glob("library.db-*"):
        extra.unlink()
    with Library(library.paths.root) as fresh:
        model = new_model(fresh)
        assert model == model_id  # same id, same folder: only the token tells them apart
        other = clustered(np.random.default_rng(99), 50)
        new_ids = add_photos(fresh, model, other)
        index = VectorIndex(fresh.db, model, DIM)
        ranked = index.rank(other[3], 5)
        assert ranked[0] == (new_ids[3], pytest.approx(1.0, abs=1e-5))
        assert len(index) == 50
    # A snapshot whose token the database doesn't hold is ignored too.
    with Library(library.paths.root) as again:
        again.db.set_setting(vector_index.TOKEN_SETTING.format(model_id=model_id), "something-else")
        index = VectorIndex(again.db, model_id, DIM)
        assert len(index.vectors()[0]) == 50


def test_insert_replace_and_missing_follow_the_database(ivf_library):
    library, model_id, ids, vectors, rng = ivf_library
    index = VectorIndex(library.db, model_id, DIM)
    snapshot_token = library.db.get_setting(vector_index.TOKEN_SETTING.format(model_id=model_id))
    target = vectors[10]
    assert index.rank(target, 1)[0][0] == ids[10]
    # Insert: a near copy of photo 10 appears, from the tail.
    copy = target + 0.001 * rng.standard_normal(DIM).astype(np.float32)
    (new_id,) = add_photos(library, model_id, (copy / np.linalg.norm(copy))[None, :])
    assert {pid for pid, _ in index.rank(target, 2)} == {ids[10], new_id}
    # Replace photo 10's vector (delete + insert): its old vector is never ranked.
    elsewhere = -target
    with library.db.transaction() as s:
        s.execute(delete(Embedding).where(Embedding.photo_id == ids[10]))
        s.add(Embedding(photo_id=ids[10], model_id=model_id, vector=elsewhere))
        bump_generation(s, EMBEDDINGS_GENERATION)
    ranked = index.rank(target, 5)
    assert ranked[0][0] == new_id and ids[10] not in [pid for pid, _ in ranked]
    assert index.rank(elsewhere, 1) == [(ids[10], pytest.approx(1.0, abs=1e-5))]
    assert np.allclose(index.vector_of(ids[10]), elsewhere)
    # A missing photo drops out.
    with library.db.transaction() as s:
        s.execute(update(Photo).where(Photo.id == new_id).values(missing_since=datetime.now()))
        bump_generation(s, "photos")
    assert new_id not in [pid for pid, _ in index.rank(target, 5)]
    # None of this rewrote the snapshot: the changes are small.
    assert library.db.get_setting(vector_index.TOKEN_SETTING.format(model_id=model_id)) == snapshot_token
    assert len(index) == 3_001


def test_index_run_rewrites_the_snapshot_once_changes_pile_up(ivf_library, monkeypatch):
    library, model_id, _, _, rng = ivf_library
    key = vector_index.TOKEN_SETTING.format(model_id=model_id)
    first = library.db.get_setting(key)
    add_photos(library, model_id, clustered(rng, 20))
    assert list(update_vector_store(library.db, "test:model")) == [
        vector_index.Progress(vector_index.STAGE, 0, None, message="Updating the search index")
    ]
    assert library.db.get_setting(key) == first  # 20 new rows: the tail holds them
    monkeypatch.setattr(vector_index, "REBUILD_MIN_ROWS", 10)
    monkeypatch.setattr(vector_index, "REBUILD_SHARE", 0.001)
    steps = update_vector_store(library.db, "test:model")
    events = []
    while True:
        try:
            events.append(next(steps))
        except StopIteration as stop:
            ran = stop.value
            break
    assert ran == {"search-index": {"done": 3_020, "failed": 0}}
    assert library.db.get_setting(key) != first
    index = VectorIndex(library.db, model_id, DIM)
    index.refresh()
    assert len(index._snapshot) == 3_020 and len(index._tail_ids) == 0
    # The old snapshot's folder is gone.
    assert len(list(vector_index.store_dir(library.db, model_id).glob("snapshot-*"))) == 1


def test_filters_are_a_candidate_mask(ivf_library, monkeypatch):
    library, model_id, ids, vectors, rng = ivf_library
    index = VectorIndex(library.db, model_id, DIM)
    query = clustered(rng, 1)[0]
    # A narrow filter (a date range, a tag...): exact over the photos it admits.
    few = np.asarray(sorted(rng.choice(ids, 40, replace=False)))
    ranked = index.rank(query, 10, allowed=few)
    assert [pid for pid, _ in ranked] == exact(ids, vectors, query, 10, keep=set(few.tolist()))
    # A broad filter goes through the IVF, reading more lists; still right.
    monkeypatch.setattr(vector_index, "EXACT_FILTER_ROWS", 100)
    half = np.asarray(ids[::2])
    ranked = [pid for pid, _ in index.rank(query, 10, allowed=half)]
    assert set(ranked) <= set(half.tolist())
    truth = exact(ids, vectors, query, 10, keep=set(half.tolist()))
    assert len(set(ranked) & set(truth)) >= 9
    # min_score and exclude apply on top.
    best = ranked[0]
    assert best not in [pid for pid, _ in index.rank(query, 10, allowed=half, exclude={best})]
    assert index.rank(query, 10, min_score=2.0) == []


def test_engine_filters_work_with_the_store(tiny_model, photo_folder):
    from photoorg.roots import add_root
    from photoorg.search.filters import SearchFilters

    library = tiny_model
    add_root(library.db, photo_folder)
    for _ in library.indexer(library.stage_specs()).run():
        pass
    model_id = library.search.vector_index().model_id
    assert (vector_index.store_dir(library.db, model_id) / "current.json").is_file()
    hits = library.search.search("a photo", SearchFilters(camera="canon"), limit=10).hits
    assert sorted(h.path.rsplit("/", 1)[1] for h in hits) == ["beach.jpg", "sunset.jpg"]


def test_unwritable_library_searches_from_memory(library, monkeypatch):
    model_id = new_model(library)
    vectors = clustered(np.random.default_rng(1), 30)
    ids = add_photos(library, model_id, vectors)

    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(vector_store, "write_snapshot", refuse)
    index = VectorIndex(library.db, model_id, DIM)
    assert index.rank(vectors[4], 1)[0][0] == ids[4]
    assert index._snapshot.folder is None


def test_the_rows_of_admitted_photos_include_every_row_of_a_replaced_photo(library):
    """A replaced photo keeps a dead row beside its new one until the next snapshot."""
    from photoorg.search.vector_store import Snapshot

    photo_ids = np.array([5, 3, 5, 9, 3, 7], dtype=np.int64)
    snapshot = Snapshot(None, {}, np.zeros((6, DIM), np.float32), photo_ids, np.arange(6))
    index = VectorIndex(library.db, 1, DIM)
    assert index._rows_of(snapshot, np.array([3, 5, 8])).tolist() == [0, 1, 2, 4]
    assert index._rows_of(snapshot, np.array([7])).tolist() == [5]
    assert index._rows_of(snapshot, np.array([1, 2], dtype=np.int64)).tolist() == []
