"""Reciprocal rank fusion of rankings that don't share a score scale."""

from __future__ import annotations

from photoorg.search.fusion import RRF_K, reciprocal_rank_fusion


def test_found_by_two_rankers_beats_found_by_one():
    clip = [1, 2, 3, 4]
    text = [3, 9]
    fused = [pid for pid, _ in reciprocal_rank_fusion([clip, text])]
    assert fused[0] == 3  # third by looks, first by its written words
    assert set(fused) == {1, 2, 3, 4, 9}


def test_a_text_match_that_clip_ranks_last_still_reaches_the_top():
    clip = list(range(100, 600))  # 500 photos, the receipt not among them
    fused = [pid for pid, _ in reciprocal_rank_fusion([clip, [7]])]
    assert fused.index(7) <= 1  # ties with CLIP's best, ahead of the rest


def test_scores_are_sums_of_reciprocal_ranks():
    fused = dict(reciprocal_rank_fusion([[1, 2], [2]], weights=[1.0, 0.5]))
    assert fused[1] == 1 / (RRF_K + 1)
    assert fused[2] == 1 / (RRF_K + 2) + 0.5 / (RRF_K + 1)


def test_ties_keep_first_appearance_and_empty_rankings_are_fine():
    assert [pid for pid, _ in reciprocal_rank_fusion([[5], [6], []])] == [5, 6]
    assert reciprocal_rank_fusion([]) == []
