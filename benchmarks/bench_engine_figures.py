"""Engine figures: time to first token at turn 20 vs turn 1, prompt reading speed against
llama.cpp alone, and stop latency.

Not a test: prints figures (and writes them as JSON with --json). Run on a quiet machine.
TTFT: five 20-turn conversations; the ratio is the fastest turn 20 over the fastest turn 1
(min and max of the per-conversation ratios beside it), as is the bare llama.cpp ratio.
The two parts run in separate processes: llama.cpp's OpenMP threads belong to the thread that
starts them, and an engine on the main thread beside the worker's would leave two teams on
the cores, which slows both (the app itself only ever runs a model on its worker thread).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import best_ratio, report, spread
from PySide6.QtCore import QCoreApplication
from qt_wait import wait_until

from openchat_desktop.core.llm.engine import Engine
from openchat_desktop.core.llm.sampling import LoadSettings, SamplingSettings, physical_cores
from openchat_desktop.core.llm.templates import ChatMessage
from openchat_desktop.core.paths import starter_model_path
from openchat_desktop.services.llm_worker import LlmWorker

REPLY = SamplingSettings(temperature=0.7, seed=11, max_tokens=24)
CONVERSATIONS = 5


def ttft_by_turn(engine: Engine, turns: int) -> tuple[list[float], list[tuple[int, int]]]:
    """TTFT of each turn of a conversation whose new messages all have the same size, and
    (tokens already cached, tokens evaluated) of each turn's prompt."""
    history: list[ChatMessage] = []
    ttfts, evaluated = [], []
    for turn in range(turns):
        history.append(ChatMessage("user", f"Question {turn:02d}: name one animal that lives "
                                           "in the sea and say why it is interesting."))
        generation = engine.stream(history, REPLY)
        text = "".join(generation)
        ttfts.append(generation.stats.ttft_seconds)
        stats = generation.stats
        evaluated.append((stats.prompt_tokens - stats.prompt_evaluated, stats.prompt_evaluated))
        history.append(ChatMessage("assistant", text))
    return ttfts, evaluated


def bare_eval_times(engine: Engine, first: tuple[int, int],
                    last: tuple[int, int]) -> tuple[float, float]:
    """The same two prompt evaluations in llama-cpp-python alone (``eval`` of as many tokens
    at the same positions), fastest of five, in seconds: what llama.cpp itself charges."""
    llm = engine._llm
    tokens = engine.tokenize_prompt([ChatMessage("user", "the tide comes in " * 400)])
    times: dict[tuple[int, int], list[float]] = {first: [], last: []}
    for _ in range(5):
        for cached, count in (first, last):
            llm.reset()
            if cached:
                llm.eval(tokens[:cached])
            started = time.perf_counter()
            llm.eval(tokens[cached : cached + count])
            times[(cached, count)].append(time.perf_counter() - started)
    return min(times[first]), min(times[last])


def prompt_rates(engine: Engine, runs: int = 5) -> dict[str, float]:
    """Tokens/s reading a 1,500-token prompt: the engine (``stream``, which stays ready to
    stop at any moment) against one bare ``eval`` of the same tokens, in alternating runs."""
    llm = engine._llm
    messages = [ChatMessage("user", "Summarise: " + "the tide comes in and goes out " * 214)]
    tokens = engine.tokenize_prompt(messages)
    ours, bare = [], []
    for _ in range(runs):
        llm.reset()
        generation = engine.stream(messages, SamplingSettings(max_tokens=1))
        "".join(generation)
        ours.append(generation.stats.prompt_evaluated / generation.stats.prompt_seconds)
        llm.reset()
        started = time.perf_counter()
        llm.eval(tokens)
        bare.append(len(tokens) / (time.perf_counter() - started))
    return {"prompt_tokens": len(tokens), "prompt_tokens_per_s": max(ours),
            "prompt_bare_tokens_per_s": max(bare),
            **best_ratio("prompt_ratio_engine", ours, bare, max)}


def stop_latency(worker: LlmWorker, messages: list[ChatMessage], stop_after_s: float) -> float:
    """Milliseconds from stop() to the worker reporting the generation over."""
    done: list[float] = []
    worker.finished.connect(lambda *_: done.append(time.perf_counter()))
    worker.generate(messages, SamplingSettings(max_tokens=2000, seed=3))
    wait_until(lambda: False, stop_after_s)
    stopped_at = time.perf_counter()
    worker.stop()
    wait_until(lambda: bool(done), 30)
    worker.finished.disconnect()
    return (done[0] - stopped_at) * 1000


def ttft_figures(model: Path, turns: int) -> dict[str, float]:
    engine = Engine(LoadSettings(model, ctx_size=4096, threads=physical_cores()))
    ttft_by_turn(engine, 2)  # warm-up
    firsts, lasts = [], []
    for _ in range(CONVERSATIONS):
        engine._llm.reset()
        ttfts, evaluated = ttft_by_turn(engine, turns)
        firsts.append(ttfts[0])
        lasts.append(ttfts[-1])
    bare_first, bare_last = bare_eval_times(engine, evaluated[0], evaluated[-1])
    prompt = prompt_rates(engine)
    engine.close()
    # Another process can only add time to a 0.3 s measurement, and on a shared machine it
    # does, by up to half: the fastest of each turn are compared.
    return {"ttft_turn1_ms": min(firsts) * 1000,
            "ttft_turn20_ms": min(lasts) * 1000,
            **best_ratio("ttft_ratio_turn20", lasts, firsts, min),
            "ttft_ratio_turn20_bare_eval": bare_last / bare_first,
            "ttft_turn1_bare_eval_ms": bare_first * 1000,
            "ttft_turn20_bare_eval_ms": bare_last * 1000,
            "ttft_turn1_evaluated_tokens": evaluated[0][1],
            "ttft_turn20_evaluated_tokens": evaluated[-1][1],
            "ttft_turn20_cached_tokens": evaluated[-1][0], **prompt}


def stop_figures(model: Path) -> dict[str, float]:
    app = QCoreApplication.instance() or QCoreApplication(sys.argv)
    worker = LlmWorker()
    worker.load(LoadSettings(model, ctx_size=4096, threads=physical_cores()))
    wait_until(lambda: worker.status is not None, 60)
    story = [ChatMessage("user", "Write a very long story about the sea.")]
    long_prompt = [ChatMessage("user", "Summarise: " + "the tide comes in and goes out " * 285)]
    gen_ms = [stop_latency(worker, story, 0.5) for _ in range(5)]
    prompt_ms = [stop_latency(worker, long_prompt, 0.15) for _ in range(5)]
    worker.shutdown()
    del app
    return {**spread("stop_latency_gen_ms", gen_ms), **spread("stop_latency_prompt_ms", prompt_ms)}


def run_part(part: str, model: Path, turns: int) -> dict[str, float]:
    """One part in a fresh process; its figures."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "part.json"
        subprocess.run([sys.executable, __file__, "--part", part, "--model", str(model),
                        "--turns", str(turns), "--json", str(out)], check=True)
        figures: dict[str, float] = json.loads(out.read_text())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=starter_model_path())
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--part", choices=("ttft", "stop"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part == "ttft":
        figures = ttft_figures(args.model, args.turns)
    elif args.part == "stop":
        figures = stop_figures(args.model)
    else:
        figures = {**run_part("ttft", args.model, args.turns),
                   **run_part("stop", args.model, args.turns)}
        print()
    report(figures, args.json)


if __name__ == "__main__":
    main()
