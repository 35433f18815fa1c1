"""First-token time when coming back to a long conversation, against reading it from scratch.

    .venv/bin/python benchmarks/bench_resume.py [--runs 3] [--json out.json]

``resume_ttft_ratio_switch``: an engine with a state cache answers a ~4,000-token
conversation, then another conversation, then the first one's next turn: the time from
``stream()`` to the first token of that turn ÷ the same prompt read by an engine with nothing
cached. ``resume_ttft_ratio_restart``: that engine is closed (its state goes to the disk
cache), and a new ``Engine`` with a new ``StateCache`` over the same folder answers the
conversation's next turn; same ratio. (A new object in the same process: the file may still
be in the OS page cache, as it usually is when an app is restarted soon after quitting.)
Goals: both ≤ 0.1.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from figures import report, spread

from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings, physical_cores
from openchat_desktop.core.llm.state_cache import StateCache
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.paths import starter_model_path

TARGET_TOKENS = 4000
FIRST_TOKEN = SamplingSettings(temperature=0.0, seed=1, max_tokens=1)
REPLY = SamplingSettings(temperature=0.0, seed=1, max_tokens=24)


def conversation(engine: Engine, target: int) -> list[ChatMessage]:
    """A made-up history of about ``target`` tokens, ending with a user turn."""
    messages: list[ChatMessage] = []
    turn = 0
    while True:
        turn += 1
        messages.append(ChatMessage("user", " ".join(
            f"Note {turn}.{n}: the harbour log lists {turn * n + 3} boats and {n} storms."
            for n in range(1, 9)) + " What changed since the last note?"))
        if len(engine.tokenize_prompt(messages)) >= target:
            return messages
        messages.append(ChatMessage("assistant", " ".join(
            f"Entry {turn}.{n} adds {n + turn} boats." for n in range(1, 7))))


def first_token_seconds(engine: Engine, messages: list[ChatMessage]) -> float:
    """From ``stream()`` to the end of a one-token reply: what the person waits for."""
    started = time.perf_counter()
    generation = engine.stream(messages, FIRST_TOKEN)
    for _ in generation:
        pass
    return time.perf_counter() - started


def from_scratch(engine: Engine, messages: list[ChatMessage]) -> float:
    engine._llm.n_tokens = 0  # nothing cached: the whole prompt is read
    return first_token_seconds(engine, messages)


def answer(engine: Engine, messages: list[ChatMessage]) -> str:
    return "".join(engine.stream(messages, REPLY))


def one_run(scratch: Engine, folder: Path, target: int) -> tuple[float, float, int]:
    """(switch ratio, restart ratio, prompt tokens) of one run."""
    settings = scratch.settings
    engine = Engine(settings)
    kept = StateCache(folder)
    engine.use_state_cache(kept)
    history = conversation(engine, target)
    engine.set_conversation(1)
    reply = answer(engine, history)
    engine.set_conversation(2)
    answer(engine, [ChatMessage("user", "Say hello in French, then in Spanish. " * 40)])
    engine.set_conversation(1)
    back = [*history, ChatMessage("assistant", reply), ChatMessage("user", "Summarise.")]
    switch = first_token_seconds(engine, back) / from_scratch(scratch, back)
    engine.close()  # the unload keeps the state on disk
    kept.flush()  # as a quitting app does before its process ends
    again = Engine(settings)
    cache = StateCache(folder)
    again.use_state_cache(cache)
    again.set_conversation(1)
    restart = first_token_seconds(again, back) / from_scratch(scratch, back)
    again.close()
    cache.flush()
    return switch, restart, len(scratch.tokenize_prompt(back))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=starter_model_path())
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=TARGET_TOKENS,
                        help="length of the conversation (default %(default)s)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    settings = LoadSettings(args.model, ctx_size=8192, threads=physical_cores())
    scratch = Engine(settings)
    switches, restarts, tokens = [], [], 0
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            switch, restart, tokens = one_run(scratch, Path(folder), args.tokens)
        switches.append(switch)
        restarts.append(restart)
    scratch.close()
    report({**spread("resume_ttft_ratio_switch", switches),
            **spread("resume_ttft_ratio_restart", restarts),
            "resume_prompt_tokens": tokens}, args.json)


if __name__ == "__main__":
    main()
