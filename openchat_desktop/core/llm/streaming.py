"""Turning a stream of token bytes into text deltas a person can read.

``TextStream`` plays the part of the seed program's ``TokenOutputStream``: a token may end in
the middle of a UTF-8 character (Chinese, emoji), so bytes are held until a character is whole.
It also holds back text that could be the start of a stop string (``<|im_end|>`` arriving as
``<|``, ``im``, ``_end|>``) so a marker never leaks into the reply.
"""

from __future__ import annotations

import codecs
from dataclasses import asdict, dataclass
from typing import Any, Literal

StopReason = Literal["eos", "length", "stopped", "error"]


@dataclass
class GenerationStats:
    """What one reply cost. ``prompt_evaluated`` counts the prompt tokens actually computed
    (the rest came from the KV cache of the previous turn). ``thinking_tokens`` of the
    ``generated_tokens`` were thinking (the rest, ``answer_tokens``, the answer and tool
    calls), and the thinking took ``thinking_seconds``."""

    prompt_tokens: int = 0
    prompt_evaluated: int = 0
    prompt_seconds: float = 0.0
    generated_tokens: int = 0
    generation_seconds: float = 0.0
    ttft_seconds: float = 0.0
    stop_reason: StopReason = "eos"
    trimmed_messages: int = 0
    error: str = ""
    thinking_tokens: int = 0
    thinking_seconds: float = 0.0

    @property
    def answer_tokens(self) -> int:
        return max(0, self.generated_tokens - self.thinking_tokens)

    @property
    def prompt_tokens_per_second(self) -> float:
        return self.prompt_evaluated / self.prompt_seconds if self.prompt_seconds > 0 else 0.0

    @property
    def tokens_per_second(self) -> float:
        if self.generation_seconds <= 0:
            return 0.0
        return self.generated_tokens / self.generation_seconds

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tokens_per_second"] = round(self.tokens_per_second, 2)
        data["answer_tokens"] = self.answer_tokens
        return data

    def seed_lines(self) -> tuple[str, str]:
        """The seed program's two stats lines, same format."""
        return (
            f"{self.prompt_evaluated:4} prompt tokens processed: "
            f"{self.prompt_tokens_per_second:.2f} token/s",
            f"{self.generated_tokens:4} tokens generated: {self.tokens_per_second:.2f} token/s",
        )


class TextStream:
    """Feed token bytes, get back text that is safe to show (whole characters, no stop marker).

    ``feed`` returns the text that can be shown now; ``stopped`` turns True once a stop string
    has been seen (the text before it was returned, the marker never is); ``flush`` returns what
    is still held at the end.
    """

    def __init__(self, stop_strings: tuple[str, ...] = ()) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stops = tuple(s for s in stop_strings if s)
        self._stop_starts = frozenset(s[0] for s in self._stops)
        self._held = ""
        self.stopped = False

    def feed(self, data: bytes) -> str:
        if self.stopped:
            return ""
        self._held += self._decoder.decode(data)
        return self._release()

    def flush(self) -> str:
        if self.stopped:
            return ""
        self._held += self._decoder.decode(b"", final=True)
        text, self._held = self._held, ""
        return text

    def _release(self) -> str:
        if not self._stop_starts.intersection(self._held):
            # Fast path for almost every token: nothing here could begin a stop string.
            text, self._held = self._held, ""
            return text
        for stop in self._stops:
            index = self._held.find(stop)
            if index >= 0:
                self.stopped = True
                text, self._held = self._held[:index], ""
                return text
        keep = self._partial_stop_length()
        cut = len(self._held) - keep
        text, self._held = self._held[:cut], self._held[cut:]
        return text

    def _partial_stop_length(self) -> int:
        """Length of the longest tail of the held text that starts some stop string."""
        longest = 0
        for stop in self._stops:
            for size in range(min(len(stop) - 1, len(self._held)), longest, -1):
                if self._held.endswith(stop[:size]):
                    longest = size
                    break
        return longest
