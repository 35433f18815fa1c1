"""An incremental parser for server-sent events, fed one line at a time.

Only what OpenAI-style streams use: ``data:`` lines (joined with newlines when an event has
several), ``event:`` names, ``:`` comments (keep-alives, skipped) and the blank line that ends
an event. A line is handed over as soon as it arrives, so a stop can be checked between two.
"""

from __future__ import annotations

from dataclasses import dataclass

DONE = "[DONE]"


@dataclass(frozen=True)
class Event:
    """One complete event: its ``data`` (lines joined) and its ``event`` name ("message")."""

    data: str
    event: str = "message"


class SSEParser:
    """Feed lines (without their line ending); ``feed`` returns the event a blank line ended,
    if any. ``flush`` returns an event still open when the stream ended without its blank
    line (some servers close right after the last ``data:``)."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self._event = ""

    def feed(self, line: str) -> Event | None:
        line = line.rstrip("\r")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        # "id" and "retry" mean nothing for a one-shot reply; unknown fields are ignored
        # as the SSE specification says.
        return None

    def flush(self) -> Event | None:
        return self._dispatch()

    @property
    def pending(self) -> bool:
        """True while an event has data but no blank line yet."""
        return bool(self._data)

    def _dispatch(self) -> Event | None:
        if not self._data:
            self._event = ""
            return None
        event = Event("\n".join(self._data), self._event or "message")
        self._data, self._event = [], ""
        return event
