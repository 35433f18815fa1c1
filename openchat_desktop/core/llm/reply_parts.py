"""A streamed reply as typed parts: thinking, answer, tool calls.

``ReplyParser`` runs the text through the splitter for the template's reply format (see
``reasoning``) and holds back answer text that may be tool-call markup until it knows (see
``tool_calls``). ``TypedReply`` wraps any ``ReplyStream`` (the local engine's, a remote
server's) with one, and counts thinking tokens and time into the stream's ``stats``.

The plain ``ReplyStream`` iteration (text deltas, markup and all) stays as it was, so a caller
that wants raw text still gets it; the window, the terminal and the API iterate ``TypedReply``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from openchat_desktop.core.llm.backend import ReplyStream
from openchat_desktop.core.llm.reasoning import (
    ReplyFormat,
    ReplyPart,
    make_splitter,
    partial_suffix,
)
from openchat_desktop.core.llm.streaming import GenerationStats
from openchat_desktop.core.llm.tool_calls import (
    TRIGGERS,
    ToolCall,
    could_start_call,
    make_call,
    parse_tool_calls,
)


class ReplyParser:
    """Feed text deltas, get typed parts; ``finish`` releases what was held and parses the
    tool calls, which then sit in ``tool_calls``."""

    def __init__(self, fmt: ReplyFormat = "plain", tools_offered: bool = False) -> None:
        self._splitter = make_splitter(fmt)
        self._tools = tools_offered
        self._pending = ""  # answer text not yet released
        self._holding = False  # the rest of the answer may be a tool call
        self._released = False
        self.tool_calls: list[ToolCall] = []

    @property
    def thinking(self) -> bool:
        return self._splitter.thinking

    def feed(self, text: str) -> list[ReplyPart]:
        return self._filter(self._splitter.feed(text))

    def finish(self) -> list[ReplyPart]:
        parts = self._filter(self._splitter.flush())
        held, self._pending = self._pending, ""
        if not held:
            return parts
        content, calls = parse_tool_calls(held, self._tools) if self._holding else (held, [])
        if content.strip() if calls else content:
            parts.append(ReplyPart("answer", content))
        for call in calls:
            self.tool_calls.append(call)
            parts.append(ReplyPart("tool_call", call.arguments, call.name, call.id))
        return parts

    def _filter(self, parts: list[ReplyPart]) -> list[ReplyPart]:
        out: list[ReplyPart] = []
        for part in parts:
            if part.kind == "tool_call":
                call = make_call(part.name, part.text)
                self.tool_calls.append(call)
                out.append(ReplyPart("tool_call", call.arguments, call.name, call.id))
            elif part.kind == "answer":
                text = self._release(part.text)
                if text:
                    out.append(ReplyPart("answer", text))
            else:
                out.append(part)
        return out

    def _release(self, text: str) -> str:
        """The part of the answer that can be shown now; the rest waits in ``_pending``."""
        self._pending += text
        if self._holding:
            return ""
        if not self._released:
            head = self._pending.lstrip()
            if could_start_call(head, self._tools):
                self._holding = True
                return ""
            if head and any(t.startswith(head) for t in TRIGGERS):
                return ""  # may still become a trigger
        starts = [i for t in TRIGGERS if (i := self._pending.find(t)) >= 0]
        held = partial_suffix(self._pending, TRIGGERS)  # may still become a trigger
        cut = min(starts) if starts else len(self._pending) - held
        self._holding = bool(starts)
        shown, self._pending = self._pending[:cut], self._pending[cut:]
        self._released = self._released or bool(shown.strip())
        return shown


# Yielded (with ``pass_idle``) each time the stream had nothing new: a scheduler running
# several replies takes its turn back there. Compare by identity.
IDLE = ReplyPart("answer", "")


class TypedReply:
    """Iterate for ``ReplyPart``s of ``stream``; afterwards ``thinking``, ``answer`` and
    ``tool_calls`` hold the whole reply, and ``stats`` (the stream's) counts thinking apart.
    With ``pass_idle``, an empty delta of the stream comes out as ``IDLE``.

    The format comes from the stream's ``reply_format`` when it has one (the local engine
    knows its template), else "plain" (which still catches a reply opening with ``<think>``).
    A stream with a ``reasoning`` text (a remote server's ``reasoning_content``) has it
    passed on as thinking.
    """

    def __init__(self, stream: ReplyStream, tools_offered: bool = False,
                 fmt: ReplyFormat | None = None, pass_idle: bool = False) -> None:
        self._stream = stream
        self._pass_idle = pass_idle
        found: ReplyFormat = fmt or getattr(stream, "reply_format", None) or "plain"
        self._parser = ReplyParser(found, tools_offered)
        self._thinking: list[str] = []
        self._answer: list[str] = []
        self._counted = 0
        self._reasoning_seen = 0
        self._think_started = 0.0

    @property
    def stats(self) -> GenerationStats:
        return self._stream.stats

    @property
    def thinking(self) -> str:
        return "".join(self._thinking).strip()

    @property
    def answer(self) -> str:
        return "".join(self._answer)

    @property
    def tool_calls(self) -> list[ToolCall]:
        return list(self._parser.tool_calls)

    def __iter__(self) -> Iterator[ReplyPart]:
        for delta in self._stream:
            yield from self._track(self._remote_reasoning(brought_by_answer=bool(delta)))
            if not delta:  # a remote stream's wake-up, or a batched reply waiting its turn
                if self._pass_idle:
                    yield IDLE
                continue
            was_thinking = self._parser.thinking
            parts = self._parser.feed(delta)
            self._count(was_thinking or self._parser.thinking
                        or any(p.kind == "thinking" for p in parts))
            yield from self._track(parts)
        yield from self._track(self._remote_reasoning())
        yield from self._track(self._parser.finish())
        self._end_thinking()

    def _count(self, thinking: bool) -> None:
        gained = self.stats.generated_tokens - self._counted
        self._counted = self.stats.generated_tokens
        if thinking:
            self.stats.thinking_tokens += gained

    def _remote_reasoning(self, brought_by_answer: bool = True) -> list[ReplyPart]:
        reasoning = getattr(self._stream, "reasoning", "")
        if not isinstance(reasoning, str) or len(reasoning) <= self._reasoning_seen:
            return []
        new, self._reasoning_seen = reasoning[self._reasoning_seen:], len(reasoning)
        # A remote server counts a reasoning delta as a token too; all but an answer delta
        # that brought this news were thinking.
        thinking = max(0, self.stats.generated_tokens - self._counted - int(brought_by_answer))
        self.stats.thinking_tokens += thinking
        self._counted += thinking
        return [ReplyPart("thinking", new)]

    def _track(self, parts: list[ReplyPart]) -> Iterator[ReplyPart]:
        for part in parts:
            if part.kind == "thinking":
                if not self._think_started:
                    self._think_started = time.perf_counter()
                self._thinking.append(part.text)
            else:
                self._end_thinking()
                if part.kind == "answer":
                    self._answer.append(part.text)
            yield part

    def _end_thinking(self) -> None:
        if self._think_started and not self.stats.thinking_seconds:
            self.stats.thinking_seconds = time.perf_counter() - self._think_started
