"""The terminal chat: the seed program's REPL, grown up (multi-turn, stop, commands).

Prompt ``> ``, the reply streamed after ``bot: ``, then the seed's two stats lines. Ctrl-C stops
the reply and keeps the conversation; Ctrl-D, ``/exit`` or a second Ctrl-C quits.

A thinking model's thinking comes first, after ``thinking: `` (dimmed on a terminal), unless
``show_thinking`` is off; the answer follows on a line of its own. A tool call is printed
as ``[tool call] name {arguments}``.

With documents attached (``ChatOptions.docs``), each question goes out with the passages
found for it, numbered; the history keeps the plain question, and the numbered sources are
printed after the reply.
"""

from __future__ import annotations

import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, TextIO

from openchat_desktop.cli.common import EXIT_INTERRUPTED
from openchat_desktop.core.docs.context import DocsPrompt, source_lines, with_docs
from openchat_desktop.core.errors import OpenChatError
from openchat_desktop.core.llm.backend import ChatBackend
from openchat_desktop.core.llm.reasoning import ReplyPart
from openchat_desktop.core.llm.reply_parts import TypedReply
from openchat_desktop.core.llm.sampling import SamplingSettings
from openchat_desktop.core.llm.streaming import GenerationStats
from openchat_desktop.core.llm.templates import ChatMessage

# CSI/OSC/other escape sequences and C0 controls except tab and newline: model output must
# never move the cursor, retitle the terminal or write hyperlinks behind the user's back.
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                      r"|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f\x9b]")
QUIT_WINDOW_S = 2.0
DIM, UNDIM = "\x1b[2m", "\x1b[22m"


def strip_control(text: str) -> str:
    """Remove terminal control sequences from untrusted text."""
    return _CONTROL.sub("", text)


class DocsForQuestion(Protocol):
    """Finds the passages for one question within a share of a context of ``n_ctx`` tokens."""

    def prompt_for(self, question: str, n_ctx: int) -> DocsPrompt: ...


@dataclass
class ChatOptions:
    """What the terminal chat needs besides the engine."""

    sampling: SamplingSettings
    system_prompt: str = ""
    show_stats: bool = True
    show_thinking: bool = True
    docs: DocsForQuestion | None = None


class TerminalChat:
    """A multi-turn chat over ``engine`` (the local engine or a remote client: any chat
    backend) reading ``stdin`` and writing ``stdout``."""

    def __init__(self, engine: ChatBackend, options: ChatOptions,
                 stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.engine = engine
        self.options = options
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.history: list[ChatMessage] = []
        self._stop = threading.Event()
        self._last_interrupt = 0.0
        self._section = ""  # what the reply is printing now: "", "thinking" or "answer"

    def run(self) -> int:
        """The REPL; returns the exit code."""
        while True:
            try:
                line = self._read_line()
            except KeyboardInterrupt:
                if self._second_interrupt():
                    self._write("\n")
                    return 0
                self._write("\n(Ctrl-C again or Ctrl-D to quit)\n")
                continue
            if line is None or line.strip() == "/exit":
                return 0
            if line.strip() == "/reset":
                self.history.clear()
                self._write("(conversation cleared)\n")
            elif line.strip() and not self.ask(line):
                return 0

    def ask(self, text: str) -> bool:
        """One turn: stream the reply to ``text``. Returns False when the user quit."""
        self.history.append(ChatMessage("user", text))
        docs = self._docs_prompt(text)
        # The passages ride on this turn only: the history keeps the plain question.
        messages = self._with_system(self.history)
        if docs is not None:
            messages = with_docs(messages, docs)
        reply = TypedReply(self.engine.stream(messages, self.options.sampling, self._stop))
        self._write("bot: ")
        self._section = ""
        try:
            with self._interrupts_stop_reply():
                for part in reply:
                    self._show(part)
        except KeyboardInterrupt:
            self._end_thinking()
            self._remember_reply(reply)
            self._write("\n")
            return False
        self._end_thinking()
        self._remember_reply(reply)
        stats = reply.stats
        if stats.trimmed_messages:
            self._write(f"\n(the {stats.trimmed_messages} oldest messages no longer fit in the "
                        "context and were left out)")
        if stats.stop_reason == "stopped":
            self._write(" [stopped]")
        if stats.stop_reason == "error":
            self._write(f"\n[generation failed: {stats.error}]")
        self._write("\n")
        if docs is not None:
            self._show_sources(docs)
        if self.options.show_stats:
            prompt_line, generated_line = stats.seed_lines()
            self._write(f"\n{prompt_line}\n{generated_line}\n")
            if stats.thinking_tokens:
                self._write(_thinking_line(stats))
        return True

    def _docs_prompt(self, question: str) -> DocsPrompt | None:
        """The passages for ``question``; None without documents attached. A search that
        fails is said in one line and the question goes out without passages."""
        if self.options.docs is None:
            return None
        try:
            return self.options.docs.prompt_for(question, self.engine.n_ctx)
        except OpenChatError as exc:
            self._write(f"(the documents could not be searched: {strip_control(str(exc))})\n")
            return None

    def _show_sources(self, docs: DocsPrompt) -> None:
        dim, undim = (DIM, UNDIM) if self._is_tty() else ("", "")
        if not docs.sources:
            self._write(f"{dim}Sources: no passage of the documents matched.{undim}\n")
            return
        lines = "\n".join(strip_control(line) for line in source_lines(docs.sources))
        self._write(f"{dim}Sources:\n{lines}{undim}\n")

    def _show(self, part: ReplyPart) -> None:
        if part.kind == "thinking":
            if not self.options.show_thinking:
                return
            if self._section != "thinking":
                self._section = "thinking"
                self._write("thinking: " + (DIM if self._is_tty() else ""))
            self._write(strip_control(part.text))
            return
        self._end_thinking()
        self._section = "answer"
        if part.kind == "tool_call":
            self._write(f"\n[tool call] {strip_control(part.name)} "
                        f"{strip_control(part.text)}\n")
        else:
            self._write(strip_control(part.text))

    def _end_thinking(self) -> None:
        """Leave the thinking: undim, and start the answer on a line of its own."""
        if self._section == "thinking":
            self._write((UNDIM if self._is_tty() else "") + "\n\n")
            self._section = "answer"

    def _is_tty(self) -> bool:
        isatty = getattr(self.stdout, "isatty", None)
        return bool(isatty and isatty())

    def _with_system(self, history: list[ChatMessage]) -> list[ChatMessage]:
        if self.options.system_prompt:
            return [ChatMessage("system", self.options.system_prompt), *history]
        return list(history)

    def _remember_reply(self, reply: TypedReply) -> None:
        # The answer alone is what was said; the thinking rides along for the template to
        # show or drop, as the model's own template decides.
        text = reply.answer.strip()
        if text:
            self.history.append(ChatMessage("assistant", text,
                                            reasoning_content=reply.thinking or None))
        else:
            self.history.pop()  # nothing was said: forget the question so turns stay paired

    def _read_line(self) -> str | None:
        self._write("> ")
        line = self.stdin.readline()
        if not line:
            self._write("\n")
            return None
        return line.rstrip("\r\n")

    def _second_interrupt(self) -> bool:
        now = time.monotonic()
        second = now - self._last_interrupt < QUIT_WINDOW_S
        self._last_interrupt = now
        return second

    @contextmanager
    def _interrupts_stop_reply(self) -> Iterator[None]:
        """While a reply streams, the first Ctrl-C stops it; a second one quits."""
        self._stop.clear()
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def on_interrupt(_signum: int, _frame: object) -> None:
            if self._stop.is_set() or self._second_interrupt():
                raise KeyboardInterrupt
            self._stop.set()

        previous = signal.signal(signal.SIGINT, on_interrupt)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def _write(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()


def _thinking_line(stats: GenerationStats) -> str:
    return (f"{stats.thinking_tokens:4} thinking tokens, {stats.answer_tokens} answer tokens, "
            f"thought for {stats.thinking_seconds:.1f} s\n")


def chat_until_done(backend: ChatBackend, options: ChatOptions, prompt: str | None) -> int:
    """Answer ``prompt`` once, or chat until the user leaves; returns the exit code. The
    caller opened ``backend`` and closes it."""
    chat = TerminalChat(backend, options)
    if prompt is not None:
        return 0 if chat.ask(prompt) else EXIT_INTERRUPTED
    return chat.run()
