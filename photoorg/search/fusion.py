"""Merging rankings that measure different things into one list.

A plain query can be answered by several rankers: CLIP (how much the picture
looks like the words), the recognised text (the words are written in the
photo), place names. Their scores are not comparable: a cosine of 0.31 and a
BM25 of -7.2 share no scale, and a weak reader like CLIP gives a receipt that
says "Lisboa" a middling cosine for "lisboa". So the lists are merged by rank,
not by score, with **reciprocal rank fusion** (Cormack, Clarke & Büttcher,
SIGIR 2009)::

    fused(photo) = Σ over rankings r of  weight_r / (K + rank_r(photo))

with ranks from 1 and K = 60, the constant of the paper. A photo near the top
of any one list lands near the top of the merged list, and a photo found by
two rankers beats one found by either alone: the first text match (1/61)
ties the first CLIP result, and a photo that both the text and CLIP rank
highly beats both. K dampens the difference between rank 1 and rank 5, so one
ranker's noise at the very top can't bury the other's strong results.
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], *, weights: Sequence[float] | None = None, k: int = RRF_K
) -> list[tuple[int, float]]:
    """Photo ids of all ``rankings`` (each best first, no repeats), merged best
    first, with their fused scores. Ties keep the order of first appearance."""
    weights = weights if weights is not None else [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for position, photo_id in enumerate(ranking, start=1):
            scores[photo_id] = scores.get(photo_id, 0.0) + weight / (k + position)
    return sorted(scores.items(), key=lambda item: -item[1])
