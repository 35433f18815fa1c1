"""The terminal chat: the seed program's REPL, grown up (multi-turn, stop, commands).

Prompt ``> ``, the reply streamed after ``bot: ``, then the seed's two stats lines. Ctrl-C stops
the reply and keeps the conversation; Ctrl-D, ``/exit`` or a second Ctrl-C quits.
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
from typing import TextIO

from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.sampling import SamplingSettings
from openchat_desktop.core.llm.templates import ChatMessage

# CSI/OSC/other escape sequences and C0 controls except tab and newline: model output must
# never move the cursor, retitle the terminal or write hyperlinks behind the user's back.
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                      r"|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f\x9b]")
QUIT_WINDOW_S = 2.0


def strip_control(text: str) -> str:
    """Remove terminal control sequences from untrusted text."""
    return _CONTROL.sub("", text)


@dataclass
class ChatOptions:
    """What the terminal chat needs besides the engine."""

    sampling: SamplingSettings
    system_prompt: str = ""
    show_stats: bool = True


class TerminalChat:
    """A multi-turn chat over ``engine`` reading ``stdin`` and writing ``stdout``."""

    def __init__(self, engine: Engine, options: ChatOptions,
                 stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.engine = engine
        self.options = options
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.history: list[ChatMessage] = []
        self._stop = threading.Event()
        self._last_interrupt = 0.0

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
        messages = self._with_system(self.history)
        generation = self.engine.stream(messages, self.options.sampling, self._stop)
        self._write("bot: ")
        try:
            with self._interrupts_stop_reply():
                for delta in generation:
                    self._write(strip_control(delta))
        except KeyboardInterrupt:
            self._remember_reply(generation.text)
            self._write("\n")
            return False
        self._remember_reply(generation.text)
        stats = generation.stats
        if stats.trimmed_messages:
            self._write(f"\n(the {stats.trimmed_messages} oldest messages no longer fit in the "
                        "context and were left out)")
        if stats.stop_reason == "stopped":
            self._write(" [stopped]")
        if stats.stop_reason == "error":
            self._write(f"\n[generation failed: {stats.error}]")
        self._write("\n")
        if self.options.show_stats:
            prompt_line, generated_line = stats.seed_lines()
            self._write(f"\n{prompt_line}\n{generated_line}\n")
        return True

    def _with_system(self, history: list[ChatMessage]) -> list[ChatMessage]:
        if self.options.system_prompt:
            return [ChatMessage("system", self.options.system_prompt), *history]
        return list(history)

    def _remember_reply(self, text: str) -> None:
        if text:
            self.history.append(ChatMessage("assistant", text))
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
