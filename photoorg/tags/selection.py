"""From scores to a short, precise set of tags per photo.

Both taggers produce a probability per concept for each photo (CLIP: a
softmax of the cosine similarities over the whole vocabulary at the model's
own logit scale; the classifier: its softmax over ImageNet's classes, summed
into the concepts they map to). Then, per photo:

1. probability flows up the hierarchy: P(dog) = P(dog) + P(every breed),
   so a dog of uncertain breed is still confidently a dog;
2. concepts whose summed probability reaches the threshold are candidates;
3. an ancestor of a chosen concept is implied by it and dropped, unless it is
   clearly more certain (by ``IMPLIED_MARGIN``): a cat of uncertain breed is
   stored as "egyptian mau" 0.37 and "cat" 0.90, a sure golden retriever as
   "golden retriever" alone;
4. at most ``max_tags`` remain, most probable first.

The stored confidence is the summed probability. The thresholds are in
``photoorg.tags.calibration`` with how they were set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from photoorg.tags.vocabulary import TagTree

if TYPE_CHECKING:
    from scipy import sparse

IMPLIED_MARGIN = 0.2


@dataclass
class ConceptSpace:
    """A fixed order of tags, with the hierarchy as sparse matrices."""

    tag_ids: np.ndarray  # (C,)
    selectable: np.ndarray  # (C,) bool: may be chosen (auto concepts)
    up: sparse.csr_matrix  # up[i, j] = 1 when j is i or an ancestor of i
    ancestors: list[np.ndarray]  # per column, the columns of its ancestors

    @classmethod
    def build(cls, tree: TagTree, tag_ids: list[int], selectable: set[int]) -> ConceptSpace:
        from scipy import sparse  # here, not at the top: commands that never tag skip its import

        order = {tag_id: i for i, tag_id in enumerate(tag_ids)}
        rows, cols = [], []
        for i, tag_id in enumerate(tag_ids):
            for ancestor in tree.ancestors(tag_id):
                if ancestor in order:
                    rows.append(i)
                    cols.append(order[ancestor])
        size = len(tag_ids)
        strict = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(size, size))
        up = (strict + sparse.identity(size, dtype=np.float32, format="csr")).tocsr()
        return cls(
            tag_ids=np.asarray(tag_ids, dtype=np.int64),
            selectable=np.asarray([t in selectable for t in tag_ids], dtype=bool),
            up=up,
            ancestors=[strict.indices[strict.indptr[i] : strict.indptr[i + 1]] for i in range(size)],
        )

    def index_of(self) -> dict[int, int]:
        return {int(t): i for i, t in enumerate(self.tag_ids)}


def select_tags(
    probabilities: np.ndarray, space: ConceptSpace, threshold: float, max_tags: int, floor: float = 0.0
) -> list[list[tuple[int, float]]]:
    """Per photo (row), the chosen (tag id, confidence) pairs.

    Probabilities under ``floor`` are noise and are not summed: spread over
    hundreds of concepts, they would make a broad parent ("animal") look sure.
    """
    if probabilities.size == 0:
        return [[] for _ in range(probabilities.shape[0])]
    if floor:
        probabilities = np.where(probabilities >= floor, probabilities, 0.0)
    # (P @ up) computed as (up.T @ P.T).T: sparse times dense stays cheap.
    summed = np.asarray((space.up.T @ probabilities.astype(np.float32).T).T)
    return choose_tags(summed, space, threshold, max_tags)


def choose_tags(
    summed: np.ndarray, space: ConceptSpace, threshold: float | np.ndarray, max_tags: int
) -> list[list[tuple[int, float]]]:
    """Steps 2-4 above on scores already summed up the hierarchy; ``threshold``
    is one value, or one per concept (column)."""
    if summed.size == 0:
        return [[] for _ in range(summed.shape[0])]
    candidates = (summed >= threshold) & space.selectable[None, :]
    result: list[list[tuple[int, float]]] = []
    for row in range(candidates.shape[0]):
        columns = np.nonzero(candidates[row])[0]
        if not len(columns):
            result.append([])
            continue
        chosen = set(columns.tolist())
        scores = summed[row]
        for column in columns:
            for ancestor in space.ancestors[column]:
                if ancestor in chosen and scores[ancestor] - scores[column] < IMPLIED_MARGIN:
                    chosen.discard(int(ancestor))
        ordered = sorted(chosen, key=lambda c: -scores[c])[:max_tags]
        result.append([(int(space.tag_ids[c]), float(min(1.0, scores[c]))) for c in ordered])
    return result


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted
