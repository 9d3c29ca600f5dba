"""CLIP zero-shot tagging from the stored image vectors: no photo is decoded again.

Each concept's prompts are embedded with the text tower and averaged (the
prompt ensemble), once per model and user: the vectors are kept in the
library's ``tag_vectors`` and in the user's cache (see concept_cache.py), so
another library with the same model reads them instead of computing them.
Tagging a photo is then one row of a matrix product. A run tags the photos
whose "tags-clip" stage version is not current; the version covers the model,
the concept set (so a new custom concept re-tags the library) and the
calibration.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Generator
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert

from photoorg.errors import ModelUnavailableError
from photoorg.library import Library
from photoorg.progress import CancelToken, Progress, RateMeter
from photoorg.store.db import bump_generation
from photoorg.store.schema import (
    TAG_ON,
    TAG_SOURCE_CLASSIFIER,
    TAG_SOURCE_CLIP,
    Model,
    Tag,
    TagVector,
)
from photoorg.tags import calibration
from photoorg.tags.concept_cache import ConceptVectorCache, model_cache_key
from photoorg.tags.selection import ConceptSpace, select_tags, softmax
from photoorg.tags.store import ORIGIN_HIDDEN, TAGS_GENERATION
from photoorg.tags.vocabulary import TagTree, ensure_vocabulary

STAGE = "tags-clip"
VOCABULARY_STAGE = "tags-vocabulary"
CHUNK = 4096
# Concepts embedded and committed together: small enough that a kill loses
# seconds of work and progress moves often, large enough to keep the text
# tower's batches full.
CONCEPT_BATCH = 64
TEXT_BATCH = 32


def prompts_hash(prompts: list[str]) -> str:
    return hashlib.sha256(json.dumps(prompts).encode()).hexdigest()[:16]


def auto_concepts(library: Library) -> list[tuple[int, list[str]]]:
    """(tag id, prompts) of every concept the tagger may predict."""
    with library.db.session() as s:
        rows = s.execute(
            select(Tag.id, Tag.prompts)
            .where(Tag.auto.is_(True), Tag.origin != ORIGIN_HIDDEN)
            .order_by(Tag.id)
        ).all()
    return [(tag_id, list(prompts)) for tag_id, prompts in rows if prompts]


def tagger_version(library: Library) -> str:
    concepts = auto_concepts(library)
    with library.db.session() as s:
        parents = dict(s.execute(select(Tag.id, Tag.parent_id)).all())
    digest = hashlib.sha256(json.dumps([(t, p, parents.get(t)) for t, p in concepts]).encode()).hexdigest()[
        :12
    ]
    return f"{library.model_choice().key}|concepts:{digest}|cal{calibration.VERSION}"


def _library_vectors(library: Library, model_id: int) -> dict[int, tuple[str, np.ndarray]]:
    """The library's own copy: tag id -> (prompts hash, vector) under this model."""
    with library.db.session() as s:
        return {
            tag_id: (digest, np.asarray(vector))
            for tag_id, digest, vector in s.execute(
                select(TagVector.tag_id, TagVector.prompts_hash, TagVector.vector).where(
                    TagVector.model_id == model_id
                )
            )
        }


def _store_in_library(library: Library, model_id: int, rows: list[tuple[int, str, np.ndarray]]) -> None:
    if not rows:
        return
    # One statement for all rows: an ORM merge per concept was 1,400
    # SELECTs and flushes of Python work holding the GIL the window needs.
    statement = insert(TagVector)
    with library.db.transaction() as s:
        s.execute(
            statement.on_conflict_do_update(
                index_elements=["tag_id", "model_id"],
                set_={"prompts_hash": statement.excluded.prompts_hash, "vector": statement.excluded.vector},
            ),
            [
                {"tag_id": tag_id, "model_id": model_id, "prompts_hash": digest, "vector": vector}
                for tag_id, digest, vector in rows
            ],
        )


def ensemble_vectors(encoder, prompt_lists: list[list[str]]) -> list[np.ndarray]:
    """Each concept's prompts embedded and averaged, L2-normalised.

    The text tower runs only up to a batch's longest prompt, so texts are
    encoded in small batches of similar length: less padding to compute.
    """
    texts = [p for prompts in prompt_lists for p in prompts]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    encoded = np.empty((len(texts), 0), np.float32)
    for start in range(0, len(order), TEXT_BATCH):
        chunk = order[start : start + TEXT_BATCH]
        block = encoder.encode_texts([texts[i] for i in chunk])
        if encoded.shape[1] == 0:
            encoded = np.empty((len(texts), block.shape[1]), np.float32)
        encoded[chunk] = block
    means = []
    position = 0
    for prompts in prompt_lists:
        mean = encoded[position : position + len(prompts)].mean(axis=0)
        position += len(prompts)
        mean /= np.linalg.norm(mean) or 1.0
        means.append(mean.astype(np.float32))
    return means


def concept_vectors(
    library: Library,
    encoder_for: Callable[[], object],
    model_id: int,
    cache: ConceptVectorCache | None = None,
    token: CancelToken | None = None,
) -> Generator[Progress, None, tuple[list[int], np.ndarray]]:
    """The ensemble text vector of every auto concept under this model
    (generator: yields progress, returns (tag ids, matrix)).

    Looked for in the library, then in the user's cache; only what both lack
    is computed, ``CONCEPT_BATCH`` concepts at a time, each batch committed to
    both before the next, so a killed run loses at most one batch.
    ``encoder_for`` is called only when something must be computed.
    """
    concepts = auto_concepts(library)
    known = _library_vectors(library, model_id)
    missing = [(t, prompts) for t, prompts in concepts if known.get(t, ("",))[0] != prompts_hash(prompts)]
    if missing and cache is not None:
        found = cache.lookup([prompts_hash(prompts) for _, prompts in missing])
        rows = [(t, prompts_hash(p), found[prompts_hash(p)]) for t, p in missing if prompts_hash(p) in found]
        _store_in_library(library, model_id, rows)
        known.update({t: (digest, vector) for t, digest, vector in rows})
        missing = [(t, p) for t, p in missing if prompts_hash(p) not in found]
    if missing:
        encoder = encoder_for()
        # Concepts of similar prompt length share a batch (see ensemble_vectors).
        missing.sort(key=lambda concept: max(len(p) for p in concept[1]))
        total = len(missing)
        meter = RateMeter()
        message = "Preparing the tag vocabulary for this model (once)"
        yield Progress(VOCABULARY_STAGE, 0, total, message=message)
        for start in range(0, total, CONCEPT_BATCH):
            if token is not None:
                token.checkpoint()
            batch = missing[start : start + CONCEPT_BATCH]
            means = ensemble_vectors(encoder, [prompts for _, prompts in batch])
            rows = [(t, prompts_hash(p), mean) for (t, p), mean in zip(batch, means, strict=True)]
            if cache is not None:
                cache.store({digest: mean for _, digest, mean in rows})
            _store_in_library(library, model_id, rows)
            known.update({t: (digest, mean) for t, digest, mean in rows})
            progress = meter.progress(VOCABULARY_STAGE, start + len(batch), total)
            yield Progress(progress.stage, progress.done, total, progress.rate, progress.eta, message)
    tag_ids = [tag_id for tag_id, _ in concepts]
    matrix = np.stack([known[t][1] for t in tag_ids]).astype(np.float32) if tag_ids else np.empty((0, 0))
    return tag_ids, matrix


def concept_vectors_cached(library: Library, model_id: int) -> bool:
    with library.db.session() as s:
        cached = dict(
            s.execute(
                select(TagVector.tag_id, TagVector.prompts_hash).where(TagVector.model_id == model_id)
            ).all()
        )
    return all(cached.get(tag_id) == prompts_hash(prompts) for tag_id, prompts in auto_concepts(library))


def concept_space_vectors(
    library: Library, model_id: int, token: CancelToken | None = None
) -> Generator[Progress, None, tuple[list[int], np.ndarray, float]]:
    """Concept vectors and the model's logit scale (generator: yields progress,
    returns them), computing what the caches lack with the text tower alone
    (the image tower is not needed to tag, and leaving it out keeps an index
    run's memory down)."""
    choice = library.model_choice()
    scale_key = f"tags.logit_scale:{choice.key}"
    scale = library.db.get_setting(scale_key)
    if scale is not None and concept_vectors_cached(library, model_id):
        tag_ids, vectors = yield from concept_vectors(library, lambda: None, model_id)
        return tag_ids, vectors, float(scale)
    from photoorg.ml.clip import shared_encoder_with_text
    from photoorg.ml.device import choose_device

    options = library.ml_options(offline=True)
    encoder = shared_encoder_with_text(choice)
    device = encoder.device if encoder is not None else choose_device(options.device)

    def encoder_for():
        nonlocal encoder
        if encoder is None:
            encoder = _load_text_encoder(library, choice, device, options.threads)
        return encoder

    with ConceptVectorCache(model_cache_key(choice, device)) as cache:
        tag_ids, vectors = yield from concept_vectors(library, encoder_for, model_id, cache, token)
        if scale is None:
            scale = cache.logit_scale()
        if scale is None:
            scale = encoder_for().logit_scale
            cache.store_logit_scale(scale)
    library.db.set_setting(scale_key, scale)
    return tag_ids, vectors, float(scale)


def _load_text_encoder(library: Library, choice, device: str, threads: int | None):
    from photoorg.ml.clip import ClipEncoder, release_image_only_encoders, resolve_weights

    library._register_configs()
    # Building a model briefly needs room for both towers: make it.
    release_image_only_encoders()
    path = resolve_weights(choice, allow_download=False)
    return ClipEncoder(choice, path, device, threads, image=False).load()


class ClipTagger:
    """Tags photos from their CLIP vectors; run after the embedding stage."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def pending_count(self, version: str, model_id: int) -> int:
        with self.library.db.session() as s:
            return s.connection().exec_driver_sql(_PENDING_COUNT, (model_id, STAGE, version)).scalar() or 0

    def run(
        self, token: CancelToken | None = None, *, everything: bool = False
    ) -> Generator[Progress, None, dict[str, dict[str, int]]]:
        """Tag every photo that needs it (``everything``: the whole library).

        Returns what ran, as ``index --json`` reports stages: concepts embedded
        ("tags-vocabulary") and photos tagged ("tags-clip")."""
        library = self.library
        counts: dict[str, dict[str, int]] = {}
        ensure_vocabulary(library.db)
        choice = library.model_choice()
        with library.db.session() as s:
            model = s.scalar(select(Model).where(Model.key == choice.key))
        if model is None:
            return counts  # nothing embedded with this model yet
        version = tagger_version(library)
        if everything:
            with library.db.transaction() as s:
                s.connection().exec_driver_sql("DELETE FROM photo_stages WHERE stage = ?", (STAGE,))
        total = self.pending_count(version, model.id)
        if total == 0:
            return counts
        try:
            tag_ids, vectors, scale = yield from _counted(
                concept_space_vectors(library, model.id, token), VOCABULARY_STAGE, counts
            )
        except ModelUnavailableError as exc:
            yield Progress(STAGE, 0, total, message=f"Tagging waits for the model: {exc}", level="warning")
            return counts
        if not tag_ids:
            return counts
        tree = TagTree.load(library.db)
        space = ConceptSpace.build(tree, sorted(tree.names), set(tag_ids))
        column_of = space.index_of()
        columns = np.asarray([column_of[t] for t in tag_ids])
        meter = RateMeter()
        done = 0
        counts[STAGE] = {"done": 0, "failed": 0}
        yield meter.progress(STAGE, 0, total)
        while True:
            if token is not None:
                token.checkpoint()
            photo_ids, matrix = self._next_chunk(model.id, version, model.dim)
            if not photo_ids:
                break
            probabilities = np.zeros((len(photo_ids), len(space.tag_ids)), dtype=np.float32)
            probabilities[:, columns] = softmax(scale * (matrix @ vectors.T))
            chosen = select_tags(
                probabilities, space, calibration.CLIP_THRESHOLD, calibration.MAX_TAGS, calibration.CLIP_FLOOR
            )
            self._write(photo_ids, chosen, version)
            done += len(photo_ids)
            counts[STAGE]["done"] = done
            yield meter.progress(STAGE, done, total)
        return counts

    def _next_chunk(self, model_id: int, version: str, dim: int) -> tuple[list[int], np.ndarray]:
        with self.library.db.session() as s:
            rows = (
                s.connection()
                .exec_driver_sql(_PENDING + " LIMIT ?", (model_id, STAGE, version, CHUNK))
                .fetchall()
            )
        if not rows:
            return [], np.empty((0, dim), np.float32)
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), dim)
        return [r[0] for r in rows], matrix

    def _write(self, photo_ids: list[int], chosen: list[list[tuple[int, float]]], version: str) -> None:
        now = datetime.now()
        stamp = now.isoformat(sep=" ")
        with self.library.db.transaction() as s:
            connection = s.connection()
            marks = ",".join("?" * len(photo_ids))
            # CLIP's tags replace any earlier auto tags (the offline classifier's);
            # the user's own rows are never touched.
            connection.exec_driver_sql(
                f"DELETE FROM photo_tags WHERE photo_id IN ({marks}) AND source IN (?, ?)",
                (*photo_ids, TAG_SOURCE_CLIP, TAG_SOURCE_CLASSIFIER),
            )
            rows = [
                (photo_id, tag_id, TAG_SOURCE_CLIP, confidence, TAG_ON, stamp)
                for photo_id, tags in zip(photo_ids, chosen, strict=True)
                for tag_id, confidence in tags
            ]
            if rows:
                connection.exec_driver_sql(
                    "INSERT INTO photo_tags (photo_id, tag_id, source, confidence, state, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
            connection.exec_driver_sql(
                "INSERT OR REPLACE INTO photo_stages (photo_id, stage, version, state, error, updated_at) "
                "VALUES (?, ?, ?, 'done', NULL, ?)",
                [(photo_id, STAGE, version, stamp) for photo_id in photo_ids],
            )
            bump_generation(s, TAGS_GENERATION)


def _counted(events: Generator[Progress, None, object], stage: str, counts: dict) -> Generator:
    """Pass ``events`` on, noting the last count of ``stage`` in ``counts``."""
    while True:
        try:
            event = next(events)
        except StopIteration as stop:
            return stop.value
        if event.stage == stage and event.total is not None:
            counts[stage] = {"done": event.done, "failed": 0}
        yield event


_PENDING = """
    SELECT e.photo_id, e.vector FROM embeddings e JOIN photos p ON p.id = e.photo_id
    WHERE e.model_id = ? AND p.state = 'ok' AND p.missing_since IS NULL
      AND NOT EXISTS (SELECT 1 FROM photo_stages s
                      WHERE s.photo_id = e.photo_id AND s.stage = ? AND s.version = ?)
    ORDER BY e.photo_id
"""
_PENDING_COUNT = "SELECT count(*) FROM (" + _PENDING + ")"


def retag_seconds(library: Library) -> float:
    """Re-tag the whole library; returns the seconds it took (benchmarks, tests)."""
    started = time.perf_counter()
    for _ in ClipTagger(library).run(everything=True):
        pass
    return time.perf_counter() - started
