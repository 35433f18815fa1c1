"""The batcher the window and the API server share: the first piece at once, then runs."""

from __future__ import annotations

from openchat_desktop.services.delta_batcher import DeltaBatcher


def test_the_first_piece_goes_at_once_and_the_rest_waits_for_the_interval() -> None:
    batcher = DeltaBatcher(interval_s=3600)
    assert batcher.add(False, "Hel", 1) == [(False, "Hel")]
    assert batcher.add(False, "lo", 2) == []
    assert batcher.tokens == 2
    assert batcher.drain() == [(False, "lo")]
    assert batcher.drain() == []


def test_pieces_of_one_kind_join_and_kinds_keep_their_order() -> None:
    batcher = DeltaBatcher(interval_s=3600)
    batcher.add(True, "think", 1)
    for thinking, text in ((True, "ing"), (False, "Ans"), (False, "wer"), (True, "!")):
        batcher.add(thinking, text, 0)
    assert batcher.drain() == [(True, "ing"), (False, "Answer"), (True, "!")]


def test_with_no_interval_every_piece_goes_out() -> None:
    batcher = DeltaBatcher(interval_s=0)
    assert [batcher.add(False, t, 0) for t in "ab"] == [[(False, "a")], [(False, "b")]]
