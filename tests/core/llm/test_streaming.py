"""TextStream: whole UTF-8 characters, stop strings never leak."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from openchat_desktop.core.llm.streaming import GenerationStats, TextStream


def feed_bytes(stream: TextStream, data: bytes, size: int) -> list[str]:
    out = [stream.feed(data[i:i + size]) for i in range(0, len(data), size)]
    return [*out, stream.flush()]


def test_split_characters_are_held_until_whole() -> None:
    data = "你好，世界 🙂!".encode()
    deltas = feed_bytes(TextStream(), data, 1)
    assert "".join(deltas) == "你好，世界 🙂!"
    assert all("\ufffd" not in d for d in deltas)


def test_stop_string_split_across_tokens_is_cut() -> None:
    stream = TextStream(("<|im_end|>",))
    pieces = ["Paris", " is", " nice", "<|", "im", "_end", "|>", "ignored"]
    out = "".join(stream.feed(p.encode()) for p in pieces) + stream.flush()
    assert out == "Paris is nice" and stream.stopped


def test_partial_marker_that_is_not_a_stop_is_released() -> None:
    stream = TextStream(("<|im_end|>",))
    out = stream.feed(b"a <|im") + stream.feed(b" not a marker") + stream.flush()
    assert out == "a <|im not a marker"


@given(st.text(), st.integers(min_value=1, max_value=7))
def test_any_text_round_trips(text: str, size: int) -> None:
    assert "".join(feed_bytes(TextStream(("<|end|>",)), text.encode(), size)) == \
        text.split("<|end|>")[0]


def test_seed_stat_lines() -> None:
    stats = GenerationStats(prompt_evaluated=37, prompt_seconds=37 / 412.5,
                            generated_tokens=64, generation_seconds=64 / 58.31)
    assert stats.seed_lines() == ("  37 prompt tokens processed: 412.50 token/s",
                                  "  64 tokens generated: 58.31 token/s")
