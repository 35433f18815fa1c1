"""The terminal chat with a thinking model: a scripted engine's text through the real
splitter; thinking dimmed on a terminal, plain in a pipe, hidden with --hide-thinking."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, cast

from fakes import FakeEngine, FakeOptions

from openchat_desktop.cli.terminal import DIM, UNDIM, ChatOptions, TerminalChat
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings

R1_TOKENS = ["Okay", ", 2 + 2", " is 4.", "\n</", "think>", "\n\n", "**4**"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def chat(out: io.StringIO, tokens: list[str], show_thinking: bool = True,
         reply_format: Any = "think-open") -> TerminalChat:
    engine = FakeEngine(LoadSettings(model_path=Path("r1-distill.gguf")),
                        FakeOptions(tokens=tokens, reply_format=reply_format))
    return TerminalChat(cast(Any, engine), ChatOptions(SamplingSettings(), "", True,
                                                       show_thinking),
                        stdin=io.StringIO(""), stdout=out)


def test_thinking_is_dimmed_on_a_terminal_and_kept_out_of_history() -> None:
    out = Terminal()
    terminal = chat(out, R1_TOKENS)
    assert terminal.ask("What is 2+2?")
    text = out.getvalue()
    assert text.startswith(f"bot: thinking: {DIM}Okay, 2 + 2 is 4.{UNDIM}\n\n**4**\n")
    assert "</think>" not in text
    assert "thinking tokens, " in text and "answer tokens, thought for" in text
    reply = terminal.history[-1]
    assert (reply.content, reply.reasoning_content) == ("**4**", "Okay, 2 + 2 is 4.")


def test_a_pipe_gets_no_escape_codes() -> None:
    out = io.StringIO()
    chat(out, R1_TOKENS).ask("What is 2+2?")
    assert out.getvalue().startswith("bot: thinking: Okay, 2 + 2 is 4.\n\n**4**\n")
    assert "\x1b" not in out.getvalue()


def test_hide_thinking_prints_the_answer_only() -> None:
    out = Terminal()
    chat(out, R1_TOKENS, show_thinking=False).ask("What is 2+2?")
    assert out.getvalue().startswith("bot: **4**\n")


def test_a_tool_call_prints_as_one_line() -> None:
    out = io.StringIO()
    tokens = ['<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}',
              "\n</tool_call>"]
    chat(out, tokens, reply_format="plain").ask("Weather?")
    assert '[tool call] get_weather {"city": "Oslo"}' in out.getvalue()
    assert "<tool_call>" not in out.getvalue()
