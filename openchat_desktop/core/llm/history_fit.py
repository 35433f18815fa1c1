"""Fitting a conversation into the model's context window.

When the conversation no longer fits, the oldest turns go first; the system prompt and the
newest user message always stay. If even those two do not fit, the user gets a clear error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from openchat_desktop.core.errors import ContextOverflowError
from openchat_desktop.core.llm.templates import ChatMessage

Measure = Callable[[Sequence[ChatMessage]], int]


def reply_reserve(n_ctx: int, max_tokens: int) -> int:
    """Room kept free for the reply: the requested length, at most a quarter of the context."""
    return max(1, min(max_tokens, n_ctx // 4))


# Once trimming starts, the oldest turns go in blocks of about this share of the limit, cut
# at the same places turn after turn: the kept start then stays put for several turns, so
# llama.cpp reuses the KV cache instead of evaluating the whole prompt on every turn.
TRIM_STEP = 0.25
# Template tokens around each message, in characters, for the estimate below.
_MESSAGE_OVERHEAD_CHARS = 16


def fit_conversation(messages: Sequence[ChatMessage], measure: Measure,
                     limit: int) -> tuple[list[ChatMessage], int]:
    """Drop the oldest non-system messages until ``measure(kept) <= limit``.

    Returns the kept messages and how many were dropped. Turns are dropped whole (a user
    message with the replies that follow it) so the model never sees a reply without its
    question. The cut is the first turn start past a multiple of a fixed block of characters
    (about ``TRIM_STEP`` of the limit), the fewest blocks that fit: as the conversation grows
    the cut stays where it was until the kept part no longer fits. ``measure`` runs a few
    times, not once per dropped turn.
    """
    kept = list(messages)
    total = measure(kept)
    if total <= limit:
        return kept, 0
    system = [m for m in kept[:1] if m.role == "system"]
    rest = kept[len(system):]
    chars = sum(_chars(m) for m in kept)
    # Characters per token, rounded to a power of two so it does not drift turn to turn.
    per_token = 2.0 ** round(math.log2(max(chars, 1) / max(total, 1)))
    block = max(1.0, limit * TRIM_STEP * per_token)
    # Candidate cuts: the first turn start past each multiple of ``block`` characters, and
    # the newest message alone. Where they fall depends only on the old messages.
    cuts: list[int] = []
    next_block, position = block, 0
    for index, message in enumerate(rest):
        last = index == len(rest) - 1
        if index and (last or (message.role == "user" and position >= next_block)):
            cuts.append(index)
            next_block = (position // block + 1) * block
        position += _chars(message)
    sizes: dict[int, int] = {}

    def size(candidate: int) -> int:
        if candidate not in sizes:
            sizes[candidate] = measure(system + rest[cuts[candidate]:])
        return sizes[candidate]

    lo, hi = 0, len(cuts) - 1
    if not cuts or size(hi) > limit:
        needed = size(hi) if cuts else total
        raise ContextOverflowError(
            f"The message needs {needed} tokens but only {limit} fit in this model's "
            "context; shorten it or raise the context size."
        )
    # The fewest blocks that fit, by binary search; the first probes are where the
    # character count says the answer is, so it usually takes two.
    guess = min(hi, int((total - limit) * chars / total // block))
    hints = [guess, guess - 1, guess + 1]
    while lo < hi:
        mid = next((h for h in hints if lo <= h < hi), (lo + hi) // 2)
        hints = [h for h in hints if h != mid]
        if size(mid) <= limit:
            hi = mid
        else:
            lo = mid + 1
    return system + rest[cuts[lo]:], cuts[lo]


def _chars(message: ChatMessage) -> int:
    return len(message.content) + _MESSAGE_OVERHEAD_CHARS
