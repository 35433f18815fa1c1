"""Reciprocal rank fusion of keyword and vector rankings."""

from __future__ import annotations

import pytest

from openchat_desktop.core.docs.fusion import RRF_K, reciprocal_rank_fusion


def test_an_item_both_rankings_like_comes_first() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d", "a"]])
    assert [item for item, _ in fused] == ["b", "a", "d", "c"]
    scores = dict(fused)
    assert scores["b"] == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1))
    assert scores["a"] == pytest.approx(1 / (RRF_K + 1) + 1 / (RRF_K + 3))
    assert scores["c"] == pytest.approx(1 / (RRF_K + 3))


def test_one_ranking_keeps_its_order_and_ties_keep_first_seen() -> None:
    assert [i for i, _ in reciprocal_rank_fusion([[3, 1, 2]])] == [3, 1, 2]
    tied = reciprocal_rank_fusion([["x", "y"], ["y", "x"]])
    assert [i for i, _ in tied] == ["x", "y"]
    assert tied[0][1] == pytest.approx(tied[1][1])


def test_empty_rankings_and_repeats() -> None:
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []
    fused = dict(reciprocal_rank_fusion([["a", "a", "b"]], k=0))
    assert fused == {"a": 1.0, "b": pytest.approx(1 / 3)}
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"]], k=-1)


def test_k_sets_how_much_the_top_ranks_dominate() -> None:
    rankings = [["a", "b"], ["b", "c"], ["a", "c"]]
    sharp = dict(reciprocal_rank_fusion(rankings, k=0))
    flat = dict(reciprocal_rank_fusion(rankings, k=1000))
    assert sharp["a"] / sharp["c"] > flat["a"] / flat["c"]
