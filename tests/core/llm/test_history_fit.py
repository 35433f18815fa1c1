"""Trimming a conversation to the context: whole turns, the newest message kept, and once
trimming starts it goes well below the limit so the next turns reuse the KV cache."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import pytest

from openchat_desktop.core.errors import ContextOverflowError
from openchat_desktop.core.llm.history_fit import fit_conversation
from openchat_desktop.core.llm.templates import ChatMessage


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, messages: Sequence[ChatMessage]) -> int:
        self.calls += 1
        return sum(len(m.content) // 4 + 5 for m in messages)


def history(turns: int) -> list[ChatMessage]:
    messages = [ChatMessage("system", "Be brief.")]
    for index in range(turns):
        messages += [ChatMessage("user", f"question {index} " * 5),
                     ChatMessage("assistant", "answer words " * 20)]
    return [*messages, ChatMessage("user", "the newest question")]


def test_a_conversation_that_fits_is_measured_once() -> None:
    measure = Counter()
    assert fit_conversation(history(3), measure, 10_000) == (history(3), 0)
    assert measure.calls == 1


def test_trimming_drops_whole_turns_down_to_the_target_with_few_measures() -> None:
    measure, messages = Counter(), history(40)
    kept, dropped = fit_conversation(messages, measure, 1000)
    assert kept[0] == messages[0] and kept[-1] == messages[-1]
    assert kept[1].role == "user" and dropped % 2 == 0 and dropped == len(messages) - len(kept)
    assert 0.7 * 1000 <= measure(kept) <= 1000
    assert measure.calls <= 5


def test_the_cut_stays_put_while_the_conversation_grows() -> None:
    """The kept part starts at the same message for several turns (KV cache reused), and
    moves on in blocks, not one turn at a time."""
    measure, starts = Counter(), []
    for turns in range(30, 70):
        kept, _ = fit_conversation(history(turns), measure, 1000)
        assert measure(kept) <= 1000
        starts.append(kept[1].content)
    changes = sum(a != b for a, b in pairwise(starts))
    assert 1 <= changes <= len(starts) // 2, starts


def test_a_newest_message_too_long_for_the_context_is_a_clear_error() -> None:
    messages = [*history(2)[:-1], ChatMessage("user", "word " * 2000)]
    with pytest.raises(ContextOverflowError, match="only 100 fit"):
        fit_conversation(messages, Counter(), 100)


def test_a_newest_message_over_the_target_but_under_the_limit_is_kept() -> None:
    messages = [*history(5)[:-1], ChatMessage("user", "word " * 300)]  # 380 of 400
    kept, _ = fit_conversation(messages, Counter(), 400)
    assert kept == [messages[0], messages[-1]]
