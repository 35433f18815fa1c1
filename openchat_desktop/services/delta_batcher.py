"""Joining a reply's text pieces that come in quick succession, for whoever forwards them.

A signal or an SSE event per token (100+ a second) costs the receiving thread CPU that, on a
small machine, is taken from the model's own threads; the window repaints every 40 ms anyway.
"""

from __future__ import annotations

import itertools
import time

# Pieces closer together than this travel as one; the first of a reply goes out at once.
DELTA_INTERVAL_S = 0.03


class DeltaBatcher:
    """Collects (is thinking, text) pieces; ``add`` hands back what is due, ``drain`` the
    rest. Consecutive pieces of one kind leave as one run, in their order."""

    def __init__(self, interval_s: float = DELTA_INTERVAL_S) -> None:
        self._interval_s = interval_s
        self._pending: list[tuple[bool, str]] = []
        self._last_sent: float | None = None  # nothing sent yet: the first goes at once
        self.tokens = 0  # the reply's token count when the last piece came

    def add(self, thinking: bool, text: str, tokens: int) -> list[tuple[bool, str]]:
        """Take one piece; the runs to send now (none while within the interval)."""
        self._pending.append((thinking, text))
        self.tokens = tokens
        now = time.perf_counter()
        if self._last_sent is not None and now - self._last_sent < self._interval_s:
            return []
        self._last_sent = now
        return self.drain()

    def drain(self) -> list[tuple[bool, str]]:
        """Everything pending, as runs (before anything else of the reply is sent)."""
        pending, self._pending = self._pending, []
        return [(thinking, "".join(text for _, text in run))
                for thinking, run in itertools.groupby(pending, key=lambda piece: piece[0])]
