"""Fitting a conversation into the model's context window.

When the conversation no longer fits, the oldest turns go first; the system prompt and the
newest user message always stay. If even those two do not fit, the user gets a clear error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from openchat_desktop.core.errors import ContextOverflowError
from openchat_desktop.core.templates import ChatMessage

Measure = Callable[[Sequence[ChatMessage]], int]


def reply_reserve(n_ctx: int, max_tokens: int) -> int:
    """Room kept free for the reply: the requested length, at most a quarter of the context."""
    return max(1, min(max_tokens, n_ctx // 4))


def fit_conversation(messages: Sequence[ChatMessage], measure: Measure,
                     limit: int) -> tuple[list[ChatMessage], int]:
    """Drop the oldest non-system messages until ``measure(kept) <= limit``.

    Returns the kept messages and how many were dropped. Turns are dropped whole (a user
    message with the replies that follow it) so the model never sees a reply without its
    question.
    """
    kept = list(messages)
    if measure(kept) <= limit:
        return kept, 0
    system = [m for m in kept[:1] if m.role == "system"]
    rest = kept[len(system):]
    dropped = 0
    while len(rest) > 1:
        cut = _first_turn_length(rest)
        rest = rest[cut:]
        dropped += cut
        if measure(system + rest) <= limit:
            return system + rest, dropped
    needed = measure(system + rest)
    raise ContextOverflowError(
        f"The message needs {needed} tokens but only {limit} fit in this model's context; "
        "shorten it or raise the context size."
    )


def _first_turn_length(messages: Sequence[ChatMessage]) -> int:
    """How many messages make up the first turn (one message, plus the replies after it),
    never the whole list: the newest message must stay."""
    length = 1
    while length < len(messages) - 1 and messages[length].role != "user":
        length += 1
    return length
