"""Long phases after an index run: the tag vocabulary's text vectors (cached per
user, computed in committed batches with progress), face clustering and
grouping (progress, committed batches that survive a kill), and the stages
they report in ``index --json``."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import delete, func, select

from photoorg.cli.main import main
from photoorg.errors import Cancelled
from photoorg.library import Library
from photoorg.progress import CancelToken
from photoorg.roots import add_root
from photoorg.store.schema import PhotoGroup, Setting, TagVector
from photoorg.tags import concept_cache, zero_shot
from tests.helpers import TINY_ARCH, install_tiny_config, make_photo


def run_index(library, *roots):
    ids = [add_root(library.db, r)[0].id for r in roots] or None
    indexer = library.indexer(library.stage_specs())
    events = list(indexer.run(ids))
    return indexer.summary, events


def cache_rows() -> int:
    path = concept_cache.cache_dir() / concept_cache.FILE_NAME
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM vectors").fetchone()[0]


def library_vectors(library) -> dict[int, np.ndarray]:
    with library.db.session() as s:
        return {t: np.asarray(v) for t, v in s.execute(select(TagVector.tag_id, TagVector.vector))}


def forget_vocabulary(library) -> None:
    """As if the model were new to this user: no vectors anywhere, photos untagged."""
    (concept_cache.cache_dir() / concept_cache.FILE_NAME).unlink()
    with library.db.transaction() as s:
        s.execute(delete(TagVector))
        s.execute(delete(Setting).where(Setting.key.like("tags.logit_scale:%")))


# -- the vocabulary's vectors ---------------------------------------------------------------------


def test_vocabulary_vectors_computed_once_per_user_with_progress(
    tiny_model, tiny_weights, photo_folder, tmp_path
):
    summary, events = run_index(tiny_model, photo_folder)
    concepts = len(zero_shot.auto_concepts(tiny_model))
    vocabulary = [e for e in events if e.stage == zero_shot.VOCABULARY_STAGE]
    assert vocabulary and all(e.total == concepts for e in vocabulary)
    counts = [e.done for e in vocabulary]
    assert counts == sorted(counts) and counts[-1] == concepts and len(set(counts)) > 2
    assert summary.stages[zero_shot.VOCABULARY_STAGE] == {"done": concepts, "failed": 0}
    assert cache_rows() == concepts
    first = library_vectors(tiny_model)

    # Another library with the same model pays nothing: no vocabulary phase,
    # no text tower loaded, the same vectors.
    other_dir = tmp_path / "second-library"
    install_tiny_config(other_dir)
    with Library(other_dir) as other:
        other.select_model(TINY_ARCH, str(tiny_weights))
        summary, events = run_index(other, photo_folder)
        assert not [e for e in events if e.stage == zero_shot.VOCABULARY_STAGE]
        assert zero_shot.VOCABULARY_STAGE not in summary.stages
        assert summary.stages[zero_shot.STAGE]["done"] == 5
        second = library_vectors(other)
    # Tag ids are per library; the vocabulary syncs in the same order in both.
    assert len(second) == len(first)
    for a, b in zip(sorted(first.items()), sorted(second.items()), strict=True):
        assert np.allclose(a[1], b[1])


def test_cache_key_separates_what_changes_the_vectors():
    from photoorg.ml.registry import ModelChoice

    base = ModelChoice("ViT-B-32", None, "/w/a.bin", "a" * 64)
    keys = {
        concept_cache.model_cache_key(base, "cpu"),
        concept_cache.model_cache_key(ModelChoice("ViT-B-32", None, "/w/b.bin", "b" * 64), "cpu"),
        concept_cache.model_cache_key(ModelChoice("ViT-B-16", None, "/w/a.bin", "a" * 64), "cpu"),
        concept_cache.model_cache_key(base, "cuda:0"),
    }
    assert len(keys) == 4
    # The same weights under another file name are the same vectors.
    moved = ModelChoice("ViT-B-32", None, "/elsewhere/a.bin", "a" * 64)
    assert concept_cache.model_cache_key(moved, "cpu") == concept_cache.model_cache_key(base, "cpu")


def test_killed_vocabulary_phase_keeps_its_committed_batches(tiny_model, photo_folder):
    run_index(tiny_model, photo_folder)
    forget_vocabulary(tiny_model)
    concepts = len(zero_shot.auto_concepts(tiny_model))
    batch = zero_shot.CONCEPT_BATCH
    token = CancelToken()
    seen = []
    with pytest.raises(Cancelled):
        for event in zero_shot.ClipTagger(tiny_model).run(token, everything=True):
            if event.stage == zero_shot.VOCABULARY_STAGE and event.done:
                seen.append(event.done)
                if event.done >= 2 * batch:
                    token.cancel()
    assert seen == [batch, 2 * batch]
    # Both batches are in the library and in the user's cache.
    assert len(library_vectors(tiny_model)) == 2 * batch
    assert cache_rows() == 2 * batch
    # The next run computes only the rest.
    events = list(zero_shot.ClipTagger(tiny_model).run())
    totals = {e.total for e in events if e.stage == zero_shot.VOCABULARY_STAGE}
    assert totals == {concepts - 2 * batch}
    assert len(library_vectors(tiny_model)) == concepts


def test_unwritable_cache_folder_is_skipped(tiny_model, photo_folder, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(concept_cache.CACHE_ENV, str(blocker / "cache"))
    summary, _ = run_index(tiny_model, photo_folder)
    assert summary.stages[zero_shot.STAGE]["done"] == 5
    assert len(library_vectors(tiny_model)) == len(zero_shot.auto_concepts(tiny_model))


# -- index --json ---------------------------------------------------------------------------------


def test_index_json_lists_the_after_index_stages(capsys, library_dir, tiny_weights, photo_folder):
    code = main(
        [
            "--library",
            str(library_dir),
            "index",
            str(photo_folder),
            "--model",
            TINY_ARCH,
            "--weights",
            str(tiny_weights),
            "--json",
        ]
    )
    assert code == 0
    stages = json.loads(capsys.readouterr().out)["stages"]
    assert stages["clip"]["done"] == 5
    assert stages["tags-clip"] == {"done": 5, "failed": 0}
    assert stages["tags-vocabulary"]["done"] > 1000
    assert "groups" in stages
    # A rerun with nothing new runs no after-index stage and reports none.
    code = main(["--library", str(library_dir), "index", "--json"])
    stages = json.loads(capsys.readouterr().out)["stages"]
    assert code == 0 and "tags-clip" not in stages and "tags-vocabulary" not in stages


# -- face clustering --------------------------------------------------------------------------------


def test_clustering_reports_progress_and_a_kill_keeps_written_batches(library, monkeypatch):
    pytest.importorskip("dlib")
    from photoorg.faces import cluster
    from photoorg.store.schema import Face
    from tests.faces_helpers import Faces

    faces = Faces(library.db)
    ann = [faces.photo_with("ann")[1][0] for _ in range(4)]
    cluster.cluster_faces(library.db)
    person = faces.person_of(ann[0])
    # Twelve new faces of Ann join her in batches of five.
    new = [faces.photo_with("ann")[1][0] for _ in range(12)]
    monkeypatch.setattr(cluster, "WRITE_BATCH", 5)
    token = CancelToken()
    saving = []
    steps = cluster.run_clustering(library.db, token=token)
    while True:
        try:
            event = next(steps)
        except StopIteration as stop:
            summary = stop.value
            break
        if event.message == "Saving people":
            saving.append(event.done)
            token.cancel()  # killed right after the first committed batch
    assert saving == [5] and summary.cancelled
    assert sum(faces.person_of(f) == person for f in new) == 5
    with library.db.session() as s:
        still_pending = s.scalar(select(func.count()).where(Face.assigned_by.is_(None)))
    assert still_pending == 7
    assert summary.stage_counts()["faces-cluster"]["done"] == 5
    # The next run places the rest.
    summary = cluster.cluster_faces(library.db)
    assert summary.pending == 7 and all(faces.person_of(f) == person for f in new)
    assert summary.stage_counts()["faces-cluster"] == {
        "done": 7,
        "failed": 0,
        "joined": 7,
        "new_people": 0,
        "unknown": 0,
    }


# -- grouping -------------------------------------------------------------------------------------


def _three_events(folder):
    start = datetime(2021, 5, 1, 9, 0)
    for day in range(3):
        for k in range(3):
            make_photo(
                folder / f"d{day}_{k}.jpg", pattern=day * 3 + k, taken=start + timedelta(days=day, minutes=k)
            )


def _events(library) -> list[tuple[int, datetime]]:
    with library.db.session() as s:
        return list(s.execute(select(PhotoGroup.id, PhotoGroup.start).where(PhotoGroup.kind == "event")))


def test_grouping_commits_batches_and_resumes_after_a_kill(library, tmp_path, monkeypatch):
    from photoorg.tags import grouping

    _three_events(tmp_path / "trip")
    run_index(library, tmp_path / "trip")
    assert len(_events(library)) == 3
    monkeypatch.setattr(grouping, "EVENT_BATCH", 1)
    token = CancelToken()
    progress = []
    with pytest.raises(Cancelled):
        for event in grouping.refresh_groups(library.db, token, force=True):
            if event.total:
                progress.append((event.done, event.total))
                token.cancel()
    assert progress == [(1, 3)]
    kept = _events(library)
    assert len(kept) == 1  # the old events went, the first new one is committed
    # The next run carries on from the second event; the first is not redone.
    steps = grouping.refresh_groups(library.db)
    events = []
    while True:
        try:
            events.append(next(steps))
        except StopIteration as stop:
            ran = stop.value
            break
    assert [(e.done, e.total) for e in events if e.total and e.message.startswith("Grouping")] == [
        (2, 3),
        (3, 3),
    ]
    after = _events(library)
    assert len(after) == 3 and kept[0] in after
    assert ran["groups"]["done"] >= 3
    # Done: nothing to resume, nothing to redo.
    assert list(grouping.refresh_groups(library.db)) == []
