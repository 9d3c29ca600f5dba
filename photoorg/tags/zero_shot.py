"""CLIP zero-shot tagging from the stored image vectors: no photo is decoded again.

Each concept's prompts are embedded with the text tower and averaged (the
prompt ensemble), once per model: the vectors are cached in ``tag_vectors``.
Tagging a photo is then one row of a matrix product. A run tags the photos
whose "tags-clip" stage version is not current; the version covers the model,
the concept set (so a new custom concept re-tags the library) and the
calibration.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
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
from photoorg.tags.selection import ConceptSpace, select_tags, softmax
from photoorg.tags.store import ORIGIN_HIDDEN, TAGS_GENERATION
from photoorg.tags.vocabulary import TagTree, ensure_vocabulary

STAGE = "tags-clip"
CHUNK = 4096


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


def concept_vectors(library: Library, encoder, model_id: int) -> tuple[list[int], np.ndarray]:
    """The ensemble text vector of every auto concept under this model."""
    concepts = auto_concepts(library)
    with library.db.session() as s:
        cached = {
            tag_id: (digest, np.asarray(vector))
            for tag_id, digest, vector in s.execute(
                select(TagVector.tag_id, TagVector.prompts_hash, TagVector.vector).where(
                    TagVector.model_id == model_id
                )
            )
        }
    missing = [
        (tag_id, prompts)
        for tag_id, prompts in concepts
        if cached.get(tag_id, ("",))[0] != prompts_hash(prompts)
    ]
    if missing:
        texts = [p for _, prompts in missing for p in prompts]
        vectors = np.concatenate(
            [encoder.encode_texts(texts[i : i + 256]) for i in range(0, len(texts), 256)]
        )
        position = 0
        rows = []
        for tag_id, prompts in missing:
            block = vectors[position : position + len(prompts)]
            position += len(prompts)
            mean = block.mean(axis=0)
            mean /= np.linalg.norm(mean) or 1.0
            cached[tag_id] = (prompts_hash(prompts), mean.astype(np.float32))
            rows.append(
                {"tag_id": tag_id, "model_id": model_id, "prompts_hash": cached[tag_id][0], "vector": mean}
            )
        # One statement for all rows: an ORM merge per concept was 1,400
        # SELECTs and flushes of Python work holding the GIL the window needs.
        statement = insert(TagVector)
        with library.db.transaction() as s:
            s.execute(
                statement.on_conflict_do_update(
                    index_elements=["tag_id", "model_id"],
                    set_={
                        "prompts_hash": statement.excluded.prompts_hash,
                        "vector": statement.excluded.vector,
                    },
                ),
                rows,
            )
    tag_ids = [tag_id for tag_id, _ in concepts]
    return tag_ids, np.stack([cached[t][1] for t in tag_ids]) if tag_ids else np.empty((0, 0), np.float32)


def concept_vectors_cached(library: Library, model_id: int) -> bool:
    with library.db.session() as s:
        cached = dict(
            s.execute(
                select(TagVector.tag_id, TagVector.prompts_hash).where(TagVector.model_id == model_id)
            ).all()
        )
    return all(cached.get(tag_id) == prompts_hash(prompts) for tag_id, prompts in auto_concepts(library))


def concept_space_vectors(library: Library, model_id: int) -> tuple[list[int], np.ndarray, float]:
    """Concept vectors and the model's logit scale, computing what the cache
    lacks with the text tower alone (the image tower is not needed to tag, and
    leaving it out keeps an index run's memory down)."""
    from photoorg.ml.clip import (
        ClipEncoder,
        release_image_only_encoders,
        resolve_weights,
        shared_encoder_with_text,
    )
    from photoorg.ml.device import choose_device

    choice = library.model_choice()
    scale_key = f"tags.logit_scale:{choice.key}"
    scale = library.db.get_setting(scale_key)
    if scale is not None and concept_vectors_cached(library, model_id):
        return *concept_vectors(library, None, model_id), float(scale)
    library._register_configs()
    encoder = shared_encoder_with_text(choice)
    if encoder is None:
        # Building a model briefly needs room for both towers: make it.
        release_image_only_encoders()
        options = library.ml_options(offline=True)
        path = resolve_weights(choice, allow_download=False)
        encoder = ClipEncoder(
            choice, path, choose_device(options.device), options.threads, image=False
        ).load()
    tag_ids, vectors = concept_vectors(library, encoder, model_id)
    library.db.set_setting(scale_key, encoder.logit_scale)
    return tag_ids, vectors, encoder.logit_scale


class ClipTagger:
    """Tags photos from their CLIP vectors; run after the embedding stage."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def pending_count(self, version: str, model_id: int) -> int:
        with self.library.db.session() as s:
            return s.connection().exec_driver_sql(_PENDING_COUNT, (model_id, STAGE, version)).scalar() or 0

    def run(self, token: CancelToken | None = None, *, everything: bool = False) -> Iterator[Progress]:
        """Tag every photo that needs it (``everything``: the whole library)."""
        library = self.library
        ensure_vocabulary(library.db)
        choice = library.model_choice()
        with library.db.session() as s:
            model = s.scalar(select(Model).where(Model.key == choice.key))
        if model is None:
            return  # nothing embedded with this model yet
        version = tagger_version(library)
        if everything:
            with library.db.transaction() as s:
                s.connection().exec_driver_sql("DELETE FROM photo_stages WHERE stage = ?", (STAGE,))
        total = self.pending_count(version, model.id)
        if total == 0:
            return
        try:
            tag_ids, vectors, scale = concept_space_vectors(library, model.id)
        except ModelUnavailableError as exc:
            yield Progress(STAGE, 0, total, message=f"Tagging waits for the model: {exc}", level="warning")
            return
        if not tag_ids:
            return
        tree = TagTree.load(library.db)
        space = ConceptSpace.build(tree, sorted(tree.names), set(tag_ids))
        column_of = space.index_of()
        columns = np.asarray([column_of[t] for t in tag_ids])
        meter = RateMeter()
        done = 0
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
            yield meter.progress(STAGE, done, total)

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
