"""Telling a model's thinking apart from its answer while the reply streams.

Reasoning models write their thinking into the same text stream as the answer, in one of two
shapes:

- ``<think>…</think>`` before the answer (Qwen3, QwQ, DeepSeek-R1 and its distills, SmolLM3,
  GLM, Kimi). Some templates open the ``<think>`` themselves at the end of the prompt, so the
  output starts inside the thinking and only the closing tag shows up ("think-open").
- gpt-oss's harmony channels: ``<|channel|>analysis<|message|>…<|end|>`` is thinking,
  ``<|channel|>final<|message|>…`` the answer, ``<|channel|>commentary to=functions.NAME …``
  a tool call.

A splitter takes text deltas as they come (a tag may arrive cut in pieces: ``</th`` + ``ink>``)
and returns typed ``ReplyPart``s; it holds back only what could still be the start of a tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

PartKind = Literal["thinking", "answer", "tool_call"]
ReplyFormat = Literal["plain", "think", "think-open", "harmony"]
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
HARMONY_MARKERS = ("<|channel|>", "<|message|>", "<|start|>", "<|end|>", "<|return|>",
                   "<|call|>", "<|constrain|>")
_HARMONY_ENDS = ("<|end|>", "<|return|>", "<|call|>", "<|start|>")
# A header longer than this is no header: the text is shown as the answer instead.
_MAX_HEADER_CHARS = 400


@dataclass(frozen=True)
class ReplyPart:
    """A piece of a reply: thinking, answer text, or a whole tool call (``name`` set,
    ``text`` its JSON arguments, ``call_id`` its id once parsed)."""

    kind: PartKind
    text: str
    name: str = ""
    call_id: str = ""


class Splitter(Protocol):
    """Turns text deltas into typed parts; ``thinking`` is True while inside the thinking."""

    @property
    def thinking(self) -> bool: ...

    def feed(self, text: str) -> list[ReplyPart]: ...

    def flush(self) -> list[ReplyPart]: ...


def reply_format(template_source: str, prompt_tail: str = "") -> ReplyFormat:
    """The shape of the replies a template asks for. ``prompt_tail`` is the end of the
    rendered prompt: a template that ends it with ``<think>`` makes the model start inside."""
    if "<|channel|>" in template_source and "<|message|>" in template_source:
        return "harmony"
    if prompt_tail.rstrip().endswith(THINK_OPEN):
        return "think-open"
    if THINK_CLOSE in template_source or THINK_OPEN in template_source:
        return "think"
    return "plain"


def thinking_modes(template_source: str) -> tuple[str, ...]:
    """The Thinking choices a template offers: on/off where it reads ``enable_thinking``
    (Qwen3, SmolLM3, GLM), low/medium/high where it reads ``reasoning_effort`` (gpt-oss)."""
    if "reasoning_effort" in template_source:
        return ("low", "medium", "high")
    if "enable_thinking" in template_source:
        return ("on", "off")
    return ()


def thinking_variables(mode: str, template_source: str) -> dict[str, Any]:
    """The template variable for Thinking choice ``mode`` ("" or a choice the template does
    not offer: none, so the template does what its authors made it do by default)."""
    if mode not in thinking_modes(template_source):
        return {}
    if mode in ("on", "off"):
        return {"enable_thinking": mode == "on"}
    return {"reasoning_effort": mode}


def make_splitter(fmt: ReplyFormat) -> Splitter:
    """The splitter for replies of format ``fmt``. "plain" still recognises a reply that
    begins with ``<think>`` (a model whose template does not mention it may still think)."""
    if fmt == "harmony":
        return HarmonySplitter()
    return ThinkTagSplitter(start_inside=fmt == "think-open")


def partial_suffix(text: str, markers: tuple[str, ...]) -> int:
    """Length of the longest tail of ``text`` that begins one of ``markers``."""
    longest = 0
    for marker in markers:
        for size in range(min(len(marker) - 1, len(text)), longest, -1):
            if text.endswith(marker[:size]):
                longest = size
                break
    return longest


class ThinkTagSplitter:
    """``<think>…</think>`` then the answer. Whitespace around the thinking and at the
    start of the answer after it is dropped (the tags sit on lines of their own)."""

    def __init__(self, start_inside: bool = False) -> None:
        self._state: Literal["start", "thinking", "answer"] = (
            "thinking" if start_inside else "start")
        self._held = ""
        self._lead = True  # at the start of a section: leading whitespace is dropped

    @property
    def thinking(self) -> bool:
        return self._state == "thinking"

    def feed(self, text: str) -> list[ReplyPart]:
        self._held += text
        parts: list[ReplyPart] = []
        while True:
            before = (self._state, len(self._held))
            if self._state == "start":
                self._read_start()
            elif self._state == "thinking":
                self._read_thinking(parts)
            else:
                self._emit("answer", self._held, parts)
                self._held = ""
            if (self._state, len(self._held)) == before:
                return parts

    def flush(self) -> list[ReplyPart]:
        parts: list[ReplyPart] = []
        kind: PartKind = "thinking" if self._state == "thinking" else "answer"
        self._emit(kind, self._held.rstrip() if kind == "thinking" else self._held, parts)
        self._held = ""
        return parts

    def _read_start(self) -> None:
        head = self._held.lstrip()
        if head.startswith(THINK_OPEN):
            self._held = head[len(THINK_OPEN):]
            self._state, self._lead = "thinking", True
        elif not head or THINK_OPEN.startswith(head):
            return  # could still become "<think>"
        else:
            # No thinking: the answer is passed on exactly as it came, spaces and all.
            self._state, self._lead = "answer", False

    def _read_thinking(self, parts: list[ReplyPart]) -> None:
        index = self._held.find(THINK_CLOSE)
        if index >= 0:
            self._emit("thinking", self._held[:index].rstrip(), parts)
            self._held = self._held[index + len(THINK_CLOSE):]
            self._state, self._lead = "answer", True
            return
        keep = partial_suffix(self._held, (THINK_CLOSE,))
        body = self._held[: len(self._held) - keep]
        # Trailing whitespace waits: it is dropped if the closing tag follows it.
        shown = body.rstrip()
        self._emit("thinking", shown, parts)
        self._held = self._held[len(shown):]

    def _emit(self, kind: PartKind, text: str, parts: list[ReplyPart]) -> None:
        if self._lead:
            text = text.lstrip()
            self._lead = not text
        if text:
            parts.append(ReplyPart(kind, text))


class HarmonySplitter:
    """gpt-oss harmony messages: a header up to ``<|message|>`` names the channel (and, for
    a tool call, the recipient ``to=functions.NAME``); the body runs to ``<|end|>``,
    ``<|return|>``, ``<|call|>`` or the next ``<|start|>``.

    ``analysis`` is thinking, ``final`` and recipient-less ``commentary`` (a preamble the
    user is meant to see) are answer, a body with a recipient is a tool call, given whole.
    Text with no header at all is taken as the answer.
    """

    def __init__(self) -> None:
        self._held = ""
        self._in_header = True
        self._channel = ""
        self._recipient = ""
        self._call: list[str] = []

    @property
    def thinking(self) -> bool:
        return not self._in_header and self._channel == "analysis" and not self._recipient

    def feed(self, text: str) -> list[ReplyPart]:
        self._held += text
        parts: list[ReplyPart] = []
        while self._step(parts):
            pass
        return parts

    def flush(self) -> list[ReplyPart]:
        parts: list[ReplyPart] = []
        if self._in_header:
            leftover = self._held.strip()
            if leftover and not leftover.startswith("<|"):
                parts.append(ReplyPart("answer", leftover))
        else:
            self._body_text(self._held, parts)
            self._end_message(parts)
        self._held = ""
        return parts

    def _step(self, parts: list[ReplyPart]) -> bool:
        """Consume what can be consumed; False when more text is needed."""
        if self._in_header:
            return self._read_header()
        ends = [(i, m) for m in _HARMONY_ENDS if (i := self._held.find(m)) >= 0]
        if ends:
            index, marker = min(ends)
            self._body_text(self._held[:index], parts)
            self._end_message(parts)
            # "<|start|>" opens the next header; the others end the message before it.
            self._held = self._held[index + (0 if marker == "<|start|>" else len(marker)):]
            self._in_header = True
            return True
        keep = partial_suffix(self._held, HARMONY_MARKERS)
        self._body_text(self._held[: len(self._held) - keep], parts)
        self._held = self._held[len(self._held) - keep:]
        return False

    def _read_header(self) -> bool:
        index = self._held.find("<|message|>")
        if index < 0:
            head = self._held.lstrip()
            plain = bool(head) and not head.startswith("<|") and not "<|".startswith(head)
            if plain or len(head) > _MAX_HEADER_CHARS:
                self._open("final", "")  # no header at all: plain answer text
                return True
            return False
        self._open(*_parse_header(self._held[:index]))
        self._held = self._held[index + len("<|message|>"):]
        return True

    def _open(self, channel: str, recipient: str) -> None:
        self._in_header, self._channel, self._recipient = False, channel, recipient
        self._call = []

    def _body_text(self, text: str, parts: list[ReplyPart]) -> None:
        if not text:
            return
        if self._recipient:
            self._call.append(text)
        else:
            kind: PartKind = "thinking" if self._channel == "analysis" else "answer"
            parts.append(ReplyPart(kind, text))

    def _end_message(self, parts: list[ReplyPart]) -> None:
        if self._recipient:
            name = self._recipient.removeprefix("functions.")
            parts.append(ReplyPart("tool_call", "".join(self._call).strip(), name))
        self._open("", "")
        self._in_header = True


def _parse_header(header: str) -> tuple[str, str]:
    """(channel, recipient) from a header such as ``<|start|>assistant<|channel|>commentary
    to=functions.get_weather <|constrain|>json``; the recipient may also follow the role."""
    recipient = ""
    for word in header.replace("<|", " <|").split():
        if word.startswith("to="):
            recipient = word[3:].split("<|", 1)[0]
    channel = ""
    if "<|channel|>" in header:
        rest = header.split("<|channel|>", 1)[1].strip()
        channel = rest.split()[0].split("<|", 1)[0] if rest else ""
    return channel or "final", recipient
